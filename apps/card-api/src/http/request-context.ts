import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '@cards/application';
import { callerOf, correlationIdOf, InvalidRequestError } from '@cards/platform';

export const IDEMPOTENCY_KEY = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The request's Idempotency-Key, scoped to the caller (`<sub> <key>`): two callers who happen to choose the same
 * key never see each other's answers, and never land on each other's derived ids.
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = header(request, IDEMPOTENCY_KEY);
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidRequestError([
      { field: 'Idempotency-Key', reason: 'must be 1 to 255 visible ASCII characters (a UUID is a good choice)' },
    ]);
  }
  return `${callerOf(request).principal.subject} ${key}`;
}

/** `If-Match: "3"` → 3n. `*` means "any revision". Weak tags never match a revision. */
export function expectedRevisionOf(request: FastifyRequest): bigint | undefined {
  const value = header(request, 'if-match')?.trim();
  if (value === undefined || value === '*') return undefined;
  const match = /^"(\d{1,18})"$/.exec(value);
  if (!match) {
    throw new InvalidRequestError([
      { field: 'If-Match', reason: 'must be the ETag of the card, a revision in double quotes, e.g. "3"' },
    ]);
  }
  return BigInt(match[1]);
}

export function etagOf(revision: bigint): string {
  return `"${revision}"`;
}

/**
 * Who is calling and how the call is traced. The actor is the verified token's subject, acting in the first of
 * its roles (in ROLES order) that the permission table allows for this endpoint.
 */
export function commandContextOf(request: FastifyRequest): CommandContext {
  const expectedRevision = expectedRevisionOf(request);
  const idempotencyKey = idempotencyKeyOf(request);
  const caller = callerOf(request);
  return {
    actor: { id: caller.principal.subject, role: caller.role },
    correlationId: correlationIdOf(request),
    causationId: String(request.id),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
    ...(expectedRevision !== undefined && { expectedRevision }),
  };
}

/** The CommandContext of the current request, for controller parameters. */
export const RequestContext = createParamDecorator((_: unknown, ctx: ExecutionContext): CommandContext =>
  commandContextOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
