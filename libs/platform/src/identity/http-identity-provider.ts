import { backoffMs, errorCode, readCapped, retryAfterMs as parseRetryAfter } from '@cards/notifications';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import {
  BIOMETRIC_METHODS,
  type IdentityComparison,
  type IdentityComparisonRequest,
  type IdentityProvider,
  type IdentityProviderUnavailable,
  type ProviderUnavailableReason,
} from '@cards/application';

/** Where the adapter reports failed attempts. Lines hold statuses and timings, never request or response bodies. */
export interface IdentityProviderLog {
  warn(message: string): void;
  debug(message: string): void;
}

export interface HttpIdentityProviderOptions {
  /** The provider's base URL (IDENTITY_PROVIDER_URL); requests go to `${url}/v1/comparisons`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when given (IDENTITY_PROVIDER_TOKEN). */
  readonly token?: string;
  /** How long one attempt may take, until the whole answer is read. */
  readonly timeoutMs: number;
  /** Attempts after the first, on a timeout, a failed connection, 5xx or 429. */
  readonly retries: number;
  /** How long one comparison may take, every attempt and wait included. */
  readonly deadlineMs: number;
  /** The wait before retry n is a random time in [½, 1] × backoffBaseMs × 2^(n−1), at most maxBackoffMs. */
  readonly backoffBaseMs?: number;
  readonly maxBackoffMs?: number;
  /** The longest Retry-After honoured; a provider asking for longer is answered RATE_LIMITED at once. */
  readonly maxRetryAfterMs?: number;
  /** Source of the jitter, in [0, 1). */
  readonly random?: () => number;
  readonly log?: IdentityProviderLog;
}

export const HTTP_IDENTITY_PROVIDER_TUNING = {
  backoffBaseMs: 200,
  maxBackoffMs: 2000,
  maxRetryAfterMs: 5000,
  /** Answers larger than this are MALFORMED_RESPONSE (a real one is well under 1 KiB). */
  maxResponseBytes: 64 * 1024,
  /** No attempt is started with less time than this left before the deadline. */
  minAttemptMs: 50,
} as const;

/** What one HTTP request came to. `summary` is for operators: a status, a timing, an error code; nothing personal. */
type Attempt =
  | { readonly ok: true; readonly score: number; readonly reference: string }
  | {
      readonly ok: false;
      readonly reason: Exclude<ProviderUnavailableReason, 'NOT_CONFIGURED'>;
      readonly summary: string;
      readonly retryable: boolean;
      readonly retryAfterMs?: number;
    };

class ResponseTooLarge extends Error {}

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The biometric provider over HTTP (docs/identity.md, "Biometric provider"): `POST {url}/v1/comparisons` with the
 * subject and the sample as JSON, `Idempotency-Key` set to the request id so that retries are safe, a timeout per
 * attempt, retries with exponential backoff and jitter on failures that may pass (timeouts, connection failures,
 * 5xx, 429 honouring Retry-After), and an overall deadline. Every failure, however it happens, resolves to
 * `UNAVAILABLE` with a reason and an operator-readable detail that holds nothing the request or answer carried.
 */
export class HttpIdentityProvider implements IdentityProvider {
  private readonly endpoint: string;
  private readonly backoffBaseMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly log: IdentityProviderLog;

  constructor(private readonly options: HttpIdentityProviderOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/comparisons`;
    this.backoffBaseMs = options.backoffBaseMs ?? HTTP_IDENTITY_PROVIDER_TUNING.backoffBaseMs;
    this.maxBackoffMs = options.maxBackoffMs ?? HTTP_IDENTITY_PROVIDER_TUNING.maxBackoffMs;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? HTTP_IDENTITY_PROVIDER_TUNING.maxRetryAfterMs;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? new Logger(HttpIdentityProvider.name);
  }

  async compare(request: IdentityComparisonRequest): Promise<IdentityComparison> {
    const refused = unsendable(request);
    if (refused !== undefined) return providerUnavailable('REJECTED_REQUEST', `Not sent to the identity provider: ${refused}`, 0);

    const body = JSON.stringify({
      requestId: request.requestId,
      method: request.method,
      subject: { name: request.name, idType: request.idType, idNumber: request.idNumber },
      sample: { format: 'base64', data: request.sample },
    });
    const started = performance.now();
    const deadline = started + this.options.deadlineMs;
    const failures: string[] = [];
    const tag = `[request ${request.requestId}]`;

    for (let attempt = 1; ; attempt++) {
      const left = deadline - performance.now();
      const limitMs = Math.max(1, Math.floor(Math.min(this.options.timeoutMs, left)));
      const result = await this.attempt(body, request.requestId, limitMs, limitMs < this.options.timeoutMs);
      const elapsed = () => Math.round(performance.now() - started);
      if (result.ok) {
        this.log.debug(`Identity provider answered on attempt ${attempt} after ${elapsed()} ms ${tag}`);
        return { outcome: 'SCORED', score: result.score, providerReference: result.reference };
      }
      failures.push(`${attempt}: ${result.summary}`);

      let stop: string | undefined;
      let waitMs = this.backoff(attempt);
      if (!result.retryable) stop = 'not retried';
      else if (attempt > this.options.retries) stop = `no retries left, IDENTITY_PROVIDER_RETRIES=${this.options.retries}`;
      else if (result.retryAfterMs !== undefined && result.retryAfterMs > this.maxRetryAfterMs) {
        stop = `the provider asked to wait ${result.retryAfterMs} ms, longer than the ${this.maxRetryAfterMs} ms we wait`;
      } else {
        waitMs = Math.max(waitMs, result.retryAfterMs ?? 0);
        if (performance.now() + waitMs + HTTP_IDENTITY_PROVIDER_TUNING.minAttemptMs > deadline) {
          stop = `no time left for another attempt within the ${this.options.deadlineMs} ms deadline`;
        }
      }

      if (stop !== undefined) {
        const detail = `Identity provider unavailable after ${attempt} attempt${attempt === 1 ? '' : 's'} in ${elapsed()} ms (${stop}): ${failures.join('; ')}`;
        this.log.warn(`${detail} ${tag}`);
        return providerUnavailable(result.reason, detail, attempt);
      }
      this.log.warn(`Identity provider attempt ${attempt} failed (${result.summary}); retrying in ${waitMs} ms ${tag}`);
      await sleep(waitMs);
    }
  }

  /** One POST, bounded by `limitMs` from sending to the last byte of the answer. */
  private async attempt(body: string, requestId: string, limitMs: number, cutByDeadline: boolean): Promise<Attempt> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limitMs);
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': 'card-lifecycle-service',
          'idempotency-key': requestId,
          ...(this.options.token !== undefined && { authorization: `Bearer ${this.options.token}` }),
        },
        body,
        redirect: 'manual',
        signal: controller.signal,
      });
      const { status } = response;
      if (status === 200) return await readComparison(response); // awaited here, so that a failed read is caught below
      await response.body?.cancel().catch(() => undefined);
      if (status === 429) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        return { ok: false, reason: 'RATE_LIMITED', summary: `HTTP 429${describeRetryAfter(retryAfterMs)}`, retryable: true, ...(retryAfterMs !== undefined && { retryAfterMs }) };
      }
      if (status >= 500) {
        const retryAfterMs = status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
        return { ok: false, reason: 'SERVER_ERROR', summary: `HTTP ${status}${describeRetryAfter(retryAfterMs)}`, retryable: true, ...(retryAfterMs !== undefined && { retryAfterMs }) };
      }
      if (status >= 400) {
        const hint = status === 401 || status === 403 ? ': check IDENTITY_PROVIDER_TOKEN' : ': the provider refused the request';
        return { ok: false, reason: 'REJECTED_REQUEST', summary: `HTTP ${status}${hint}`, retryable: false };
      }
      const what = status >= 300 && status < 400 ? ': redirects are not followed, check IDENTITY_PROVIDER_URL' : ', expected 200';
      return { ok: false, reason: 'MALFORMED_RESPONSE', summary: `HTTP ${status}${what}`, retryable: false };
    } catch (error) {
      if (timedOut) {
        const summary = cutByDeadline ? `no answer within ${limitMs} ms, the rest of the deadline` : `no answer within ${limitMs} ms`;
        return { ok: false, reason: 'TIMEOUT', summary, retryable: true };
      }
      if (error instanceof ResponseTooLarge) {
        return { ok: false, reason: 'MALFORMED_RESPONSE', summary: `HTTP 200 with a body over ${HTTP_IDENTITY_PROVIDER_TUNING.maxResponseBytes} bytes`, retryable: false };
      }
      return { ok: false, reason: 'CONNECTION_FAILED', summary: `connection failed (${errorCode(error)})`, retryable: true };
    } finally {
      clearTimeout(timer);
    }
  }

  private backoff(attempt: number): number {
    return backoffMs(attempt, this.backoffBaseMs, this.maxBackoffMs, this.random);
  }
}

/** Why a request cannot be sent, without repeating any of its values; undefined when it can. */
function unsendable(request: IdentityComparisonRequest): string | undefined {
  if (typeof request.requestId !== 'string' || request.requestId.length > 255 || !VISIBLE_ASCII.test(request.requestId)) {
    return 'requestId must be 1 to 255 visible ASCII characters';
  }
  if (!(BIOMETRIC_METHODS as readonly string[]).includes(request.method)) return `method must be one of ${BIOMETRIC_METHODS.join(', ')}`;
  for (const field of ['name', 'idType', 'idNumber', 'sample'] as const) {
    if (typeof request[field] !== 'string' || request[field].trim() === '') return `${field} is empty`;
  }
  return undefined;
}

/** A 200 must be JSON `{ score: 0..1, reference: visible ASCII ≤ 128 }`; other fields are ignored. */
async function readComparison(response: Response): Promise<Attempt> {
  const malformed = (what: string): Attempt => ({ ok: false, reason: 'MALFORMED_RESPONSE', summary: `HTTP 200 but ${what}`, retryable: false });
  const text = await readCapped(response, HTTP_IDENTITY_PROVIDER_TUNING.maxResponseBytes);
  if (text === undefined) throw new ResponseTooLarge();
  const contentType = response.headers.get('content-type') ?? '';
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType)) return malformed('the Content-Type is not application/json');
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return malformed('the body is not JSON');
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return malformed('the body is not a JSON object');
  const { score, reference } = answer as { score?: unknown; reference?: unknown };
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) return malformed('"score" is missing or not a number from 0 to 1');
  if (typeof reference !== 'string' || reference.length > 128 || !VISIBLE_ASCII.test(reference)) {
    return malformed('"reference" is missing or not 1 to 128 visible ASCII characters');
  }
  return { ok: true, score, reference };
}


function describeRetryAfter(ms: number | undefined): string {
  return ms === undefined ? '' : ` (Retry-After ${ms} ms)`;
}

export function providerUnavailable(reason: ProviderUnavailableReason, detail: string, attempts: number): IdentityProviderUnavailable {
  return { outcome: 'UNAVAILABLE', reason, detail, attempts };
}
