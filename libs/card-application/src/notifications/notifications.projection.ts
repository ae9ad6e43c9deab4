import type { NotificationEvent, NotificationStatus } from '@cards/domain';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import type { Projection, ProjectionView, WriteOp } from '@cards/read-store';

export const NOTIFICATIONS = 'notifications';

/**
 * One document per notice (docs/notifications.md): where it stands, for the reactor's queue of due notices, the
 * card's view and the notifications report. Nothing personal: no recipient, no text.
 */
export interface NotificationDocument {
  readonly _id: string;
  readonly notificationId: string;
  readonly templateId: string;
  readonly channel: string;
  readonly kind: string;
  readonly customerId: string;
  readonly cardId: string | null;
  readonly sourceEventType: string;
  /** When the event that caused it happened. */
  readonly occurredAt: string;
  readonly requestedAt: string;
  /** Not before (the end of the quiet hours, or the request). */
  readonly sendAt: string;
  readonly status: NotificationStatus;
  /** Attempts made so far. */
  readonly attempts: number;
  /** PENDING: when the next attempt is due (sendAt, then the failure's nextAttemptAt). Null once SENT or ABANDONED. */
  readonly nextAttemptAt: string | null;
  readonly failedAttempts: number;
  readonly lastFailureReason: string | null;
  readonly lastError: string | null;
  readonly sentAt: string | null;
  readonly providerMessageId: string | null;
  /** From sendAt to sentAt: how long delivery took once the notice was allowed to go. */
  readonly latencyMs: number | null;
  readonly abandonedAt: string | null;
  readonly abandonReason: string | null;
  readonly updatedAt: string;
}

const NOTIFICATION_STREAM_PREFIX = 'notification-';

export const notificationsProjection: Projection = {
  name: 'notifications',
  collections: [
    {
      name: NOTIFICATIONS,
      indexes: [
        [{ field: 'status', direction: 'asc' }, { field: 'nextAttemptAt', direction: 'asc' }],
        [{ field: 'cardId', direction: 'asc' }, { field: 'requestedAt', direction: 'asc' }],
        [{ field: 'customerId', direction: 'asc' }, { field: 'requestedAt', direction: 'asc' }],
        [{ field: 'requestedAt', direction: 'asc' }],
      ],
    },
  ],

  async project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
    if (!event.streamId.startsWith(NOTIFICATION_STREAM_PREFIX)) return [];
    const e = { type: event.type, data: event.data } as unknown as NotificationEvent;
    const id = event.streamId.slice(NOTIFICATION_STREAM_PREFIX.length);
    const upsert = (set: Partial<NotificationDocument>): WriteOp[] => [
      { kind: 'upsert', collection: NOTIFICATIONS, id, set: set as unknown as JsonObject },
    ];
    switch (e.type) {
      case 'NotificationRequested': {
        const d = e.data;
        const doc: Omit<NotificationDocument, '_id'> = {
          notificationId: d.notificationId,
          templateId: d.templateId,
          channel: d.channel,
          kind: d.kind,
          customerId: d.customerId,
          cardId: d.cardId,
          sourceEventType: d.sourceEventType,
          occurredAt: d.occurredAt,
          requestedAt: d.requestedAt,
          sendAt: d.sendAt,
          status: 'PENDING',
          attempts: 0,
          nextAttemptAt: d.sendAt,
          failedAttempts: 0,
          lastFailureReason: null,
          lastError: null,
          sentAt: null,
          providerMessageId: null,
          latencyMs: null,
          abandonedAt: null,
          abandonReason: null,
          updatedAt: d.requestedAt,
        };
        return upsert(doc);
      }
      case 'NotificationSent': {
        const current = (await view.get(NOTIFICATIONS, id)) as unknown as NotificationDocument | null;
        const sendAt = current?.sendAt ?? e.data.sentAt;
        return upsert({
          status: 'SENT',
          attempts: e.data.attempt,
          nextAttemptAt: null,
          sentAt: e.data.sentAt,
          providerMessageId: e.data.providerMessageId,
          latencyMs: Math.max(0, Date.parse(e.data.sentAt) - Date.parse(sendAt)),
          updatedAt: e.data.sentAt,
        });
      }
      case 'NotificationFailed': {
        const current = (await view.get(NOTIFICATIONS, id)) as unknown as NotificationDocument | null;
        return upsert({
          attempts: e.data.attempt,
          failedAttempts: (current?.failedAttempts ?? 0) + 1,
          lastFailureReason: e.data.reason,
          lastError: e.data.error,
          nextAttemptAt: e.data.nextAttemptAt,
          updatedAt: e.data.failedAt,
        });
      }
      case 'NotificationAbandoned':
        return upsert({
          status: 'ABANDONED',
          attempts: e.data.attempts,
          nextAttemptAt: null,
          abandonedAt: e.data.abandonedAt,
          abandonReason: e.data.reason,
          updatedAt: e.data.abandonedAt,
        });
      default:
        return [];
    }
  },
};
