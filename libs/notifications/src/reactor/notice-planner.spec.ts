import type { RecordedEvent } from '@cards/event-store';
import { parseQuietHours } from '../quiet-hours';
import { notificationIdFor, planNotices, templatesFor, type CardFacts, type CaseFacts, type CustomerPreferences } from './notice-planner';

const CARD: CardFacts = { cardId: 'card-1', customerId: 'cust-1', product: 'DEBIT', panLast4: '4321', disputeReasons: { 'd-1': 'FRAUD' } };
const BOTH: CustomerPreferences = { customerId: 'cust-1', preferredChannels: ['SMS', 'EMAIL'], locale: 'zh-CN' };
const QUIET = parseQuietHours('22:00-08:00');
/** 23:30 in Shanghai (UTC+8): inside the quiet hours. */
const NIGHT = new Date('2026-11-23T15:30:00.000Z');
/** 14:00 in Shanghai. */
const DAY = new Date('2026-11-23T06:00:00.000Z');

function event(type: string, data: Record<string, unknown>, id = `evt-${type}`): RecordedEvent {
  return {
    id,
    streamId: 'card-card-1',
    revision: 3n,
    position: { commit: 10n, prepare: 10n },
    type,
    data: data as RecordedEvent['data'],
    metadata: {},
    recordedAt: new Date('2026-11-23T05:59:59.000Z'),
  };
}

describe('which templates an event sends', () => {
  it('given a CardActivated, then the activation confirmation', () => {
    expect(templatesFor(event('CardActivated', { channel: 'APP', activatedAt: 'x' })).map((t) => t.templateId)).toEqual(['activation-confirmation']);
  });

  it('given a failed activation attempt, then a security alert only when the CVV2 was wrong', () => {
    expect(templatesFor(event('ActivationAttemptFailed', { reason: 'CVV_MISMATCH' })).map((t) => t.templateId)).toEqual(['security-alert-wrong-cvv']);
    expect(templatesFor(event('ActivationAttemptFailed', { reason: 'CARD_NUMBER_MISMATCH' }))).toEqual([]);
  });

  it('given an event no template names (a link, a reinstatement), then nothing', () => {
    expect(templatesFor(event('CardLinked', {}))).toEqual([]);
    expect(templatesFor(event('CardReinstated', {}))).toEqual([]);
  });
});

describe('planning the notices of an event', () => {
  it('given a customer who prefers SMS and e-mail, when a card is activated at night, then one notice per channel, due at once', () => {
    const plans = planNotices({ event: event('CardActivated', { channel: 'APP', activatedAt: '2026-11-23T15:29:00.000Z' }), card: CARD, customer: BOTH, quietHours: QUIET, now: NIGHT });
    expect(plans.map((p) => [p.channel, p.templateId, p.kind, p.sendAt])).toEqual([
      ['SMS', 'activation-confirmation', 'TRANSACTIONAL', NIGHT.toISOString()],
      ['EMAIL', 'activation-confirmation', 'TRANSACTIONAL', NIGHT.toISOString()],
    ]);
    expect(plans[0]).toMatchObject({
      cardId: 'card-1',
      customerId: 'cust-1',
      locale: 'zh-CN',
      timeZone: 'Asia/Shanghai',
      sourceEventId: 'evt-CardActivated',
      sourceEventType: 'CardActivated',
      occurredAt: '2026-11-23T15:29:00.000Z',
      requestedAt: NIGHT.toISOString(),
      facts: { panLast4: '4321', product: 'DEBIT' },
    });
  });

  it('given a customer who prefers e-mail only, then no SMS', () => {
    const plans = planNotices({ event: event('CardActivated', {}), card: CARD, customer: { ...BOTH, preferredChannels: ['EMAIL'] }, quietHours: QUIET, now: DAY });
    expect(plans.map((p) => p.channel)).toEqual(['EMAIL']);
  });

  it('given the quiet hours, when a card is suspended at night, then the notice waits for 08:00 local time', () => {
    const [sms] = planNotices({ event: event('CardSuspended', { reason: 'lost' }), card: CARD, customer: BOTH, quietHours: QUIET, now: NIGHT });
    expect(sms.sendAt).toBe('2026-11-24T00:00:00.000Z');
  });

  it('given a customer in another time zone, then their quiet hours apply, and the zone is recorded', () => {
    // 15:30 UTC is 16:30 in Berlin: not quiet there.
    const [sms] = planNotices({ event: event('CardSuspended', {}), card: CARD, customer: { ...BOTH, timeZone: 'Europe/Berlin' }, quietHours: QUIET, now: NIGHT });
    expect(sms).toMatchObject({ sendAt: NIGHT.toISOString(), timeZone: 'Europe/Berlin' });
  });

  it('given a wrong CVV2 at night, then the security alert does not wait and carries the attempts left', () => {
    const [sms] = planNotices({ event: event('ActivationAttemptFailed', { reason: 'CVV_MISMATCH', attemptsLeft: 2 }), card: CARD, customer: BOTH, quietHours: QUIET, now: NIGHT });
    expect(sms).toMatchObject({ kind: 'SECURITY', sendAt: NIGHT.toISOString(), facts: { attemptsLeft: 2 } });
  });

  it('given a dispute resolution, then the outcome and the reason of the dispute it resolves', () => {
    const [sms] = planNotices({ event: event('DisputeResolved', { disputeId: 'd-1', outcome: 'UPHELD', note: 'free text' }), card: CARD, customer: BOTH, quietHours: QUIET, now: DAY });
    expect(sms.facts).toEqual({ panLast4: '4321', product: 'DEBIT', outcomeCode: 'UPHELD', reasonCode: 'FRAUD' });
    expect(JSON.stringify(sms)).not.toContain('free text');
  });

  it('given the same event planned twice, then the same notification ids; another channel or event, another id', () => {
    const input = { event: event('CardActivated', {}), card: CARD, customer: BOTH, quietHours: QUIET, now: DAY };
    const first = planNotices(input).map((p) => p.notificationId);
    const again = planNotices({ ...input, now: NIGHT }).map((p) => p.notificationId);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(2);
    expect(notificationIdFor('evt-other', 'activation-confirmation', 'SMS')).not.toBe(first[0]);
  });

  it('given an English-speaking customer, then the notices are in English; an unknown locale reads as zh-CN', () => {
    expect(planNotices({ event: event('CardActivated', {}), card: CARD, customer: { ...BOTH, locale: 'en' }, quietHours: QUIET, now: DAY })[0].locale).toBe('en');
    expect(planNotices({ event: event('CardActivated', {}), card: CARD, customer: { ...BOTH, locale: 'fr' }, quietHours: QUIET, now: DAY })[0].locale).toBe('zh-CN');
  });
});

describe('customer service cases tell their customer (docs/cases.md)', () => {
  const CASE: CaseFacts = { caseId: 'case-1', caseNumber: 'CS-0B8C7A1E', customerId: 'cust-1', cardId: null };
  const caseEvent = (type: string, data: Record<string, unknown>): RecordedEvent => ({ ...event(type, data), streamId: 'case-case-1', id: `evt-case-${type}` });

  it('given a case opened, waiting for the customer, or resolved, then its notice with the case number; nothing for other case events', () => {
    expect(templatesFor(caseEvent('CaseOpened', { customerId: 'cust-1' })).map((t) => t.templateId)).toEqual(['case-received']);
    expect(templatesFor(caseEvent('CaseStatusChanged', { customerId: 'cust-1', to: 'WAITING_CUSTOMER' })).map((t) => t.templateId)).toEqual(['case-waiting-customer']);
    expect(templatesFor(caseEvent('CaseResolved', { customerId: 'cust-1' })).map((t) => t.templateId)).toEqual(['case-resolved']);
    expect(templatesFor(caseEvent('CaseStatusChanged', { customerId: 'cust-1', to: 'IN_PROGRESS' }))).toEqual([]);
    expect(templatesFor(caseEvent('CaseCommented', { customerId: 'cust-1' }))).toEqual([]);
    expect(templatesFor(caseEvent('CaseEscalated', {}))).toEqual([]);
  });

  it('given a case on no customer, then nothing; given the same event types on another stream, then nothing', () => {
    expect(templatesFor(caseEvent('CaseOpened', { customerId: null }))).toEqual([]);
    expect(templatesFor(event('CaseResolved', { customerId: 'cust-1' }))).toEqual([]);
  });

  it('plans one notice per preferred channel carrying only the case number, on the card when the case is on one, waiting for the quiet hours', () => {
    const plans = planNotices({ event: caseEvent('CaseResolved', { customerId: 'cust-1', resolvedAt: '2026-11-23T15:29:00.000Z' }), caseFacts: { ...CASE, cardId: 'card-1' }, customer: BOTH, quietHours: QUIET, now: NIGHT });
    expect(plans.map((p) => [p.channel, p.templateId, p.kind, p.cardId, p.facts])).toEqual([
      ['SMS', 'case-resolved', 'TRANSACTIONAL', 'card-1', { caseNumber: 'CS-0B8C7A1E', caseId: 'case-1' }],
      ['EMAIL', 'case-resolved', 'TRANSACTIONAL', 'card-1', { caseNumber: 'CS-0B8C7A1E', caseId: 'case-1' }],
    ]);
    expect(plans[0].sendAt).toBe('2026-11-24T00:00:00.000Z');
    expect(plans[0].notificationId).toBe(notificationIdFor('evt-case-CaseResolved', 'case-resolved', 'SMS'));
    expect(planNotices({ event: caseEvent('CaseOpened', { customerId: 'cust-1' }), caseFacts: CASE, customer: BOTH, quietHours: QUIET, now: DAY })[0]).toMatchObject({ cardId: null, sendAt: DAY.toISOString() });
  });

  it('given neither a card nor a case, then nothing', () => {
    expect(planNotices({ event: caseEvent('CaseOpened', { customerId: 'cust-1' }), customer: BOTH, quietHours: QUIET, now: DAY })).toEqual([]);
  });
});
