import { notificationsReport } from './notifications-report';
import { notification, parameterErrorFrom, plus, streamed } from './testing/report-fixtures';

const T = '2026-11-10T08:00:00.000Z';
const range = { from: '2026-11-01', to: '2026-12-01' };
const HOUR = 3_600;
const NO_ABANDONS = { MAX_ATTEMPTS: 0, PERMANENT_FAILURE: 0, NO_RECIPIENT: 0 };

/** Hand-counted notices: the comment on each says how it went. */
const notices = [
  // SMS activation confirmations: sent after 1 s, 2 s, and 63 s (one failed attempt, retried a minute later)
  notification({ requestedAt: T, sentAt: plus(T, 1) }),
  notification({ requestedAt: T, sentAt: plus(T, 2) }),
  notification({ requestedAt: T, sentAt: plus(T, 63), failedAttempts: 1 }),
  // given up after five failed attempts
  notification({ requestedAt: T, abandonReason: 'MAX_ATTEMPTS', failedAttempts: 5 }),
  // waiting for its first attempt
  notification({ requestedAt: T }),
  // an SMS that waited for the end of the quiet hours (10 h), then went out in half a second: latency 0.5 s
  notification({ templateId: 'card-suspended', requestedAt: T, sendAt: plus(T, 10 * HOUR), sentAt: plus(T, 10 * HOUR + 0.5) }),
  // e-mails: one sent after 4.25 s (the projection gave no latencyMs: taken from the times), one without an address
  notification({ channel: 'EMAIL', requestedAt: T, sentAt: plus(T, 4.25), latencyMs: null }),
  notification({ channel: 'EMAIL', requestedAt: T, abandonReason: 'NO_RECIPIENT' }),
  // requested before the range, and at its end: not counted
  notification({ requestedAt: '2026-10-31T23:59:59.999Z', sentAt: '2026-11-01T00:00:01.000Z' }),
  notification({ requestedAt: '2026-12-01T00:00:00.000Z', abandonReason: 'PERMANENT_FAILURE' }),
];

describe('notificationsReport', () => {
  it('counts sent, pending, abandoned and failed notices and their exact delivery latency, per channel and template', async () => {
    // when
    const report = await notificationsReport(notices, range);

    // then
    expect(report.from).toBe('2026-11-01T00:00:00.000Z');
    expect(report.to).toBe('2026-12-01T00:00:00.000Z');
    expect(report.channel).toBeNull();
    expect(report.templateId).toBeNull();
    expect(report.rows).toEqual([
      {
        channel: 'SMS',
        templateId: 'activation-confirmation',
        requested: 5,
        sent: 3,
        pending: 1,
        abandoned: 1,
        failedAttempts: 6,
        withFailures: 2,
        abandonedByReason: { ...NO_ABANDONS, MAX_ATTEMPTS: 1 },
        // 1 s, 2 s, 63 s: p50 rank ceil(1.5) = 2, p95 rank ceil(2.85) = 3
        latency: { count: 3, p50Ms: 2_000, p95Ms: 63_000, p50: 'PT2S', p95: 'PT1M3S' },
      },
      {
        channel: 'SMS',
        templateId: 'card-suspended',
        requested: 1,
        sent: 1,
        pending: 0,
        abandoned: 0,
        failedAttempts: 0,
        withFailures: 0,
        abandonedByReason: NO_ABANDONS,
        latency: { count: 1, p50Ms: 500, p95Ms: 500, p50: 'PT0.5S', p95: 'PT0.5S' },
      },
      {
        channel: 'EMAIL',
        templateId: 'activation-confirmation',
        requested: 2,
        sent: 1,
        pending: 0,
        abandoned: 1,
        failedAttempts: 0,
        withFailures: 0,
        abandonedByReason: { ...NO_ABANDONS, NO_RECIPIENT: 1 },
        latency: { count: 1, p50Ms: 4_250, p95Ms: 4_250, p50: 'PT4.25S', p95: 'PT4.25S' },
      },
    ]);
    expect(report.totals.byChannel.SMS).toEqual({
      requested: 6,
      sent: 4,
      pending: 1,
      abandoned: 1,
      failedAttempts: 6,
      withFailures: 2,
      abandonedByReason: { ...NO_ABANDONS, MAX_ATTEMPTS: 1 },
      // 0.5 s, 1 s, 2 s, 63 s: p50 rank 2, p95 rank ceil(3.8) = 4
      latency: { count: 4, p50Ms: 1_000, p95Ms: 63_000, p50: 'PT1S', p95: 'PT1M3S' },
    });
    // one e-mail template: the channel's total is its row's figures (toEqual passes over the undefined keys)
    expect(report.totals.byChannel.EMAIL).toEqual({ ...report.rows[2], channel: undefined, templateId: undefined });
    expect(report.totals.overall).toEqual({
      requested: 8,
      sent: 5,
      pending: 1,
      abandoned: 2,
      failedAttempts: 6,
      withFailures: 2,
      abandonedByReason: { MAX_ATTEMPTS: 1, PERMANENT_FAILURE: 0, NO_RECIPIENT: 1 },
      // 0.5, 1, 2, 4.25, 63 s: p50 rank ceil(2.5) = 3, p95 rank ceil(4.75) = 5
      latency: { count: 5, p50Ms: 2_000, p95Ms: 63_000, p50: 'PT2S', p95: 'PT1M3S' },
    });
    const { requested, sent, pending, abandoned } = report.totals.overall;
    expect(sent + pending + abandoned).toBe(requested);
  });

  it('narrows to a channel or a template', async () => {
    const email = await notificationsReport(streamed(notices), { ...range, channel: 'EMAIL' });
    expect(email.channel).toBe('EMAIL');
    expect(email.rows.map((r) => [r.channel, r.templateId, r.requested])).toEqual([['EMAIL', 'activation-confirmation', 2]]);
    expect(Object.keys(email.totals.byChannel)).toEqual(['EMAIL']);
    expect(email.totals.overall.requested).toBe(2);

    const suspended = await notificationsReport(notices, { ...range, templateId: 'card-suspended', knownTemplateIds: ['activation-confirmation', 'card-suspended'] });
    expect(suspended.templateId).toBe('card-suspended');
    expect(suspended.rows.map((r) => [r.channel, r.templateId, r.sent])).toEqual([['SMS', 'card-suspended', 1]]);
    expect(suspended.totals.byChannel.EMAIL?.requested).toBe(0);
  });

  it('has zeros and no latency when nothing was requested, every channel still listed', async () => {
    const report = await notificationsReport(notices, { from: '2025-01-01', to: '2025-02-01' });
    expect(report.rows).toEqual([]);
    expect(Object.keys(report.totals.byChannel)).toEqual(['SMS', 'EMAIL']);
    expect(report.totals.overall).toEqual({
      requested: 0,
      sent: 0,
      pending: 0,
      abandoned: 0,
      failedAttempts: 0,
      withFailures: 0,
      abandonedByReason: NO_ABANDONS,
      latency: { count: 0, p50Ms: null, p95Ms: null, p50: null, p95: null },
    });
  });

  it('refuses an unknown channel, a template id that is not one, and a reversed range, naming the parameter', async () => {
    const channel = await parameterErrorFrom(() => notificationsReport([], { ...range, channel: 'FAX' }));
    expect(channel.field).toBe('channel');
    expect(channel.reason).toBe('"FAX" is not a notification channel; use one of SMS, EMAIL');

    const malformed = await parameterErrorFrom(() => notificationsReport([], { ...range, templateId: 'Activation Confirmation' }));
    expect(malformed.field).toBe('templateId');

    const unknown = await parameterErrorFrom(() => notificationsReport([], { ...range, templateId: 'no-such-template', knownTemplateIds: ['activation-confirmation'] }));
    expect(unknown.field).toBe('templateId');
    expect(unknown.reason).toBe('"no-such-template" is not a notification template; use one of activation-confirmation');

    // without the catalog, any id of the right form is taken
    expect((await notificationsReport(notices, { ...range, templateId: 'no-such-template' })).rows).toEqual([]);

    expect((await parameterErrorFrom(() => notificationsReport([], { from: range.to, to: range.from }))).field).toBe('from');
  });
});
