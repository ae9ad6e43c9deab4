import type { CardEvent, CardStatus, NotificationSent } from '@cards/domain';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import type { WriteOp } from '../read-store.port';
import type { CardSummaryDocument } from './documents';
import { eventTime, idOfStream } from './event-time';
import type { Projection, ProjectionView } from './projection';

export const CARDS = 'cards';

/** The notice whose first delivery marks a card NOTIFIED (the last stage of the activation funnel). */
export const ACTIVATION_NOTICE_TEMPLATE = 'activation-confirmation';

const NOTIFICATION_STREAM_PREFIX = 'notification-';

const byIssued = (field: string) => [
  { field, direction: 'asc' as const },
  { field: 'issuedAt', direction: 'desc' as const },
];

/** One summary per card, for search, the customer's cards and the process reports. */
export const cardsProjection: Projection = {
  name: 'cards',
  /**
   * 2: the identity-review events set the card's status (IDENTITY_REVIEW, VERIFICATION_LOCKED, back to ISSUED after
   * a rejected review) and move its revision; version 1 left such cards at ISSUED, so its documents are rebuilt.
   */
  version: 2,
  collections: [
    {
      name: CARDS,
      indexes: [
        [{ field: 'issuedAt', direction: 'desc' }],
        byIssued('customerId'),
        byIssued('status'),
        byIssued('product'),
        byIssued('branchId'),
        byIssued('channel'),
        byIssued('panLast4'),
        [{ field: 'status', direction: 'asc' }, { field: 'statusSince', direction: 'asc' }],
      ],
    },
  ],

  async project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
    if (event.streamId.startsWith(NOTIFICATION_STREAM_PREFIX)) return projectNotice(event, view);
    const cardId = idOfStream(event.streamId, 'card');
    if (cardId === null) return [];
    const at = eventTime(event);
    const e = { type: event.type, data: event.data } as unknown as CardEvent;
    const touch = { revision: Number(event.revision), updatedAt: at };
    const set = (fields: Partial<CardSummaryDocument>): WriteOp[] => [
      { kind: 'upsert', collection: CARDS, id: cardId, set: { ...fields, ...touch } as unknown as JsonObject },
    ];
    const current = async () => (await view.get(CARDS, cardId)) as unknown as CardSummaryDocument | null;
    const enter = (status: CardStatus) => ({ status, statusSince: at });

    switch (e.type) {
      case 'CardIssued': {
        const d = e.data;
        const doc: Omit<CardSummaryDocument, '_id' | 'revision' | 'updatedAt'> = {
          cardId,
          customerId: d.customerId,
          product: d.product,
          ...enter('ISSUED'),
          panBin: d.panBin,
          panLast4: d.panLast4,
          msisdn: d.msisdn ?? null,
          expiry: d.expiry ?? null,
          channel: d.channel,
          branchId: d.branchId ?? null,
          accountId: null,
          activationChannel: null,
          issuedAt: d.issuedAt,
          identityVerifiedAt: null,
          linkedAt: null,
          activatedAt: null,
          notifiedAt: null,
          suspendedAt: null,
          disputedAt: null,
          cancelledAt: null,
          identityVerificationFailures: 0,
          failedActivationAttempts: 0,
          openDisputeId: null,
          disputeCount: 0,
          suspensionReason: null,
          cancellationReason: null,
          statusBeforeSuspension: null,
          statusBeforeDispute: null,
          imported: event.metadata.imported === true,
        };
        return set(doc);
      }
      case 'IdentityVerified':
        return set({ ...enter('IDENTITY_VERIFIED'), identityVerifiedAt: (await current())?.identityVerifiedAt ?? at });
      case 'IdentityVerificationFailed':
        return [
          // A review rejected sends the card back to ISSUED; any other failure leaves it where it is.
          ...set(e.data.reviewId !== undefined ? enter('ISSUED') : {}),
          { kind: 'increment', collection: CARDS, id: cardId, by: { identityVerificationFailures: 1 } },
        ];
      case 'IdentityReviewRequested':
        // A lock opens its review and keeps its own status; otherwise the card now waits for a person.
        return (await current())?.status === 'VERIFICATION_LOCKED' ? set({}) : set({ status: 'IDENTITY_REVIEW', statusSince: e.data.requestedAt });
      case 'IdentityVerificationLocked':
        return set({ status: 'VERIFICATION_LOCKED', statusSince: e.data.lockedAt });
      case 'IdentityVerificationUnavailable':
      case 'ReviewContactAttemptRecorded':
      case 'IdentityReviewDecided':
        // No change of status (a decision is followed by IdentityVerified or IdentityVerificationFailed), but the
        // revision follows the card's stream.
        return set({});
      case 'CardLinked':
        return set({ ...enter('LINKED'), linkedAt: (await current())?.linkedAt ?? at, accountId: e.data.accountId });
      case 'CardActivated':
        return set({ ...enter('ACTIVE'), activatedAt: (await current())?.activatedAt ?? at, activationChannel: e.data.channel });
      case 'ActivationAttemptFailed':
        return set({ failedActivationAttempts: e.data.attempt });
      case 'CardSuspended': {
        const card = await current();
        return set({
          ...enter('SUSPENDED'),
          suspendedAt: at,
          suspensionReason: e.data.reason,
          statusBeforeSuspension: card?.status ?? null,
        });
      }
      case 'CardReinstated': {
        const card = await current();
        return set({
          ...enter(card?.statusBeforeSuspension ?? 'ISSUED'),
          failedActivationAttempts: 0,
          suspensionReason: null,
          statusBeforeSuspension: null,
        });
      }
      case 'CardCancelled':
        return set({ ...enter('CANCELLED'), cancelledAt: at, cancellationReason: e.data.reason, openDisputeId: null });
      case 'CardDisputed': {
        const card = await current();
        return [
          ...set({ ...enter('DISPUTED'), disputedAt: at, openDisputeId: e.data.disputeId, statusBeforeDispute: card?.status ?? null }),
          { kind: 'increment', collection: CARDS, id: cardId, by: { disputeCount: 1 } },
        ];
      }
      case 'DisputeResolved': {
        if (e.data.outcome === 'UPHELD') return set({ openDisputeId: null }); // CardCancelled follows
        const card = await current();
        return set({ ...enter(card?.statusBeforeDispute ?? 'ACTIVE'), openDisputeId: null, statusBeforeDispute: null });
      }
      default:
        return [];
    }
  },
};

/**
 * A notice's stream (`notification-<id>`): only the first `NotificationSent` of a card's activation confirmation
 * matters here, and sets `notifiedAt`. It changes neither `revision` nor `updatedAt`, which follow the card's own
 * stream; a notice about a card without a summary is ignored.
 */
async function projectNotice(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
  if (event.type !== 'NotificationSent') return [];
  const notice = event.data as unknown as NotificationSent['data'];
  if (notice.templateId !== ACTIVATION_NOTICE_TEMPLATE || typeof notice.cardId !== 'string') return [];
  const card = (await view.get(CARDS, notice.cardId)) as unknown as CardSummaryDocument | null;
  // `!= null`: a summary written before the field existed has none, and is notified by its first notice too
  if (card === null || card.notifiedAt != null) return [];
  const notifiedAt = typeof notice.sentAt === 'string' ? notice.sentAt : eventTime(event);
  return [{ kind: 'upsert', collection: CARDS, id: notice.cardId, set: { notifiedAt } }];
}
