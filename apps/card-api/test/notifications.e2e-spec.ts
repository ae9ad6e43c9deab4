import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@cards/event-store';
import { NotificationReactor, verifyWebhookSignature } from '@cards/notifications';
import { ScriptedHttpServer, type RecordedRequest } from '@cards/notifications/channels/testing/scripted-http-server';
import * as fs from 'node:fs';
import { filesUnder, newDataDir, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { eventually } from './support/eventually';
import { activeDebitCard, issueDebitCard, linkedDebitCard, registerCustomer, wrongCvv } from './support/lifecycle-steps';

jest.setTimeout(60_000);

const WEBHOOK_SECRET = 'webhook-secret-for-e2e-tests-only-0123456789';

interface Mail {
  readonly to: string[];
  readonly raw: string;
}

async function notificationEvents(store: EventStore, cardId: string): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = [];
  for (let from: RecordedEvent['position'] | 'start' = 'start'; ; ) {
    const page = await store.readAll({ from, maxCount: 1000 });
    found.push(...page.filter((e) => e.streamId.startsWith('notification-') && e.data.cardId === cardId));
    if (page.length < 1000) return found;
    from = page[page.length - 1].position;
  }
}

const smsTo = (gateway: ScriptedHttpServer, key: string) => gateway.requests.filter((r) => r.headers['idempotency-key'] === key);
const bodyOf = (r: RecordedRequest) => JSON.parse(r.rawBody) as { messageId: string; to: string; text: string; encoding: string; segments: number };

describe('notifications: the reactor sends the notices, records their outcome and relays lifecycle events', () => {
  const dataDir = newDataDir();
  let t: TestApp;
  let store: EventStore;
  let gateway: ScriptedHttpServer;
  let hooks: ScriptedHttpServer;
  let smtp: SMTPServer;
  const mails: Mail[] = [];
  /** Messages the gateway took, by Idempotency-Key: a repeat with the same key is answered with the same id. */
  const accepted = new Map<string, string>();

  beforeAll(async () => {
    gateway = await ScriptedHttpServer.listen((request) => {
      const key = String(request.headers['idempotency-key']);
      if (!accepted.has(key)) accepted.set(key, `gw-${accepted.size + 1}`);
      return { status: 202, body: { id: accepted.get(key) } };
    });
    hooks = await ScriptedHttpServer.listen(() => ({ status: 204 }));
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const smtpPort = (smtp as unknown as { server: { address(): AddressInfo } }).server.address().port;
    t = await startTestApp(dataDir, {
      SMS_GATEWAY_URL: gateway.url,
      SMS_GATEWAY_RETRIES: '0',
      SMS_GATEWAY_TIMEOUT_MS: '2000',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMTP_FROM: 'cards@bank.example',
      WEBHOOK_URLS: `${hooks.url}/hooks/cards`,
      WEBHOOK_SECRET,
      WEBHOOK_RETRIES: '0',
      NOTIFY_RETRY_BASE_MS: '20',
      NOTIFY_RETRY_MAX_MS: '40',
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_POLL_MS: '20',
      NOTIFY_HOTLINE: '400-123-4567',
    });
    store = t.app.get<EventStore>(EVENT_STORE);
  });

  afterAll(async () => {
    await t.close();
    await gateway.close();
    await hooks.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    removeDataDir(dataDir);
  });

  it('confirms an activation at once by SMS and e-mail, records NotificationSent and shows it in the card view', async () => {
    const card = await activeDebitCard(t);
    const sent = await eventually(async () => {
      const events = (await notificationEvents(store, card.cardId)).filter((e) => e.type === 'NotificationSent');
      return events.length === 2 ? events : undefined;
    }, 'two NotificationSent');
    expect(sent.map((e) => e.data.channel).sort()).toEqual(['EMAIL', 'SMS']);
    expect(sent.every((e) => e.data.templateId === 'activation-confirmation' && e.data.attempt === 1)).toBe(true);

    const sms = sent.find((e) => e.data.channel === 'SMS')!;
    const requests = smsTo(gateway, String(sms.data.notificationId));
    expect(requests).toHaveLength(1);
    const body = bodyOf(requests[0]);
    expect(body.to).toBe('+8613800138000');
    expect(body.text).toContain(card.cardNumber.slice(-4));
    expect(body.text).not.toContain(card.cardNumber);
    expect(body.segments).toBe(1);
    expect(sms.data.providerMessageId).toBe(accepted.get(String(sms.data.notificationId)));

    const mail = mails.find((m) => m.raw.includes(String(sent.find((e) => e.data.channel === 'EMAIL')!.data.notificationId)));
    expect(mail?.to).toEqual(['zhang.san@example.com']);
    expect(mail?.raw).toContain('multipart/alternative');
    expect(mail?.raw).not.toContain(card.cardNumber);

    const view = await eventually(async () => {
      const res = await t.http().get(`/v1/cards/${card.cardId}`).expect(200);
      return res.body.notifications.items.filter((i: { status: string }) => i.status === 'SENT').length === 2 ? res.body : undefined;
    }, 'the card view to show both notices');
    expect(view.notifications.notifiedAt).toBe([...sent.map((e) => String(e.data.sentAt))].sort()[0]);
    expect(view.notifications.items.map((i: { templateId: string }) => i.templateId)).toEqual(['activation-confirmation', 'activation-confirmation']);
  });

  it('retries a notice the gateway could not take, under the same idempotency key, then records it sent', async () => {
    const card = await linkedDebitCard(t);
    gateway.reply({ status: 503 }, { status: 502 });
    await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber: card.cardNumber, cvv: card.cvv }).expect(200);
    const events = await eventually(async () => {
      const all = (await notificationEvents(store, card.cardId)).filter((e) => e.data.channel === 'SMS');
      return all.some((e) => e.type === 'NotificationSent') ? all : undefined;
    }, 'the SMS to be sent after retries');
    expect(events.map((e) => e.type)).toEqual(['NotificationRequested', 'NotificationFailed', 'NotificationFailed', 'NotificationSent']);
    expect(events.map((e) => e.data.attempt ?? null)).toEqual([null, 1, 2, 3]);
    expect(events[1].data.reason).toBe('SERVER_ERROR');
    expect(typeof events[1].data.nextAttemptAt).toBe('string');
    const keys = smsTo(gateway, String(events[0].data.notificationId)).map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
  });

  it('abandons a notice the gateway refuses, or one that keeps failing, and shows it in the card view', async () => {
    const refused = await linkedDebitCard(t);
    gateway.reply({ status: 400, body: { error: 'bad number' } });
    await t.http().post(`/v1/cards/${refused.cardId}/activate`).send({ channel: 'APP', cardNumber: refused.cardNumber, cvv: refused.cvv }).expect(200);
    const abandonedOnce = await eventually(async () => {
      const all = (await notificationEvents(store, refused.cardId)).filter((e) => e.data.channel === 'SMS');
      return all.some((e) => e.type === 'NotificationAbandoned') ? all : undefined;
    }, 'the refused SMS to be abandoned');
    expect(abandonedOnce.map((e) => e.type)).toEqual(['NotificationRequested', 'NotificationFailed', 'NotificationAbandoned']);
    expect(abandonedOnce[2].data).toMatchObject({ reason: 'PERMANENT_FAILURE', attempts: 1 });

    const failing = await linkedDebitCard(t);
    gateway.reply({ status: 500 }, { status: 500 }, { status: 500 });
    await t.http().post(`/v1/cards/${failing.cardId}/activate`).send({ channel: 'APP', cardNumber: failing.cardNumber, cvv: failing.cvv }).expect(200);
    const spent = await eventually(async () => {
      const all = (await notificationEvents(store, failing.cardId)).filter((e) => e.data.channel === 'SMS');
      return all.some((e) => e.type === 'NotificationAbandoned') ? all : undefined;
    }, 'the failing SMS to be abandoned');
    expect(spent.map((e) => e.type)).toEqual(['NotificationRequested', 'NotificationFailed', 'NotificationFailed', 'NotificationFailed', 'NotificationAbandoned']);
    expect(spent[4].data).toMatchObject({ reason: 'MAX_ATTEMPTS', attempts: 3 });

    const view = await eventually(async () => {
      const res = await t.http().get(`/v1/cards/${failing.cardId}`).expect(200);
      return res.body.notifications.items.some((i: { status: string }) => i.status === 'ABANDONED') ? res.body : undefined;
    }, 'the card view to show the abandoned notice');
    expect(view.notifications.items.find((i: { channel: string }) => i.channel === 'SMS')).toMatchObject({
      status: 'ABANDONED',
      abandonReason: 'MAX_ATTEMPTS',
      attempts: 3,
      lastFailureReason: 'SERVER_ERROR',
    });
    // The e-mail went through: the card is notified all the same.
    expect(view.notifications.notifiedAt).not.toBeNull();
  });

  it('sends a security alert for a wrong CVV2 with the attempts left, and nothing for an SMS-only customer by e-mail', async () => {
    const customerId = await registerCustomer(t, { preferredChannels: ['SMS'] });
    const card = await issueDebitCard(t, customerId);
    await t.http().post(`/v1/cards/${card.cardId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name: '张三', idNumber: card.idNumber }).expect(200);
    await t.http().post(`/v1/cards/${card.cardId}/link`).send({ accountId: 'ACC-2002' }).expect(200);
    const res = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber: card.cardNumber, cvv: wrongCvv(card.cvv) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const alert = await eventually(async () => {
      const all = await notificationEvents(store, card.cardId);
      return all.find((e) => e.type === 'NotificationSent' && e.data.templateId === 'security-alert-wrong-cvv');
    }, 'the security alert');
    expect(alert.data.channel).toBe('SMS');
    const all = await notificationEvents(store, card.cardId);
    const request = all.find((e) => e.type === 'NotificationRequested' && e.data.notificationId === alert.data.notificationId)!;
    expect(request.data).toMatchObject({ kind: 'SECURITY', facts: { attemptsLeft: 2, panLast4: card.cardNumber.slice(-4) } });
    expect(smsTo(gateway, String(alert.data.notificationId))).toHaveLength(1);
    expect(all.filter((e) => e.data.channel === 'EMAIL')).toEqual([]);
  });

  it('relays every lifecycle event of a card to the webhook, signed, in order', async () => {
    const card = await activeDebitCard(t);
    const received = await eventually(async () => {
      const mine = hooks.requests.filter((r) => JSON.parse(r.rawBody).streamId === `card-${card.cardId}`);
      return mine.length >= 4 ? mine : undefined;
    }, 'the card events at the webhook');
    expect(received.map((r) => JSON.parse(r.rawBody).type)).toEqual(['CardIssued', 'IdentityVerified', 'CardLinked', 'CardActivated']);
    for (const r of received) {
      expect(r.path).toBe('/hooks/cards');
      expect(verifyWebhookSignature(Buffer.from(r.rawBody), String(r.headers['x-cards-signature']), WEBHOOK_SECRET)).toMatchObject({ ok: true });
      expect(r.rawBody).not.toContain(card.cardNumber);
    }
    expect(hooks.requests.some((r) => JSON.parse(r.rawBody).streamId.startsWith('customer-'))).toBe(false);
  });

  it('sends nothing for imported history or for events older than NOTIFY_MAX_EVENT_AGE_HOURS', async () => {
    const card = await activeDebitCard(t);
    const activated = (await store.readStream(`card-${card.cardId}`)).find((e) => e.type === 'CardActivated')!;
    const reactor = t.app.get(NotificationReactor);
    expect(await reactor.take({ ...activated, id: 'c0ffee00-0000-8000-8000-000000000001', metadata: { ...activated.metadata, imported: true } })).toBe(0);
    const fourDaysAgo = new Date(Date.now() - 4 * 86_400_000);
    expect(await reactor.take({ ...activated, id: 'c0ffee00-0000-8000-8000-000000000002', recordedAt: fourDaysAgo })).toBe(0);
    // The same event, fresh, is taken by the running reactor; taking it again writes nothing new.
    const before = await eventually(async () => {
      const events = await notificationEvents(store, card.cardId);
      return events.filter((e) => e.type === 'NotificationSent').length === 2 ? events : undefined;
    }, 'both confirmations');
    expect(await reactor.take(activated)).toBe(2);
    expect(await notificationEvents(store, card.cardId)).toEqual(before);
    expect(new Set(before.map((e) => e.streamId)).size).toBe(2);
  });

  it('keeps the addresses, the name and the card numbers out of its events, the read models and the log', async () => {
    const card = await activeDebitCard(t);
    await eventually(async () => ((await notificationEvents(store, card.cardId)).filter((e) => e.type === 'NotificationSent').length === 2 ? true : undefined), 'the notices');
    // What the providers got does hold them: the scan below would find them if they had been written anywhere.
    expect(gateway.requests.some((r) => r.rawBody.includes('+8613800138000'))).toBe(true);
    expect(mails.some((m) => m.to.includes('zhang.san@example.com'))).toBe(true);
    const secrets = ['13800138000', 'zhang.san@example.com', '张三', card.cardNumber];
    for (const file of filesUnder(dataDir)) {
      const bytes = fs.readFileSync(file);
      for (const secret of secrets) {
        expect({ file, secret, found: bytes.includes(Buffer.from(secret, 'utf8')) || bytes.includes(Buffer.from(secret, 'utf16le')) }).toEqual({ file, secret, found: false });
      }
    }
  });
});

describe('notifications during the quiet hours', () => {
  const dataDir = newDataDir();
  let t: TestApp;
  let gateway: ScriptedHttpServer;

  beforeAll(async () => {
    gateway = await ScriptedHttpServer.listen((request) => ({ status: 202, body: { id: `gw-${String(request.headers['idempotency-key'])}` } }));
    // Quiet from an hour ago to two hours from now, Shanghai time: whatever the time the test runs.
    const shanghai = (offsetMinutes: number) => {
      const d = new Date(Date.now() + 8 * 3_600_000 + offsetMinutes * 60_000);
      return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    };
    t = await startTestApp(dataDir, { SMS_GATEWAY_URL: gateway.url, NOTIFY_POLL_MS: '20', NOTIFY_QUIET_HOURS: `${shanghai(-60)}-${shanghai(120)}` });
  });

  afterAll(async () => {
    await t.close();
    await gateway.close();
    removeDataDir(dataDir);
  });

  it('sends the activation confirmation at once, and keeps a suspension notice until the quiet hours end', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const card = await activeDebitCard(t);
    await eventually(async () => ((await notificationEvents(store, card.cardId)).some((e) => e.type === 'NotificationSent') ? true : undefined), 'the confirmation');
    await t.http().post(`/v1/cards/${card.cardId}/suspend`).send({ reason: 'Customer reported it lost' }).expect(200);
    const requested = await eventually(
      async () => (await notificationEvents(store, card.cardId)).find((e) => e.type === 'NotificationRequested' && e.data.templateId === 'card-suspended'),
      'the suspension notice to be requested',
    );
    const waitMinutes = (Date.parse(String(requested.data.sendAt)) - Date.parse(String(requested.data.requestedAt))) / 60_000;
    expect(waitMinutes).toBeGreaterThan(115);
    expect(waitMinutes).toBeLessThanOrEqual(121);
    // A while later it has still not gone: it is pending, in the card view too.
    await new Promise((r) => setTimeout(r, 200));
    expect(smsTo(gateway, String(requested.data.notificationId))).toEqual([]);
    const view = await t.http().get(`/v1/cards/${card.cardId}`).expect(200);
    expect(view.body.notifications.items.find((i: { templateId: string }) => i.templateId === 'card-suspended')).toMatchObject({
      status: 'PENDING',
      sendAt: requested.data.sendAt,
      nextAttemptAt: requested.data.sendAt,
    });
  });
});

