import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiPreconditionFailedResponse,
} from '@nestjs/swagger';

/** The headers and error answers every command on an existing card shares, for the OpenAPI document. */
export function CardCommandDocs(): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retry safely: the same key and body return the same answer and write nothing' }),
    ApiHeader({ name: 'If-Match', required: false, description: 'The card\'s ETag ("<revision>"): the command is refused with 412 if the card has moved on' }),
    ApiBadRequestResponse({ description: 'Malformed input: application/problem+json names each field and why' }),
    ApiNotFoundResponse({ description: 'No such card' }),
    ApiConflictResponse({ description: 'The lifecycle forbids this command now: names the current status and the allowed commands' }),
    ApiPreconditionFailedResponse({ description: 'If-Match names an older revision' }),
  );
}
