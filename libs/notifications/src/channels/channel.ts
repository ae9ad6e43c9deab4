/**
 * The port every notification channel sits behind (docs/notifications.md, "Channels"). A channel never throws for
 * a provider's failure: it answers SENT, RETRYABLE (worth trying again later with the same notificationId) or
 * PERMANENT (trying again cannot help). Errors are for operators: statuses, codes, timings; never the recipient,
 * the text or a credential.
 */

export type ChannelName = 'SMS' | 'EMAIL';

export interface NotificationMessage {
  /** The notice's id: the idempotency key of the send (SMS Idempotency-Key, e-mail Message-ID). */
  readonly notificationId: string;
  readonly channel: ChannelName;
  /** A phone number (SMS) or an e-mail address (EMAIL). Personal: never in an error or a log line. */
  readonly to: string;
  /** The e-mail's subject (EMAIL only). */
  readonly subject?: string;
  /** The SMS text, or the e-mail's plain-text part. */
  readonly text: string;
  /** The e-mail's HTML part (EMAIL only). */
  readonly html?: string;
}

/** Why a send did not go through. */
export type ChannelFailureReason =
  /** The channel is not configured (SMTP_URL, SMS_GATEWAY_URL unset). */
  | 'NOT_CONFIGURED'
  /** The message cannot be sent as it is (empty recipient, an id that cannot be a key, the wrong channel). */
  | 'INVALID_MESSAGE'
  | 'TIMEOUT'
  | 'CONNECTION_FAILED'
  /** HTTP 429. */
  | 'RATE_LIMITED'
  /** HTTP 5xx. */
  | 'SERVER_ERROR'
  /** The provider refused the message: HTTP 4xx, an SMTP 5xx reply. */
  | 'REJECTED'
  /** An SMTP 4xx reply: the server asks to try later. */
  | 'DEFERRED'
  /** The provider answered in a way we do not understand. */
  | 'MALFORMED_RESPONSE';

export type SendResult =
  | { readonly outcome: 'SENT'; readonly providerMessageId: string; readonly attempts: number }
  | {
      readonly outcome: 'RETRYABLE' | 'PERMANENT';
      readonly reason: ChannelFailureReason;
      /** For operators: what happened on each attempt. Nothing personal, no credential. */
      readonly error: string;
      readonly attempts: number;
    };

export interface NotificationChannel {
  readonly channel: ChannelName;
  /** Resolves whatever happens; a provider's failure is a RETRYABLE or PERMANENT result, never a rejection. */
  send(message: NotificationMessage): Promise<SendResult>;
}

/** One registry of the channels, by name (DI token NOTIFICATION_CHANNELS). */
export type NotificationChannels = Readonly<Record<ChannelName, NotificationChannel>>;

export const NOTIFICATION_CHANNELS = Symbol('NOTIFICATION_CHANNELS');
export const WEBHOOK_PUBLISHER = Symbol('WEBHOOK_PUBLISHER');

/** Where adapters report failed attempts: statuses, codes and timings only. */
export interface ChannelLog {
  warn(message: string): void;
  debug(message: string): void;
}

export function failure(outcome: 'RETRYABLE' | 'PERMANENT', reason: ChannelFailureReason, error: string, attempts: number): SendResult {
  return { outcome, reason, error, attempts };
}

const VISIBLE_ASCII = /^[\x21-\x7e]{1,255}$/;

/** Why a message cannot be sent on `channel`, without repeating any of its values; undefined when it can. */
export function unsendable(message: NotificationMessage, channel: ChannelName): string | undefined {
  if (typeof message !== 'object' || message === null) return 'the message is not an object';
  if (typeof message.notificationId !== 'string' || !VISIBLE_ASCII.test(message.notificationId)) {
    return 'notificationId must be 1 to 255 visible ASCII characters';
  }
  if (message.channel !== channel) return `a ${String(message.channel).slice(0, 10)} message was given to the ${channel} channel`;
  if (typeof message.to !== 'string' || message.to.trim() === '') return 'the recipient is empty';
  if (typeof message.text !== 'string' || message.text.trim() === '') return 'the text is empty';
  return undefined;
}

/** Exponential backoff with jitter: a random time in [½, 1] × base × 2^(attempt−1), at most `max`. */
export function backoffMs(attempt: number, base: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Retry-After as delay-seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error's code (ECONNREFUSED, UND_ERR_SOCKET, …), never its message, which could carry more than we want. */
export function errorCode(error: unknown): string {
  const codeOf = (e: unknown): string | undefined => {
    const code = (e as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
  };
  const cause = (error as { cause?: unknown } | null)?.cause;
  return codeOf(cause) ?? codeOf((cause as { cause?: unknown } | null)?.cause) ?? codeOf(error) ?? (error instanceof Error ? error.name : 'unknown error');
}

/** Reads at most `maxBytes` of a body; undefined when it is longer (the rest is not read). */
export async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
