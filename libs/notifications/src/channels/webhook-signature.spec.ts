import { verifyWebhookSignature, webhookSignature } from './webhook-signature';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const BODY = '{"id":"evt-1","type":"CardActivated","streamId":"card-1","data":{},"metadata":{},"recordedAt":"2026-11-23T09:05:00.000Z"}';
const T = 1_800_000_000;
const AT = new Date(T * 1000);

describe('verifyWebhookSignature', () => {
  it('accepts the signature of the body, at the time and within the tolerance either way', () => {
    const header = webhookSignature(BODY, SECRET, T);
    expect(verifyWebhookSignature(BODY, header, SECRET, 300, AT)).toEqual({ ok: true, timestamp: T });
    expect(verifyWebhookSignature(Buffer.from(BODY), header, SECRET, 300, new Date((T + 300) * 1000))).toEqual({ ok: true, timestamp: T });
    expect(verifyWebhookSignature(BODY, header, SECRET, 300, new Date((T - 300) * 1000)).ok).toBe(true);
  });

  it('computes hex HMAC-SHA256 of "<t>.<body>"', () => {
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const mac = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(webhookSignature(BODY, SECRET, T)).toBe(`t=${T},v1=${mac}`);
  });

  it('refuses a stale timestamp (a replay), even with a valid signature', () => {
    const header = webhookSignature(BODY, SECRET, T);
    expect(verifyWebhookSignature(BODY, header, SECRET, 300, new Date((T + 301) * 1000))).toEqual({ ok: false, reason: 'STALE_TIMESTAMP' });
    expect(verifyWebhookSignature(BODY, header, SECRET, 300, new Date((T - 301) * 1000))).toEqual({ ok: false, reason: 'STALE_TIMESTAMP' });
  });

  it('refuses a tampered body, a wrong secret, and a timestamp changed without re-signing', () => {
    const header = webhookSignature(BODY, SECRET, T);
    expect(verifyWebhookSignature(BODY.replace('CardActivated', 'CardCancelled'), header, SECRET, 300, AT)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(verifyWebhookSignature(`${BODY} `, header, SECRET, 300, AT)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(verifyWebhookSignature(BODY, header, `${SECRET}x`, 300, AT)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    const moved = header.replace(`t=${T}`, `t=${T + 10}`);
    expect(verifyWebhookSignature(BODY, moved, SECRET, 300, AT)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('accepts any one of several v1 signatures (secret rotation) and ignores other schemes', () => {
    const good = webhookSignature(BODY, SECRET, T).split(',')[1];
    const other = webhookSignature(BODY, 'old-secret-old-secret-old-secret-old', T).split(',')[1];
    expect(verifyWebhookSignature(BODY, `t=${T},${other},v0=abc,${good}`, SECRET, 300, AT).ok).toBe(true);
  });

  it('refuses a missing or malformed header', () => {
    expect(verifyWebhookSignature(BODY, undefined, SECRET, 300, AT)).toEqual({ ok: false, reason: 'MISSING_SIGNATURE' });
    expect(verifyWebhookSignature(BODY, '', SECRET, 300, AT)).toEqual({ ok: false, reason: 'MISSING_SIGNATURE' });
    for (const header of ['garbage', `t=${T}`, 'v1=' + 'a'.repeat(64), `t=abc,v1=${'a'.repeat(64)}`, `t=${T},v1=xyz`, `t=${T},t=${T},v1=${'a'.repeat(64)}`]) {
      expect(verifyWebhookSignature(BODY, header, SECRET, 300, AT)).toEqual({ ok: false, reason: 'MALFORMED_SIGNATURE' });
    }
  });
});
