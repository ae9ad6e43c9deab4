import type { NotificationRequested } from '@cards/domain';
import { abandoned, eventsAfterAttempt, type RetryPolicy } from './delivery-policy';

const REQUEST: NotificationRequested['data'] = {
  notificationId: 'n-1',
  templateId: 'activation-confirmation',
  channel: 'SMS',
  customerId: 'cust-1',
  cardId: 'card-1',
  kind: 'TRANSACTIONAL',
  locale: 'zh-CN',
  timeZone: 'Asia/Shanghai',
  sourceEventId: 'evt-1',
  sourceEventType: 'CardActivated',
  occurredAt: '2026-11-23T09:00:00.000Z',
  facts: { panLast4: '4321' },
  requestedAt: '2026-11-23T09:00:00.100Z',
  sendAt: '2026-11-23T09:00:00.100Z',
};
const POLICY: RetryPolicy = { maxAttempts: 3, baseMs: 1_000, maxMs: 3_000 };
const NOW = new Date('2026-11-23T09:00:01.000Z');
const REF = { notificationId: 'n-1', templateId: 'activation-confirmation', channel: 'SMS', customerId: 'cust-1', cardId: 'card-1' };

describe('what an attempt records', () => {
  it('given the provider took it, then NotificationSent with its id and the attempt', () => {
    const events = eventsAfterAttempt(REQUEST, 2, { outcome: 'SENT', providerMessageId: 'gw-9', attempts: 1 }, NOW, POLICY);
    expect(events).toEqual([{ type: 'NotificationSent', data: { ...REF, providerMessageId: 'gw-9', attempt: 2, sentAt: NOW.toISOString() } }]);
  });

  it('given a retryable failure with attempts left, then NotificationFailed with the next attempt after a jittered backoff', () => {
    const low = eventsAfterAttempt(REQUEST, 1, { outcome: 'RETRYABLE', reason: 'TIMEOUT', error: 'no answer in 5000 ms', attempts: 1 }, NOW, POLICY, () => 0);
    const high = eventsAfterAttempt(REQUEST, 1, { outcome: 'RETRYABLE', reason: 'TIMEOUT', error: 'no answer in 5000 ms', attempts: 1 }, NOW, POLICY, () => 1);
    expect(low).toEqual([
      {
        type: 'NotificationFailed',
        data: { ...REF, attempt: 1, reason: 'TIMEOUT', error: 'no answer in 5000 ms', nextAttemptAt: '2026-11-23T09:00:01.500Z', failedAt: NOW.toISOString() },
      },
    ]);
    expect(high[0].data).toMatchObject({ nextAttemptAt: '2026-11-23T09:00:02.000Z' });
  });

  it('given later attempts, then the wait doubles up to the maximum', () => {
    const waitAfter = (attempt: number) => {
      const [failed] = eventsAfterAttempt(REQUEST, attempt, { outcome: 'RETRYABLE', reason: 'SERVER_ERROR', error: '503', attempts: 1 }, NOW, { ...POLICY, maxAttempts: 10 }, () => 1);
      return Date.parse((failed.data as { nextAttemptAt: string }).nextAttemptAt) - NOW.getTime();
    };
    expect([1, 2, 3, 4].map(waitAfter)).toEqual([1_000, 2_000, 3_000, 3_000]);
  });

  it('given a retryable failure on the last attempt, then NotificationFailed without a next attempt, and NotificationAbandoned (MAX_ATTEMPTS)', () => {
    const events = eventsAfterAttempt(REQUEST, 3, { outcome: 'RETRYABLE', reason: 'RATE_LIMITED', error: '429', attempts: 1 }, NOW, POLICY);
    expect(events.map((e) => e.type)).toEqual(['NotificationFailed', 'NotificationAbandoned']);
    expect(events[0].data).toMatchObject({ attempt: 3, nextAttemptAt: null });
    expect(events[1].data).toEqual({ ...REF, reason: 'MAX_ATTEMPTS', attempts: 3, abandonedAt: NOW.toISOString() });
  });

  it('given a permanent failure on the first attempt, then abandoned at once (PERMANENT_FAILURE)', () => {
    const events = eventsAfterAttempt(REQUEST, 1, { outcome: 'PERMANENT', reason: 'REJECTED', error: '400', attempts: 1 }, NOW, POLICY);
    expect(events.map((e) => e.type)).toEqual(['NotificationFailed', 'NotificationAbandoned']);
    expect(events[1].data).toMatchObject({ reason: 'PERMANENT_FAILURE', attempts: 1 });
  });

  it('given no address for the channel, then an abandonment that names it', () => {
    expect(abandoned(REQUEST, 'NO_RECIPIENT', 0, NOW)).toEqual({ type: 'NotificationAbandoned', data: { ...REF, reason: 'NO_RECIPIENT', attempts: 0, abandonedAt: NOW.toISOString() } });
  });
});
