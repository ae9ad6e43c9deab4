import { HttpWebhookPublisher, type HttpWebhookPublisherOptions, type WebhookEvent } from './webhook-publisher';
import { verifyWebhookSignature } from './webhook-signature';
import { ScriptedHttpServer, type RecordedRequest } from './testing/scripted-http-server';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const EVENT: WebhookEvent = {
  id: 'evt-0001',
  type: 'CardActivated',
  streamId: 'card-3f2a',
  data: { cardId: '3f2a', channel: 'APP' },
  metadata: { correlationId: 'corr-1' },
  recordedAt: new Date('2026-11-23T09:05:00.000Z'),
};

let receiver: ScriptedHttpServer;
let logLines: string[];

/** The receiver's rule: 204 when the signature verifies, 401 otherwise. */
function verifying(request: RecordedRequest) {
  const check = verifyWebhookSignature(request.rawBody, request.headers['x-cards-signature'] as string | undefined, SECRET);
  return check.ok ? { status: 204 } : { status: 401, body: { error: check.reason } };
}

beforeAll(async () => {
  receiver = await ScriptedHttpServer.listen(verifying);
  await fetch(`${receiver.url}/warm-up`).then((r) => r.text());
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.reset();
  logLines = [];
});
afterEach(() => {
  for (const line of logLines) expect(line).not.toContain(SECRET);
});

function publisher(options: Partial<HttpWebhookPublisherOptions> = {}): HttpWebhookPublisher {
  return new HttpWebhookPublisher({
    urls: [`${receiver.url}/hooks/cards`],
    secret: SECRET,
    timeoutMs: 500,
    retries: 2,
    backoffBaseMs: 20,
    random: () => 0.5,
    log: { warn: (l) => logLines.push(l), debug: (l) => logLines.push(l) },
    ...options,
  });
}

describe('HttpWebhookPublisher against a local receiver', () => {
  it('posts the event as JSON with the event id, timestamp and a signature the receiver verifies', async () => {
    const result = await publisher().publish(EVENT);

    expect(result).toEqual({ eventId: 'evt-0001', deliveries: [{ target: `${receiver.url}/hooks/cards`, outcome: 'DELIVERED', status: 204, attempts: 1 }] });
    const [request] = receiver.requests;
    expect(request.path).toBe('/hooks/cards');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-cards-event-id']).toBe('evt-0001');
    const timestamp = Number(request.headers['x-cards-timestamp']);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(5);
    expect(request.headers['x-cards-signature']).toMatch(new RegExp(`^t=${timestamp},v1=[0-9a-f]{64}$`));
    expect(JSON.parse(request.rawBody)).toEqual({ ...EVENT, recordedAt: '2026-11-23T09:05:00.000Z' });
    expect(verifyWebhookSignature(request.rawBody, request.headers['x-cards-signature'] as string, SECRET)).toEqual({ ok: true, timestamp });
  });

  it('retries after a 503 and delivers, with the same event id and a fresh signature', async () => {
    const start = Math.floor(Date.now() / 1000);
    let clock = start;
    receiver.reply({ status: 503, headers: { 'retry-after': '0' } });
    const result = await publisher({ now: () => clock++ }).publish(EVENT);

    expect(result.deliveries).toEqual([expect.objectContaining({ outcome: 'DELIVERED', attempts: 2 })]);
    expect(receiver.requests).toHaveLength(2);
    const [first, second] = receiver.requests;
    expect(second.headers['x-cards-event-id']).toBe(first.headers['x-cards-event-id']);
    expect(second.rawBody).toBe(first.rawBody);
    expect(second.headers['x-cards-timestamp']).toBe(String(start + 1));
    expect(second.headers['x-cards-signature']).not.toBe(first.headers['x-cards-signature']);
  });

  it('delivers to each URL independently: one refusing with 4xx is PERMANENT, without retry', async () => {
    const other = await ScriptedHttpServer.listen(() => ({ status: 410 }));
    try {
      const result = await publisher({ urls: [`${receiver.url}/a`, `${other.url}/b?token=q-secret`] }).publish(EVENT);
      expect(result.deliveries).toEqual([
        expect.objectContaining({ target: `${receiver.url}/a`, outcome: 'DELIVERED' }),
        expect.objectContaining({ target: `${other.url}/b`, outcome: 'PERMANENT', reason: 'REJECTED', attempts: 1 }),
      ]);
      expect(other.requests).toHaveLength(1);
      expect(JSON.stringify(result)).not.toContain('q-secret');
    } finally {
      await other.close();
    }
  });

  it('answers RETRYABLE after the retries when the receiver keeps failing', async () => {
    receiver.reply({ status: 500 }, { status: 502 }, { status: 503 });
    const result = await publisher().publish(EVENT);
    expect(result.deliveries[0]).toMatchObject({ outcome: 'RETRYABLE', reason: 'SERVER_ERROR', attempts: 3 });
    const delivery = result.deliveries[0];
    expect(delivery.outcome !== 'DELIVERED' && delivery.error).toContain('WEBHOOK_RETRIES=2');
    // The error carries statuses, never the event's data.
    expect(delivery.outcome !== 'DELIVERED' && delivery.error).not.toContain('3f2a');
  });

  it('a receiver with another secret refuses the delivery (401, PERMANENT)', async () => {
    const result = await publisher({ secret: 'another-secret-another-secret-another-secret' }).publish(EVENT);
    expect(result.deliveries[0]).toMatchObject({ outcome: 'PERMANENT', reason: 'REJECTED' });
  });
});
