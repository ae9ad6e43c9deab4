import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs, errorCode, readCapped, retryAfterMs, type ChannelFailureReason } from './channel';

/** What one POST came to; `summary` holds a status, a timing or an error code, nothing the request carried. */
export type PostAttempt =
  | { readonly ok: true; readonly status: number; readonly contentType: string; readonly body: string | undefined }
  | {
      readonly ok: false;
      readonly reason: ChannelFailureReason;
      readonly summary: string;
      readonly retryable: boolean;
      readonly retryAfterMs?: number;
    };

export interface PostOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** One attempt, from sending to the last byte of the answer. */
  readonly timeoutMs: number;
  /** Largest 2xx body read; a longer one is returned as `body: undefined`. */
  readonly maxResponseBytes: number;
  /** Named in the hint of a 401/403 (the variable holding the token). */
  readonly tokenVariable?: string;
}

/**
 * One POST: 2xx is `ok` (the body read up to a cap); 429 and 5xx (Retry-After read), a timeout and a failed
 * connection are retryable; any other 4xx is not; 1xx/3xx are malformed (redirects are not followed).
 */
export async function postOnce(options: PostOptions): Promise<PostAttempt> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'user-agent': 'card-lifecycle-service', ...options.headers },
      body: options.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    const { status } = response;
    if (status >= 200 && status < 300) {
      const body = await readCapped(response, options.maxResponseBytes);
      return { ok: true, status, contentType: response.headers.get('content-type') ?? '', body };
    }
    await response.body?.cancel().catch(() => undefined);
    if (status === 429 || status >= 500) {
      const after = retryAfterMs(response.headers.get('retry-after'));
      return {
        ok: false,
        reason: status === 429 ? 'RATE_LIMITED' : 'SERVER_ERROR',
        summary: `HTTP ${status}${after === undefined ? '' : ` (Retry-After ${after} ms)`}`,
        retryable: true,
        ...(after !== undefined && { retryAfterMs: after }),
      };
    }
    if (status >= 400) {
      const hint = (status === 401 || status === 403) && options.tokenVariable ? `: check ${options.tokenVariable}` : ': refused';
      return { ok: false, reason: 'REJECTED', summary: `HTTP ${status}${hint}`, retryable: false };
    }
    const what = status >= 300 ? ': redirects are not followed' : ', expected 2xx';
    return { ok: false, reason: 'MALFORMED_RESPONSE', summary: `HTTP ${status}${what}`, retryable: false };
  } catch (error) {
    if (timedOut) return { ok: false, reason: 'TIMEOUT', summary: `no answer within ${options.timeoutMs} ms`, retryable: true };
    return { ok: false, reason: 'CONNECTION_FAILED', summary: `connection failed (${errorCode(error)})`, retryable: true };
  } finally {
    clearTimeout(timer);
  }
}

export interface RetryPolicy {
  /** Attempts after the first, on retryable failures. */
  readonly retries: number;
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
  /** The longest Retry-After honoured; a longer one ends the retries at once. */
  readonly maxRetryAfterMs: number;
  readonly random: () => number;
  /** Named when no retries are left, e.g. SMS_GATEWAY_RETRIES. */
  readonly retriesVariable: string;
}

export type Retried<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | { readonly ok: false; readonly reason: ChannelFailureReason; readonly retryable: boolean; readonly error: string; readonly attempts: number };

/** What an attempt's 2xx answer means: a value, or a failure to report (retried when `retryable`). */
export type Interpretation<T> = { readonly ok: true; readonly value: T } | Extract<PostAttempt, { ok: false }>;

/**
 * Attempts `attempt` until it succeeds, fails for good, or retries run out, waiting between attempts with
 * backoff and jitter (at least what Retry-After asks, up to `maxRetryAfterMs`). `onRetry` hears each wait.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: () => Promise<Interpretation<T>>,
  onRetry: (attempt: number, summary: string, waitMs: number) => void,
): Promise<Retried<T>> {
  const failures: string[] = [];
  for (let n = 1; ; n++) {
    const result = await attempt();
    if (result.ok) return { ok: true, value: result.value, attempts: n };
    failures.push(`${n}: ${result.summary}`);
    let stop: string | undefined;
    let waitMs = backoffMs(n, policy.backoffBaseMs, policy.maxBackoffMs, policy.random);
    if (!result.retryable) stop = 'not retried';
    else if (n > policy.retries) stop = `no retries left, ${policy.retriesVariable}=${policy.retries}`;
    else if (result.retryAfterMs !== undefined && result.retryAfterMs > policy.maxRetryAfterMs) {
      stop = `asked to wait ${result.retryAfterMs} ms, longer than the ${policy.maxRetryAfterMs} ms we wait`;
    } else waitMs = Math.max(waitMs, result.retryAfterMs ?? 0);
    if (stop !== undefined) {
      return {
        ok: false,
        reason: result.reason,
        retryable: result.retryable,
        error: `failed after ${n} attempt${n === 1 ? '' : 's'} (${stop}): ${failures.join('; ')}`,
        attempts: n,
      };
    }
    onRetry(n, result.summary, waitMs);
    await sleep(waitMs);
  }
}
