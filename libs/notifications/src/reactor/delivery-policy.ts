import type { AbandonReason, NotificationEvent, NotificationRequested } from '@cards/domain';
import { backoffMs, type SendResult } from '../channels/channel';

/** How hard the reactor tries (NOTIFY_MAX_ATTEMPTS, NOTIFY_RETRY_BASE_MS, NOTIFY_RETRY_MAX_MS). */
export interface RetryPolicy {
  /** Attempts in all, the first included; then the notice is abandoned. */
  readonly maxAttempts: number;
  /** The wait before the second attempt, doubled for each further one (with jitter), up to `maxMs`. */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseMs: 30_000, maxMs: 3_600_000 };

type Request = NotificationRequested['data'];

const refOf = (request: Request) => ({
  notificationId: request.notificationId,
  templateId: request.templateId,
  channel: request.channel,
  customerId: request.customerId,
  cardId: request.cardId,
});

/**
 * What attempt number `attempt` of a notice records, given what the channel answered: NotificationSent; or
 * NotificationFailed with the time of the next attempt (exponential backoff with jitter); or, when trying again
 * cannot help or the attempts are spent, NotificationFailed and NotificationAbandoned together.
 */
export function eventsAfterAttempt(
  request: Request,
  attempt: number,
  result: SendResult,
  now: Date,
  policy: RetryPolicy,
  random: () => number = Math.random,
): NotificationEvent[] {
  const ref = refOf(request);
  const at = now.toISOString();
  if (result.outcome === 'SENT') {
    return [{ type: 'NotificationSent', data: { ...ref, providerMessageId: result.providerMessageId, attempt, sentAt: at } }];
  }
  const retry = result.outcome === 'RETRYABLE' && attempt < policy.maxAttempts;
  const nextAttemptAt = retry ? new Date(now.getTime() + backoffMs(attempt, policy.baseMs, policy.maxMs, random)).toISOString() : null;
  const failed: NotificationEvent = {
    type: 'NotificationFailed',
    data: { ...ref, attempt, reason: result.reason, error: result.error, nextAttemptAt, failedAt: at },
  };
  if (retry) return [failed];
  const reason: AbandonReason = result.outcome === 'RETRYABLE' ? 'MAX_ATTEMPTS' : 'PERMANENT_FAILURE';
  return [failed, abandoned(request, reason, attempt, now)];
}

/** Gives a notice up without sending it (NO_RECIPIENT), or after its last attempt. */
export function abandoned(request: Request, reason: AbandonReason, attempts: number, now: Date): NotificationEvent {
  return { type: 'NotificationAbandoned', data: { ...refOf(request), reason, attempts, abandonedAt: now.toISOString() } };
}
