import { Logger } from '@nestjs/common';
import { smsSegments } from '../sms-segments';
import { failure, unsendable, type ChannelLog, type NotificationChannel, type NotificationMessage, type SendResult } from './channel';
import { postOnce, withRetries, type Interpretation } from './http-post';

export interface HttpSmsChannelOptions {
  /** SMS_GATEWAY_URL without its trailing slash; requests go to `${url}/v1/messages`. */
  readonly url: string;
  /** SMS_GATEWAY_TOKEN, sent as `Authorization: Bearer …`. Never logged. */
  readonly token?: string;
  /** SMS_GATEWAY_TIMEOUT_MS: one attempt, answer included. */
  readonly timeoutMs: number;
  /** SMS_GATEWAY_RETRIES: attempts after the first on timeouts, failed connections, 429, 5xx and unreadable 2xx. */
  readonly retries: number;
  readonly backoffBaseMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxRetryAfterMs?: number;
  readonly random?: () => number;
  readonly log?: ChannelLog;
}

export const HTTP_SMS_TUNING = {
  backoffBaseMs: 250,
  maxBackoffMs: 4000,
  maxRetryAfterMs: 10_000,
  maxResponseBytes: 16 * 1024,
} as const;

const PROVIDER_ID = /^[\x21-\x7e]{1,255}$/;

/**
 * The SMS gateway over HTTP (docs/notifications.md, "SMS gateway"): `POST {url}/v1/messages` with
 * `{ messageId, to, text, encoding, segments }` and `Idempotency-Key: <notificationId>`, so that every retry,
 * here or later, is the same message to the gateway. A 200/201/202 with `{ id }` is SENT.
 */
export class HttpSmsChannel implements NotificationChannel {
  readonly channel = 'SMS' as const;
  private readonly endpoint: string;
  private readonly log: ChannelLog;

  constructor(private readonly options: HttpSmsChannelOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/messages`;
    this.log = options.log ?? new Logger(HttpSmsChannel.name);
  }

  async send(message: NotificationMessage): Promise<SendResult> {
    const refused = unsendable(message, 'SMS');
    if (refused !== undefined) return failure('PERMANENT', 'INVALID_MESSAGE', `Not sent to the SMS gateway: ${refused}`, 0);

    const { encoding, segments } = smsSegments(message.text);
    const body = JSON.stringify({ messageId: message.notificationId, to: message.to, text: message.text, encoding, segments });
    const tag = `[notification ${message.notificationId}]`;
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': message.notificationId,
      ...(this.options.token !== undefined && { authorization: `Bearer ${this.options.token}` }),
    };

    const result = await withRetries(
      {
        retries: this.options.retries,
        backoffBaseMs: this.options.backoffBaseMs ?? HTTP_SMS_TUNING.backoffBaseMs,
        maxBackoffMs: this.options.maxBackoffMs ?? HTTP_SMS_TUNING.maxBackoffMs,
        maxRetryAfterMs: this.options.maxRetryAfterMs ?? HTTP_SMS_TUNING.maxRetryAfterMs,
        random: this.options.random ?? Math.random,
        retriesVariable: 'SMS_GATEWAY_RETRIES',
      },
      async (): Promise<Interpretation<string>> => {
        const answer = await postOnce({
          url: this.endpoint,
          headers,
          body,
          timeoutMs: this.options.timeoutMs,
          maxResponseBytes: HTTP_SMS_TUNING.maxResponseBytes,
          tokenVariable: 'SMS_GATEWAY_TOKEN',
        });
        return answer.ok ? readAcceptance(answer.status, answer.contentType, answer.body) : answer;
      },
      (attempt, summary, waitMs) => this.log.warn(`SMS gateway attempt ${attempt} failed (${summary}); retrying in ${waitMs} ms ${tag}`),
    );

    if (result.ok) {
      this.log.debug(`SMS gateway accepted the message on attempt ${result.attempts} ${tag}`);
      return { outcome: 'SENT', providerMessageId: result.value, attempts: result.attempts };
    }
    const error = `SMS gateway ${result.error}`;
    this.log.warn(`${error} ${tag}`);
    return failure(result.retryable ? 'RETRYABLE' : 'PERMANENT', result.reason, error, result.attempts);
  }
}

/**
 * A 200, 201 or 202 must be JSON `{ id }` (visible ASCII, at most 255). Anything else in a 2xx is unreadable:
 * retried, and RETRYABLE in the end, because the gateway may well have taken the message, and sending it again
 * under the same Idempotency-Key is safe (the gateway answers the first id instead of sending twice).
 */
function readAcceptance(status: number, contentType: string, body: string | undefined): Interpretation<string> {
  const unreadable = (what: string): Interpretation<string> => ({ ok: false, reason: 'MALFORMED_RESPONSE', summary: `HTTP ${status} but ${what}`, retryable: true });
  if (status !== 200 && status !== 201 && status !== 202) return unreadable('expected 200, 201 or 202');
  if (body === undefined) return unreadable(`a body over ${HTTP_SMS_TUNING.maxResponseBytes} bytes`);
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType)) return unreadable('the Content-Type is not application/json');
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return unreadable('the body is not JSON');
  }
  const id = (answer as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || !PROVIDER_ID.test(id)) return unreadable('"id" is missing or not 1 to 255 visible ASCII characters');
  return { ok: true, value: id };
}
