import { ParseUUIDPipe, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { LONE_SURROGATE_REASON, loneSurrogatePath, type FieldViolation } from '@cards/domain';
import { InvalidRequestError } from '@cards/platform';

/** Flattens class-validator's tree into "which field, and why" (nested fields as `address.city`). */
export function violationsOf(errors: readonly ValidationError[], parent = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const error of errors) {
    const field = error.property === '' || error.property === undefined ? parent || 'body' : parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, reason: message === 'an unknown value was passed to the validate function' ? 'the body must be a JSON object' : message });
    }
    if (error.children?.length) out.push(...violationsOf(error.children, field));
  }
  return out;
}

/** A body must be a JSON object before its fields can be checked: say so instead of listing every field. */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new InvalidRequestError([{ field: 'body', reason: 'must be a JSON object' }]);
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      const field = loneSurrogatePath(value);
      if (field !== null) throw new InvalidRequestError([{ field: field || metadata.type, reason: LONE_SURROGATE_REASON }]);
    }
    return super.transform(value, metadata);
  }
}

/** Validates every body against its DTO; unknown fields are refused so that a typo never goes unnoticed. */
export function requestValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InvalidRequestError(violationsOf(errors)),
  });
}

/** A path parameter that must be a UUID: a malformed one is the client's mistake (400), not a missing card. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () => new InvalidRequestError([{ field: name, reason: 'must be a UUID' }]),
  });
}
