import { HttpSmsChannel, type HttpSmsChannelOptions } from './http-sms-channel';
import type { NotificationMessage, SendResult } from './channel';
import { ScriptedHttpServer } from './testing/scripted-http-server';

const TOKEN = 'gateway-token-5d1e7c';
const PHONE = '+8613800138000';
const TEXT = '【银行】您尾号1234的借记卡已激活。请勿向任何人透露CVV或验证码。';
const MESSAGE: NotificationMessage = { notificationId: 'ntf-7f3a-sms-1', channel: 'SMS', to: PHONE, text: TEXT };
const SECRETS = [PHONE, '13800138000', TEXT, '借记卡', TOKEN];

let gateway: ScriptedHttpServer;
let logLines: string[];
let results: SendResult[];
let ids = 0;

beforeAll(async () => {
  gateway = await ScriptedHttpServer.listen(() => ({ status: 202, body: { id: `gw-${++ids}` } }));
  await fetch(`${gateway.url}/warm-up`).then((r) => r.text());
});
afterAll(() => gateway.close());
beforeEach(() => {
  gateway.reset();
  logLines = [];
  results = [];
});
afterEach(() => {
  for (const result of results) if (result.outcome !== 'SENT') logLines.push(result.error);
  for (const line of logLines) for (const secret of SECRETS) expect(line).not.toContain(secret);
});

function channel(options: Partial<HttpSmsChannelOptions> = {}): HttpSmsChannel {
  return new HttpSmsChannel({
    url: gateway.url,
    token: TOKEN,
    timeoutMs: 500,
    retries: 2,
    backoffBaseMs: 20,
    random: () => 0.5,
    log: { warn: (l) => logLines.push(l), debug: (l) => logLines.push(l) },
    ...options,
  });
}

async function send(adapter = channel(), message = MESSAGE): Promise<SendResult> {
  const result = await adapter.send(message);
  results.push(result);
  return result;
}

describe('HttpSmsChannel against a local gateway', () => {
  it('posts the documented JSON with Idempotency-Key and bearer token, and answers SENT with the gateway id', async () => {
    gateway.reply({ status: 200, body: { id: 'gw-abc-1', status: 'QUEUED' } });
    expect(await send()).toEqual({ outcome: 'SENT', providerMessageId: 'gw-abc-1', attempts: 1 });
    expect(gateway.requests).toHaveLength(1);
    const [request] = gateway.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/messages');
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': 'ntf-7f3a-sms-1',
      authorization: `Bearer ${TOKEN}`,
    });
    expect(JSON.parse(request.rawBody)).toEqual({ messageId: 'ntf-7f3a-sms-1', to: PHONE, text: TEXT, encoding: 'UCS-2', segments: 1 });
  });

  it('sends no Authorization header without a token, and counts GSM-7 segments', async () => {
    const text = 'x'.repeat(161);
    expect(await send(channel({ token: undefined }), { ...MESSAGE, text })).toMatchObject({ outcome: 'SENT' });
    expect(gateway.requests[0].headers.authorization).toBeUndefined();
    expect(JSON.parse(gateway.requests[0].rawBody)).toMatchObject({ encoding: 'GSM-7', segments: 2 });
  });

  it('retries a 500 with the same Idempotency-Key and body, then SENT', async () => {
    gateway.reply({ status: 500, body: { error: 'boom' } }, { status: 201, body: { id: 'gw-after-500' } });
    expect(await send()).toEqual({ outcome: 'SENT', providerMessageId: 'gw-after-500', attempts: 2 });
    expect(gateway.requests).toHaveLength(2);
    expect(gateway.requests[1].headers['idempotency-key']).toBe(gateway.requests[0].headers['idempotency-key']);
    expect(gateway.requests[1].rawBody).toBe(gateway.requests[0].rawBody);
    expect(logLines.some((l) => l.includes('HTTP 500') && l.includes('retrying'))).toBe(true);
  });

  it('honours Retry-After on a 429', async () => {
    gateway.reply({ status: 429, headers: { 'retry-after': '1' } }, { status: 202, body: { id: 'gw-after-429' } });
    const result = await send();
    expect(result).toEqual({ outcome: 'SENT', providerMessageId: 'gw-after-429', attempts: 2 });
    expect(gateway.requests[1].receivedAt - gateway.requests[0].receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After above the cap: RETRYABLE RATE_LIMITED at once', async () => {
    gateway.reply({ status: 429, headers: { 'retry-after': '3600' } });
    const result = await send(channel({ maxRetryAfterMs: 2000 }));
    expect(result).toMatchObject({ outcome: 'RETRYABLE', reason: 'RATE_LIMITED', attempts: 1 });
    expect(gateway.requests).toHaveLength(1);
  });

  it('answers a 400 PERMANENT without retrying', async () => {
    gateway.reply({ status: 400, body: { error: `invalid number ${PHONE}` } });
    const result = await send();
    expect(result).toMatchObject({ outcome: 'PERMANENT', reason: 'REJECTED', attempts: 1 });
    expect(gateway.requests).toHaveLength(1);
  });

  it('names SMS_GATEWAY_TOKEN on a 401', async () => {
    gateway.reply({ status: 401 });
    const result = await send();
    expect(result).toMatchObject({ outcome: 'PERMANENT', reason: 'REJECTED' });
    expect(result.outcome !== 'SENT' && result.error).toContain('SMS_GATEWAY_TOKEN');
  });

  it('gives up on a slow gateway after every retry: RETRYABLE TIMEOUT', async () => {
    const slow = { delayMs: 400, then: { status: 202, body: { id: 'too-late' } } };
    gateway.reply(slow, slow, slow);
    const result = await send(channel({ timeoutMs: 100, retries: 2 }));
    expect(result).toMatchObject({ outcome: 'RETRYABLE', reason: 'TIMEOUT', attempts: 3 });
    expect(result.outcome !== 'SENT' && result.error).toContain('SMS_GATEWAY_RETRIES=2');
    expect(gateway.requests).toHaveLength(3);
  });

  it('retries a 2xx it cannot read (same key, safe) and answers RETRYABLE MALFORMED_RESPONSE when it stays so', async () => {
    gateway.reply({ status: 200, body: `<html>${PHONE}</html>` }, { status: 200, body: { noId: true } }, { status: 202, body: '{not json' });
    const result = await send();
    expect(result).toMatchObject({ outcome: 'RETRYABLE', reason: 'MALFORMED_RESPONSE', attempts: 3 });
    expect(gateway.requests).toHaveLength(3);
  });

  it('recovers when garbage is followed by a proper answer', async () => {
    gateway.reply({ status: 200, body: 'garbage' }, { status: 200, body: { id: 'gw-ok' } });
    expect(await send()).toEqual({ outcome: 'SENT', providerMessageId: 'gw-ok', attempts: 2 });
  });

  it('answers RETRYABLE CONNECTION_FAILED when nothing listens', async () => {
    const closed = await ScriptedHttpServer.listen(() => ({ status: 200 }));
    const url = closed.url;
    await closed.close();
    const result = await send(channel({ url, retries: 1 }));
    expect(result).toMatchObject({ outcome: 'RETRYABLE', reason: 'CONNECTION_FAILED', attempts: 2 });
  });

  it('refuses a message it cannot send, PERMANENT INVALID_MESSAGE, without a request', async () => {
    expect(await send(channel(), { ...MESSAGE, channel: 'EMAIL' })).toMatchObject({ outcome: 'PERMANENT', reason: 'INVALID_MESSAGE', attempts: 0 });
    expect(await send(channel(), { ...MESSAGE, notificationId: 'has space' })).toMatchObject({ outcome: 'PERMANENT', reason: 'INVALID_MESSAGE' });
    expect(await send(channel(), { ...MESSAGE, to: ' ' })).toMatchObject({ outcome: 'PERMANENT', reason: 'INVALID_MESSAGE' });
    expect(gateway.requests).toHaveLength(0);
  });
});
