import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The webhook signature (docs/notifications.md, "Webhooks"): `X-Cards-Signature: t=<unix seconds>,v1=<hex>`,
 * where hex is HMAC-SHA256 under WEBHOOK_SECRET of `<t>.<raw body>`. The timestamp is signed with the body, so a
 * receiver that refuses an old one refuses a replayed delivery.
 */
export const WEBHOOK_HEADERS = {
  eventId: 'X-Cards-Event-Id',
  timestamp: 'X-Cards-Timestamp',
  signature: 'X-Cards-Signature',
} as const;

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export function webhookSignature(rawBody: string | Buffer, secret: string | Buffer, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export type WebhookVerification =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: 'MISSING_SIGNATURE' | 'MALFORMED_SIGNATURE' | 'STALE_TIMESTAMP' | 'BAD_SIGNATURE' };

/**
 * For receivers (and tests): checks `header` (the X-Cards-Signature value) against the raw body as received,
 * byte for byte, before any JSON parsing. Refuses a timestamp more than `toleranceSeconds` from `now` either way
 * (a replay, or a clock far off), and a signature that does not match, compared in constant time. Several `v1=`
 * entries are accepted (any one matching will do).
 */
export function verifyWebhookSignature(
  rawBody: string | Buffer,
  header: string | undefined | null,
  secret: string | Buffer,
  toleranceSeconds: number = DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  now: Date = new Date(),
): WebhookVerification {
  if (header === undefined || header === null || header.trim() === '') return { ok: false, reason: 'MISSING_SIGNATURE' };
  let timestamp: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (value === undefined || rest.length > 0) return { ok: false, reason: 'MALFORMED_SIGNATURE' };
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return { ok: false, reason: 'MALFORMED_SIGNATURE' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return { ok: false, reason: 'MALFORMED_SIGNATURE' };
      candidates.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, a future v2) are ignored.
  }
  if (timestamp === undefined || candidates.length === 0) return { ok: false, reason: 'MALFORMED_SIGNATURE' };
  if (Math.abs(Math.floor(now.getTime() / 1000) - timestamp) > toleranceSeconds) return { ok: false, reason: 'STALE_TIMESTAMP' };

  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  let matched = false;
  for (const candidate of candidates) matched = timingSafeEqual(candidate, expected) || matched;
  return matched ? { ok: true, timestamp } : { ok: false, reason: 'BAD_SIGNATURE' };
}
