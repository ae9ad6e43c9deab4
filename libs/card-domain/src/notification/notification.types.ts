/**
 * A notice to a customer (docs/notifications.md, "Reliability"): one stream per notice, `notification-<id>`, where
 * the id is derived from the event that caused it, the template and the channel, so that deciding the same notice
 * twice writes it once. The events never hold a recipient, a text or anything personal: the address is looked up
 * when the notice is sent, and the text is rendered then from the template and the values recorded here.
 */
import type { NotificationChannel } from '../customer/customer.types';

export const NOTIFICATION_KINDS = ['SECURITY', 'TRANSACTIONAL', 'MARKETING'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Why a notice was given up. */
export const ABANDON_REASONS = [
  /** NOTIFY_MAX_ATTEMPTS attempts failed with a retryable error. */
  'MAX_ATTEMPTS',
  /** The provider refused it for good (HTTP 4xx, SMTP 5xx), or the channel is not configured. */
  'PERMANENT_FAILURE',
  /** No address for the channel any more (the e-mail was removed, the customer's personal data was erased). */
  'NO_RECIPIENT',
] as const;
export type AbandonReason = (typeof ABANDON_REASONS)[number];

/** Values rendered into the template that are safe to record: codes, the card's last 4 digits, times. */
export interface NotificationFacts {
  readonly panLast4?: string;
  readonly product?: string;
  readonly reasonCode?: string;
  readonly outcomeCode?: string;
  readonly attemptsLeft?: number;
  /** The customer service case a notice is about ("CS-1A2B3C4D"): what the customer quotes when they call. */
  readonly caseNumber?: string;
  /** The case's id (not personal): what a resolution notice's survey link is made for. */
  readonly caseId?: string;
}

/** What every notification event carries, so that a projection never has to look elsewhere. */
interface NotificationRef {
  readonly notificationId: string;
  readonly templateId: string;
  readonly channel: NotificationChannel;
  readonly customerId: string;
  /** The card the notice is about; null for a notice about the customer alone. */
  readonly cardId: string | null;
}

export interface NotificationRequested {
  readonly type: 'NotificationRequested';
  readonly data: NotificationRef & {
    readonly kind: NotificationKind;
    readonly locale: string;
    readonly timeZone: string;
    /** The event that caused the notice: its id, type and when it happened. */
    readonly sourceEventId: string;
    readonly sourceEventType: string;
    readonly occurredAt: string;
    readonly facts: NotificationFacts;
    readonly requestedAt: string;
    /** Not before: the end of the customer's quiet hours, or `requestedAt` for a notice that never waits. */
    readonly sendAt: string;
  };
}

export interface NotificationSent {
  readonly type: 'NotificationSent';
  readonly data: NotificationRef & {
    readonly providerMessageId: string;
    /** 1-based: the attempt that went through. */
    readonly attempt: number;
    readonly sentAt: string;
  };
}

export interface NotificationFailed {
  readonly type: 'NotificationFailed';
  readonly data: NotificationRef & {
    readonly attempt: number;
    /** The channel's reason code: TIMEOUT, SERVER_ERROR, REJECTED, NOT_CONFIGURED, … */
    readonly reason: string;
    /** For operators: statuses, codes and timings; never the recipient, the text or a credential. */
    readonly error: string;
    /** When the next attempt is due; null when there is none (an abandonment follows in the same append). */
    readonly nextAttemptAt: string | null;
    readonly failedAt: string;
  };
}

export interface NotificationAbandoned {
  readonly type: 'NotificationAbandoned';
  readonly data: NotificationRef & {
    readonly reason: AbandonReason;
    readonly attempts: number;
    readonly abandonedAt: string;
  };
}

export type NotificationEvent = NotificationRequested | NotificationSent | NotificationFailed | NotificationAbandoned;

export const NOTIFICATION_EVENT_TYPES: readonly NotificationEvent['type'][] = [
  'NotificationRequested',
  'NotificationSent',
  'NotificationFailed',
  'NotificationAbandoned',
];

export type NotificationStatus = 'PENDING' | 'SENT' | 'ABANDONED';

/** A notice as its stream tells it. */
export type NotificationState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly request: NotificationRequested['data'];
      readonly status: NotificationStatus;
      /** Attempts made so far (failed ones, plus the one that went through). */
      readonly attempts: number;
      /** When the next attempt may be made (PENDING only). */
      readonly dueAt: string | null;
    };

export const initialNotificationState: NotificationState = { exists: false };

export function evolveNotification(state: NotificationState, event: NotificationEvent): NotificationState {
  switch (event.type) {
    case 'NotificationRequested':
      return { exists: true, request: event.data, status: 'PENDING', attempts: 0, dueAt: event.data.sendAt };
    case 'NotificationSent':
      return state.exists ? { ...state, status: 'SENT', attempts: event.data.attempt, dueAt: null } : state;
    case 'NotificationFailed':
      return state.exists ? { ...state, attempts: event.data.attempt, dueAt: event.data.nextAttemptAt } : state;
    case 'NotificationAbandoned':
      return state.exists ? { ...state, status: 'ABANDONED', attempts: event.data.attempts, dueAt: null } : state;
  }
}
