import { wholeNumber } from '../channels/channels-config';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './delivery-policy';

/** How the notification reactor works (docs/notifications.md, "Reliability"); read and checked with the app's configuration. */
export interface NotificationReactorConfig {
  readonly retry: RetryPolicy;
  /** How often the queue of due notices is looked at when nothing wakes it (NOTIFY_POLL_MS). */
  readonly pollMs: number;
  /** The service hotline the notices name (NOTIFY_HOTLINE). */
  readonly hotline: string;
  /** Events recorded longer ago than this send no notice (NOTIFY_MAX_EVENT_AGE_HOURS): old history is not news. */
  readonly maxEventAgeMs: number;
  /** Notices sent at the same time, at most (NOTIFY_CONCURRENCY). */
  readonly concurrency: number;
}

export const REACTOR_DEFAULTS = {
  pollMs: 1_000,
  hotline: '400-800-1234',
  maxEventAgeHours: 72,
  concurrency: 8,
} as const;

export const DEFAULT_REACTOR_CONFIG: NotificationReactorConfig = {
  retry: DEFAULT_RETRY_POLICY,
  pollMs: REACTOR_DEFAULTS.pollMs,
  hotline: REACTOR_DEFAULTS.hotline,
  maxEventAgeMs: REACTOR_DEFAULTS.maxEventAgeHours * 3_600_000,
  concurrency: REACTOR_DEFAULTS.concurrency,
};

type Value = (name: string) => string | undefined;

/** NOTIFY_MAX_ATTEMPTS, NOTIFY_RETRY_BASE_MS, NOTIFY_RETRY_MAX_MS, NOTIFY_POLL_MS, NOTIFY_HOTLINE, NOTIFY_MAX_EVENT_AGE_HOURS, NOTIFY_CONCURRENCY. */
export function parseNotificationReactorConfig(value: Value, problems: string[]): NotificationReactorConfig {
  const maxAttempts = wholeNumber('NOTIFY_MAX_ATTEMPTS', value, DEFAULT_RETRY_POLICY.maxAttempts, 1, 50, 'attempts', problems);
  const baseMs = wholeNumber('NOTIFY_RETRY_BASE_MS', value, DEFAULT_RETRY_POLICY.baseMs, 10, 86_400_000, 'milliseconds', problems);
  const maxMs = wholeNumber('NOTIFY_RETRY_MAX_MS', value, DEFAULT_RETRY_POLICY.maxMs, 10, 7 * 86_400_000, 'milliseconds', problems);
  if (maxMs < baseMs) problems.push('NOTIFY_RETRY_MAX_MS must not be less than NOTIFY_RETRY_BASE_MS');
  const pollMs = wholeNumber('NOTIFY_POLL_MS', value, REACTOR_DEFAULTS.pollMs, 10, 600_000, 'milliseconds', problems);
  const ageHours = wholeNumber('NOTIFY_MAX_EVENT_AGE_HOURS', value, REACTOR_DEFAULTS.maxEventAgeHours, 1, 8_760, 'hours', problems);
  const concurrency = wholeNumber('NOTIFY_CONCURRENCY', value, REACTOR_DEFAULTS.concurrency, 1, 256, 'notices', problems);
  const hotline = value('NOTIFY_HOTLINE') ?? REACTOR_DEFAULTS.hotline;
  if (!/^[0-9+][0-9 -]{2,19}$/.test(hotline)) {
    problems.push('NOTIFY_HOTLINE must be a telephone number of 3 to 20 characters: digits, spaces and dashes, optionally after a +');
  }
  return { retry: { maxAttempts, baseMs, maxMs }, pollMs, hotline, maxEventAgeMs: ageHours * 3_600_000, concurrency };
}
