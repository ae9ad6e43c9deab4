import type { FastifyRequest } from 'fastify';
import type { Authentication, Caller } from './access';
import { AuthenticationRequiredError } from './auth-errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the Authorization header proved (set for every request, before rate limiting). */
    authentication: Authentication;
    /** The caller and the role it acts in, once the permission table allowed the request; null on public routes. */
    caller: Caller | null;
  }
}

/** The caller of a request the permission table let through (a route that is not public). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw AuthenticationRequiredError.missingToken();
  return request.caller;
}
