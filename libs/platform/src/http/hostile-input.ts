import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError, PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/**
 * How deep a JSON body may nest. No request of this service nests deeper than a few levels (an address in a
 * customer); validation and hashing walk bodies recursively, and a body nested thousands of levels deep (a few KiB
 * of brackets) would exhaust the stack there: a 500 for what is the client's mistake.
 */
export const MAX_JSON_DEPTH = 32;

/** The top-level field under which `value` nests deeper than `max` levels ('body' for the body itself), or null. */
export function tooDeeplyNested(value: unknown, max = MAX_JSON_DEPTH): string | null {
  const stack: { value: unknown; depth: number; field: string }[] = [{ value, depth: 0, field: 'body' }];
  while (stack.length > 0) {
    const { value: current, depth, field } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= max) return field;
    for (const [key, member] of Object.entries(current)) stack.push({ value: member, depth: depth + 1, field: depth === 0 && !Array.isArray(current) ? key : field });
  }
  return null;
}

/**
 * Refuses a body that nests deeper than MAX_JSON_DEPTH as a 400 naming the field, once it is parsed and before any
 * guard, interceptor or pipe walks it (a Fastify hook runs before Nest's handler; what it throws is answered by the
 * exception filter, as a problem).
 */
export function refuseDeeplyNestedJson(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (request) => {
    const field = tooDeeplyNested(request.body);
    if (field !== null) throw new InvalidRequestError([{ field, reason: `nests deeper than ${MAX_JSON_DEPTH} levels` }]);
  });
}

/**
 * Fastify's answer to a URL its router cannot take (a percent-encoded sequence that is not UTF-8, a path segment
 * longer than its limit) is plain JSON; this one is a problem, as every other refusal, naming the path.
 */
export function frameworkErrorAsProblem(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const reasons: Record<string, string> = {
    FST_ERR_BAD_URL: 'is not a valid URL: a percent-encoded sequence does not decode to UTF-8 text',
    FST_ERR_MAX_PARAM_LENGTH: 'has a segment far longer than any id this service gives',
  };
  const reason = error.code === undefined ? undefined : reasons[error.code];
  const problem = toProblem(reason === undefined ? error : new InvalidRequestError([{ field: 'path', reason }]));
  void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send({ ...problem, instance: request.url.split('?')[0] });
}
