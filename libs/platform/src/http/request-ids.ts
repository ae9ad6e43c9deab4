import { randomUUID } from 'node:crypto';

type WithHeaders = { readonly headers: Record<string, string | string[] | undefined>; readonly id?: unknown };

const TRACE_ID = /^[\w.:-]{1,128}$/;

function header(request: WithHeaders, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The request id: the caller's X-Request-Id when it is a sane token, else a new UUID. */
export function newRequestId(request: WithHeaders): string {
  const given = header(request, 'x-request-id');
  return given !== undefined && TRACE_ID.test(given) ? given : randomUUID();
}

/** The correlation id: the caller's X-Correlation-Id when it is a sane token, else the request id. */
export function correlationIdOf(request: WithHeaders): string {
  const given = header(request, 'x-correlation-id');
  return given !== undefined && TRACE_ID.test(given) ? given : String(request.id);
}
