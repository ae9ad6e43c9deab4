import { randomUUID } from 'node:crypto';
import { appendNotices, type NoticeStory } from './support/notification-events';
import { removeDataDir, startTestApp, type TestApp } from './support/test-app';

/**
 * GET /v1/reports/notifications through the real app: notices appended to their own streams as the notification
 * reactor records them, read back through the `notifications` projection, figures counted by hand.
 */

const T = Date.parse('2026-03-02T09:00:00.000Z');
const SECOND = 1_000;
const range = { from: '2026-03-02', to: '2026-03-03' };
const about = (cardId: string | null = randomUUID()) => ({ customerId: randomUUID(), cardId, requestedAt: T });
const NO_ABANDONS = { MAX_ATTEMPTS: 0, PERMANENT_FAILURE: 0, NO_RECIPIENT: 0 };

const stories: NoticeStory[] = [
  // SMS activation confirmations: sent after 0.8 s, 1.2 s, 2.5 s; one failed once and went out 65 s after it was due;
  // one given up after three failed attempts
  { ...about(), templateId: 'activation-confirmation', channel: 'SMS', sentAt: T + 800 },
  { ...about(), templateId: 'activation-confirmation', channel: 'SMS', sentAt: T + 1_200 },
  { ...about(), templateId: 'activation-confirmation', channel: 'SMS', sentAt: T + 2_500 },
  { ...about(), templateId: 'activation-confirmation', channel: 'SMS', failedAt: [T + 5 * SECOND], sentAt: T + 65 * SECOND },
  {
    ...about(),
    templateId: 'activation-confirmation',
    channel: 'SMS',
    failedAt: [T + 5 * SECOND, T + 65 * SECOND, T + 125 * SECOND],
    abandoned: { reason: 'MAX_ATTEMPTS', at: T + 125 * SECOND },
  },
  // e-mail: sent after 3 s; one requested at night that waited for the end of the quiet hours and went 2 s after
  { ...about(), templateId: 'activation-confirmation', channel: 'EMAIL', sentAt: T + 3 * SECOND },
  {
    ...about(),
    requestedAt: Date.parse('2026-03-02T14:30:00.000Z'),
    sendAt: Date.parse('2026-03-03T00:00:00.000Z'),
    templateId: 'activation-confirmation',
    channel: 'EMAIL',
    sentAt: Date.parse('2026-03-03T00:00:02.000Z'),
  },
  // a notice about the customer alone, not sent yet
  { ...about(null), templateId: 'card-suspended', channel: 'SMS' },
  // requested the day before: not in the range
  { ...about(), requestedAt: T - 86_400_000, templateId: 'activation-confirmation', channel: 'SMS', sentAt: T - 86_400_000 + 90 * SECOND },
];

describe('GET /v1/reports/notifications', () => {
  let t: TestApp;
  let position: string;
  let analyst: string;

  beforeAll(async () => {
    t = await startTestApp(undefined, { LOG_LEVEL: 'warn' });
    position = await appendNotices(t, stories);
    analyst = await t.token({ roles: ['analyst'], sub: 'analyst-notices' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  const get = (query: Record<string, string>, token = analyst) => t.http(token).get('/v1/reports/notifications').query({ minPosition: position, ...query });

  it('counts sent, pending, abandoned and failed notices, with exact p50 and p95 latency, per channel and template', async () => {
    const res = await get(range).expect(200);
    expect(res.body).toMatchObject({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z', channel: null, templateId: null, nextCursor: null });
    expect(res.body.items).toEqual([
      {
        channel: 'SMS',
        templateId: 'activation-confirmation',
        requested: 5,
        sent: 4,
        pending: 0,
        abandoned: 1,
        failedAttempts: 4,
        withFailures: 2,
        abandonedByReason: { ...NO_ABANDONS, MAX_ATTEMPTS: 1 },
        // 0.8, 1.2, 2.5, 65 s: p50 rank 2, p95 rank 4
        latency: { count: 4, p50Ms: 1_200, p95Ms: 65_000, p50: 'PT1.2S', p95: 'PT1M5S' },
      },
      {
        channel: 'SMS',
        templateId: 'card-suspended',
        requested: 1,
        sent: 0,
        pending: 1,
        abandoned: 0,
        failedAttempts: 0,
        withFailures: 0,
        abandonedByReason: NO_ABANDONS,
        latency: { count: 0, p50Ms: null, p95Ms: null, p50: null, p95: null },
      },
      {
        channel: 'EMAIL',
        templateId: 'activation-confirmation',
        requested: 2,
        sent: 2,
        pending: 0,
        abandoned: 0,
        failedAttempts: 0,
        withFailures: 0,
        abandonedByReason: NO_ABANDONS,
        // the night's notice counts from the end of the quiet hours: 2 s, not 9 h 30 min
        latency: { count: 2, p50Ms: 2_000, p95Ms: 3_000, p50: 'PT2S', p95: 'PT3S' },
      },
    ]);
    expect(res.body.totals.byChannel.SMS).toMatchObject({ requested: 6, sent: 4, pending: 1, abandoned: 1, latency: { p50Ms: 1_200, p95Ms: 65_000 } });
    expect(res.body.totals.overall).toEqual({
      requested: 8,
      sent: 6,
      pending: 1,
      abandoned: 1,
      failedAttempts: 4,
      withFailures: 2,
      abandonedByReason: { ...NO_ABANDONS, MAX_ATTEMPTS: 1 },
      // 0.8, 1.2, 2, 2.5, 3, 65 s: p50 rank 3, p95 rank ceil(5.7) = 6
      latency: { count: 6, p50Ms: 2_000, p95Ms: 65_000, p50: 'PT2S', p95: 'PT1M5S' },
    });
  });

  it('narrows to a channel and to a template', async () => {
    const email = (await get({ ...range, channel: 'EMAIL' }).expect(200)).body;
    expect(email.channel).toBe('EMAIL');
    expect(email.items.map((r: { channel: string; templateId: string }) => `${r.channel} ${r.templateId}`)).toEqual(['EMAIL activation-confirmation']);
    expect(Object.keys(email.totals.byChannel)).toEqual(['EMAIL']);

    const suspended = (await get({ ...range, templateId: 'card-suspended' }).expect(200)).body;
    expect(suspended.items).toHaveLength(1);
    expect(suspended.totals.overall).toMatchObject({ requested: 1, pending: 1 });
  });

  it.each([
    ['from', { from: 'yesterday', to: range.to }],
    ['to', { from: range.from, to: '2026-03-32' }],
    ['from', { from: range.to, to: range.from }],
    ['channel', { ...range, channel: 'FAX' }],
    ['templateId', { ...range, templateId: 'no-such-template' }],
    ['templateId', { ...range, templateId: 'Activation Confirmation' }],
  ])('answers 400 naming %s for %j', async (field, query) => {
    const res = await get(query as Record<string, string>).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('is for analysts only', async () => {
    for (const role of ['issuer', 'agent', 'auditor', 'admin']) {
      const res = await get(range, await t.token({ roles: [role], sub: `only-${role}` })).expect(403);
      expect(res.body).toMatchObject({ code: 'ROLE_NOT_ALLOWED', allowedRoles: ['analyst'] });
    }
  });
});
