import { randomUUID } from 'node:crypto';
import { SqliteEventStore, type EventToAppend } from '@cards/event-store';
import { SqliteReadStore } from '@cards/read-store';
import { HttpWebhookPublisher } from '../channels/webhook-publisher';
import { ScriptedHttpServer } from '../channels/testing/scripted-http-server';
import { WEBHOOK_RELAY_CHECKPOINT, WebhookRelay } from './webhook-relay';

const SECRET = 'relay-test-secret-0123456789abcdef0123456789';
const quiet = { warn: () => undefined, debug: () => undefined };

const cardEvent = (type: string, data: Record<string, string> = {}): EventToAppend => ({ id: randomUUID(), type, data, metadata: { schemaVersion: 1 } });

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the webhook relay, against a real store and a local receiver', () => {
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let receiver: ScriptedHttpServer;
  let relay: WebhookRelay | undefined;

  const startRelay = () => {
    const publisher = new HttpWebhookPublisher({ urls: [`${receiver.url}/in`], secret: SECRET, timeoutMs: 2_000, retries: 0, log: quiet });
    const config = { get: () => ({ notificationChannels: { webhooks: {} }, projectionsInProcess: true }) };
    relay = new WebhookRelay(events, reads, publisher, config as never, undefined, [10, 40]);
    relay.onApplicationBootstrap();
  };
  /** Waits until the relay's checkpoint is at the newest event of the log. */
  const checkpointAtHead = async () => {
    const head = await events.headPosition();
    const deadline = Date.now() + 10_000;
    while ((await reads.checkpoint(WEBHOOK_RELAY_CHECKPOINT))?.position?.commit !== head?.commit) {
      if (Date.now() > deadline) throw new Error('the checkpoint did not reach the head');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const types = () => receiver.requests.map((r) => `${JSON.parse(r.rawBody).type}@${r.headers['x-cards-event-id']}`);

  beforeEach(async () => {
    events = SqliteEventStore.open(':memory:');
    reads = SqliteReadStore.open(':memory:');
    receiver = await ScriptedHttpServer.listen(() => ({ status: 204 }));
  });
  afterEach(async () => {
    await relay?.beforeApplicationShutdown();
    relay = undefined;
    await receiver.close();
    await reads.close();
    await events.close();
  });

  it('holds on an event the receiver cannot take yet, sends it again, and keeps the order; other streams are not sent', async () => {
    const card = `card-${randomUUID()}`;
    const issued = cardEvent('CardIssued');
    const suspended = cardEvent('CardSuspended');
    await events.appendToStream(card, [issued], { expectedRevision: 'no_stream' });
    await events.appendToStream(`customer-${randomUUID()}`, [cardEvent('CustomerRegistered')], { expectedRevision: 'no_stream' });
    await events.appendToStream(card, [suspended], { expectedRevision: 0n });
    receiver.reply({ status: 503 }, { status: 429 });
    startRelay();
    await until(() => receiver.requests.length === 4, 'four requests');
    expect(types()).toEqual([
      `CardIssued@${issued.id}`,
      `CardIssued@${issued.id}`,
      `CardIssued@${issued.id}`,
      `CardSuspended@${suspended.id}`,
    ]);
    // The checkpoint follows the last delivery (the customer's event, not sent, is passed on the way).
    await checkpointAtHead();
    expect(receiver.requests).toHaveLength(4);
  });

  it('relays a case\'s events too, without the texts people wrote', async () => {
    const caseStreamId = `case-${randomUUID()}`;
    const escalated = cardEvent('CaseEscalated', { assignee: 'agent-a', reason: 'first response due PT2H ago' });
    await events.appendToStream(caseStreamId, [{ ...cardEvent('CaseOpened'), data: { caseNumber: 'CS-1A2B3C4D', description: 'sealed text' } }, escalated], { expectedRevision: 'no_stream' });
    startRelay();
    await until(() => receiver.requests.length === 2, 'both case events');
    const bodies = receiver.requests.map((r) => JSON.parse(r.rawBody) as { type: string; data: Record<string, unknown> });
    expect(bodies.map((b) => b.type)).toEqual(['CaseOpened', 'CaseEscalated']);
    expect(bodies[0].data).toEqual({ caseNumber: 'CS-1A2B3C4D' });
    expect(bodies[1].data).toEqual({ assignee: 'agent-a', reason: 'first response due PT2H ago' });
  });

  it('passes an event the receiver refuses for good (4xx), and goes on; a restart resumes after the checkpoint', async () => {
    const card = `card-${randomUUID()}`;
    const first = cardEvent('CardIssued');
    const second = cardEvent('CardCancelled');
    await events.appendToStream(card, [first, second], { expectedRevision: 'no_stream' });
    receiver.reply({ status: 400 });
    startRelay();
    await until(() => receiver.requests.length === 2, 'two requests');
    expect(types()).toEqual([`CardIssued@${first.id}`, `CardCancelled@${second.id}`]);
    await checkpointAtHead();
    await relay!.beforeApplicationShutdown();

    const third = cardEvent('CardReinstated');
    await events.appendToStream(card, [third], { expectedRevision: 1n });
    startRelay();
    await until(() => receiver.requests.length === 3, 'the third event');
    expect(types()[2]).toBe(`CardReinstated@${third.id}`);
  });
});
