import { HttpException, HttpStatus } from '@nestjs/common';
import {
  ConcurrentModificationError,
  InvalidCursorError,
  InvalidPositionError,
  IdentityProviderUnavailableError,
  ProjectionsBehindError,
  ReportParameterError,
  RevisionMismatchError,
} from '@cards/application';
import { ReadStoreUnavailableError } from '@cards/read-store';
import { DomainError, ValidationFailed, type FieldViolation } from '@cards/domain';
import { EventStoreUnavailableError, StreamRevisionConflictError } from '@cards/event-store';
import { DataKeyStoreUnavailableError } from '@cards/security';
import { AccessDeniedError, AuthenticationRequiredError, RateLimitExceededError } from '../auth/auth-errors';

/** An RFC 9457 problem document, with this service's extension members. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly errors?: readonly FieldViolation[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://cards.example/problems/';

/** A request rejected before it reached a handler: what to say, and to which field. */
export class InvalidRequestError extends Error {
  constructor(readonly violations: readonly FieldViolation[]) {
    super(violations.map((v) => `${v.field}: ${v.reason}`).join('; '));
    this.name = 'InvalidRequestError';
  }
}

const KIND_STATUS = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, rejected: 422 } as const;

const TITLES: Record<number, string> = {
  400: 'The request is not valid',
  401: 'Authentication required',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict with the current state',
  412: 'Precondition failed',
  413: 'Request body too large',
  415: 'Unsupported media type',
  422: 'Request refused',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

function problem(status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return {
    type: `${TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? HttpStatus[status] ?? 'Error',
    status,
    detail,
    code,
    ...extensions,
  };
}

/** Fastify's own errors for bodies and routes carry a `code` and a `statusCode`. */
interface FastifyLikeError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message: string;
}

function isFastifyClientError(error: unknown): error is FastifyLikeError & { statusCode: number } {
  const statusCode = (error as FastifyLikeError | undefined)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/**
 * Maps any error to a problem document. Everything a client can cause is a 4xx with a message that says what
 * to change; only a fault of the service itself becomes a 500, and then without internals.
 */
export function toProblem(error: unknown): Problem {
  if (error instanceof AuthenticationRequiredError) {
    return error.reason === 'missing'
      ? problem(401, 'AUTHENTICATION_REQUIRED', error.message)
      : problem(401, 'INVALID_TOKEN', error.message, { reason: error.reason });
  }
  if (error instanceof AccessDeniedError) {
    return problem(403, error.allowedRoles.length > 0 ? 'ROLE_NOT_ALLOWED' : 'ROUTE_NOT_PERMITTED', error.message, {
      allowedRoles: error.allowedRoles,
      yourRoles: error.callerRoles,
    });
  }
  if (error instanceof RateLimitExceededError) {
    return problem(429, 'RATE_LIMITED', error.message, { retryAfterSeconds: error.retryAfterSeconds, limitPerMinute: error.limitPerMinute });
  }
  if (error instanceof InvalidRequestError) {
    return problem(400, 'VALIDATION_FAILED', error.message, { errors: error.violations });
  }
  if (error instanceof ValidationFailed) {
    return problem(400, error.code, error.message, { errors: error.violations });
  }
  if (error instanceof DomainError) {
    return problem(KIND_STATUS[error.kind], error.code, error.message, { ...error.details });
  }
  if (error instanceof RevisionMismatchError) {
    return problem(412, error.code, error.message, {
      expectedRevision: error.expectedRevision.toString(),
      currentRevision: error.currentRevision === null ? null : error.currentRevision.toString(),
    });
  }
  if (error instanceof ConcurrentModificationError) {
    return problem(
      409,
      'CONCURRENT_MODIFICATION',
      `Other requests changed the resource while this command ran, ${error.attempts} times in a row (it was decided again on each new state); nothing was written. Read it again and retry.`,
      { attempts: error.attempts },
    );
  }
  if (error instanceof StreamRevisionConflictError) {
    return problem(409, 'CONCURRENT_MODIFICATION', 'The resource changed while this command ran; nothing was written. Read it again and retry.');
  }
  if (error instanceof InvalidCursorError) {
    return problem(400, 'VALIDATION_FAILED', error.message, { errors: [{ field: 'cursor', reason: error.message }] });
  }
  if (error instanceof ReportParameterError) {
    return problem(400, 'VALIDATION_FAILED', `${error.field}: ${error.reason}`, { errors: [{ field: error.field, reason: error.reason }] });
  }
  if (error instanceof InvalidPositionError) {
    return problem(400, 'VALIDATION_FAILED', error.message, { errors: [{ field: 'minPosition', reason: error.message }] });
  }
  if (error instanceof IdentityProviderUnavailableError) {
    return problem(503, error.code, error.message, { ...error.subject, reason: error.reason, revision: Number(error.revision), retryAfterSeconds: error.retryAfterSeconds });
  }
  if (error instanceof ProjectionsBehindError) {
    return problem(503, error.code, error.message, { minPosition: error.minPosition, projections: error.projections, retryAfterSeconds: 1 });
  }
  if (error instanceof ReadStoreUnavailableError) {
    return problem(503, error.code, 'The read models cannot be reached right now. Retry later.', { retryAfterSeconds: 5 });
  }
  if (error instanceof EventStoreUnavailableError) {
    return problem(503, error.code, 'The event store cannot be reached right now; nothing was written. Retry later.', {
      retryAfterSeconds: 5,
    });
  }
  if (error instanceof DataKeyStoreUnavailableError) {
    // Personal data is encrypted under its customer's data key before anything is appended: nothing was written.
    return problem(503, error.code, 'The store of the customers\' data keys cannot be reached right now; nothing was written. Retry later.', {
      retryAfterSeconds: 5,
    });
  }
  if (error instanceof HttpException) {
    // Nest wraps Fastify's body-parsing errors; the original says what was wrong with the body.
    if (isFastifyClientError(error.cause)) return toProblem(error.cause);
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : error.message;
    if (status === 413) return problem(413, 'BODY_TOO_LARGE', 'The request body is larger than this service accepts');
    if (status === 400 && /not valid JSON/i.test(message)) {
      return problem(400, 'MALFORMED_JSON', `The request body is not valid JSON: ${message}`);
    }
    return problem(status, HttpStatus[status] ?? 'HTTP_ERROR', message);
  }
  if (isFastifyClientError(error)) {
    const fastify = error;
    const code = fastify.code ?? 'BAD_REQUEST';
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError) {
      return problem(400, 'MALFORMED_JSON', `The request body is not valid JSON: ${fastify.message}`);
    }
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return problem(413, 'BODY_TOO_LARGE', 'The request body is larger than this service accepts');
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
    }
    return problem(fastify.statusCode, code.replace(/^FST_ERR_/, ''), fastify.message);
  }
  return problem(500, 'INTERNAL_ERROR', 'Something went wrong on our side; it has been logged. Retry later.');
}
