import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ACTIVATION_NOTICE_TEMPLATE, READ_STORE, type ReadStore } from '@cards/read-store';
import { NOTIFICATIONS, type NotificationDocument } from './notifications.projection';

/** At most this many notices are shown with a card (the oldest first); a card rarely has more than a dozen. */
export const CARD_NOTIFICATIONS_LIMIT = 100;

export interface CardNotificationView {
  readonly notificationId: string;
  readonly templateId: string;
  readonly channel: string;
  readonly status: string;
  readonly attempts: number;
  readonly requestedAt: string;
  readonly sendAt: string;
  readonly nextAttemptAt: string | null;
  readonly sentAt: string | null;
  readonly lastFailureReason: string | null;
  readonly abandonedAt: string | null;
  readonly abandonReason: string | null;
}

export interface CardNotifications {
  /** When the first activation confirmation went out (the NOTIFIED stage); null until then. */
  readonly notifiedAt: string | null;
  readonly items: CardNotificationView[];
}

/** The notices about one card, from the `notifications` read model (so as fresh as its projection). */
export class CardNotificationsQuery extends Query<CardNotifications> {
  constructor(readonly cardId: string) {
    super();
  }
}

@QueryHandler(CardNotificationsQuery)
export class CardNotificationsHandler implements IQueryHandler<CardNotificationsQuery, CardNotifications> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ cardId }: CardNotificationsQuery): Promise<CardNotifications> {
    const docs = (await this.readStore.find(NOTIFICATIONS, {
      filter: { cardId },
      sort: [{ field: 'requestedAt', direction: 'asc' }],
      limit: CARD_NOTIFICATIONS_LIMIT,
    })) as unknown as NotificationDocument[];
    const items = docs.map((d) => ({
      notificationId: d.notificationId,
      templateId: d.templateId,
      channel: d.channel,
      status: d.status,
      attempts: d.attempts,
      requestedAt: d.requestedAt,
      sendAt: d.sendAt,
      nextAttemptAt: d.nextAttemptAt,
      sentAt: d.sentAt,
      lastFailureReason: d.lastFailureReason,
      abandonedAt: d.abandonedAt,
      abandonReason: d.abandonReason,
    }));
    const confirmations = items.filter((i) => i.templateId === ACTIVATION_NOTICE_TEMPLATE && i.sentAt !== null).map((i) => i.sentAt as string);
    return { notifiedAt: confirmations.length === 0 ? null : confirmations.sort()[0], items };
  }
}
