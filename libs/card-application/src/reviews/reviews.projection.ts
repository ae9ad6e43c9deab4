import type { CardEvent, CustomerEvent } from '@cards/domain';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import { eventTime, idOfStream, type Projection, type ProjectionView, type WriteOp } from '@cards/read-store';

export const REVIEWS = 'reviews';
/** Per card, the id of its open review (the projection can only get by id inside a batch, not query). */
const OPEN_REVIEW_OF_CARD = 'review_open_by_card';

export type ReviewStatus = 'OPEN' | 'APPROVED' | 'REJECTED' | 'CLOSED';

export interface ReviewContactAttempt {
  readonly channel: string;
  readonly outcome: string;
  readonly note: string | null;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

/** One document per identity review: what differed, who asked, the contacts with the customer, how it ended. */
export interface ReviewDocument {
  readonly _id: string;
  readonly reviewId: string;
  /** CARD: a card's identity verification; CUSTOMER: a correction of a customer's name or id number. */
  readonly subject: 'CARD' | 'CUSTOMER';
  readonly cardId: string | null;
  readonly customerId: string | null;
  /** The verification method of a card review; null for a correction. */
  readonly method: string | null;
  /** A correction's documented reason (never personal data); null for a card review. */
  readonly requestReason: string | null;
  /** Why a person must look: BIRTH_DATE_MISMATCH, SCORE_IN_REVIEW_BAND, VERIFICATION_LOCKED. */
  readonly reasons: string[];
  /** What differed (for a lock: the failure reasons of the attempt that locked it). */
  readonly differences: string[];
  readonly matchScore: number | null;
  readonly status: ReviewStatus;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly contactAttempts: ReviewContactAttempt[];
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly decisionNote: string | null;
  /** Seconds from request to decision, for the reviews report; null while open. */
  readonly durationSeconds: number | null;
}

const seconds = (from: string, to: string): number => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));

/** How a decided review reads, for a card's review and a customer's correction alike. */
function decided(
  review: ReviewDocument,
  decision: { readonly decision: string; readonly decidedBy: string; readonly decidedAt: string; readonly note: string },
): Partial<ReviewDocument> {
  return {
    status: decision.decision === 'APPROVE' ? 'APPROVED' : 'REJECTED',
    decidedBy: decision.decidedBy,
    decidedAt: decision.decidedAt,
    decisionNote: decision.note,
    durationSeconds: seconds(review.requestedAt, decision.decidedAt),
  };
}

/** The identity reviews of every card, for the agents' queue (GET /v1/reviews) and the reviews report. */
export const reviewsProjection: Projection = {
  name: 'reviews',
  collections: [
    {
      name: REVIEWS,
      indexes: [
        [{ field: 'status', direction: 'asc' }, { field: 'requestedAt', direction: 'asc' }],
        [{ field: 'requestedAt', direction: 'asc' }],
        [{ field: 'cardId', direction: 'asc' }],
      ],
    },
    { name: OPEN_REVIEW_OF_CARD, indexes: [] },
  ],

  async project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
    const customerId = idOfStream(event.streamId, 'customer');
    if (customerId !== null) return projectCorrection(event, customerId, view);
    const cardId = idOfStream(event.streamId, 'card');
    if (cardId === null) return [];
    const e = { type: event.type, data: event.data } as unknown as CardEvent;
    const upsert = (reviewId: string, set: Partial<ReviewDocument>): WriteOp[] => [
      { kind: 'upsert', collection: REVIEWS, id: reviewId, set: set as unknown as JsonObject },
    ];
    const current = async (reviewId: string) => (await view.get(REVIEWS, reviewId)) as unknown as ReviewDocument | null;
    const markOpen = (reviewId: string | null): WriteOp => ({ kind: 'upsert', collection: OPEN_REVIEW_OF_CARD, id: cardId, set: { openReviewId: reviewId } });
    switch (e.type) {
      case 'IdentityReviewRequested': {
        const d = e.data;
        return [
          markOpen(d.reviewId),
          ...upsert(d.reviewId, {
            reviewId: d.reviewId,
            subject: 'CARD',
            cardId,
            customerId: null,
            method: d.method,
            requestReason: null,
            reasons: [...d.reasons],
            differences: [...d.differences],
            matchScore: d.matchScore ?? null,
            status: 'OPEN',
            requestedBy: d.requestedBy,
            requestedAt: d.requestedAt,
            contactAttempts: [],
            decidedBy: null,
            decidedAt: null,
            decisionNote: null,
            durationSeconds: null,
          }),
        ];
      }
      case 'ReviewContactAttemptRecorded': {
        const review = await current(e.data.reviewId);
        if (review === null) return [];
        const attempt: ReviewContactAttempt = {
          channel: e.data.channel,
          outcome: e.data.outcome,
          note: e.data.note ?? null,
          recordedBy: e.data.recordedBy,
          recordedAt: e.data.recordedAt,
        };
        return upsert(review.reviewId, { contactAttempts: [...review.contactAttempts, attempt] });
      }
      case 'IdentityReviewDecided': {
        const review = await current(e.data.reviewId);
        if (review === null) return [];
        return [markOpen(null), ...upsert(review.reviewId, decided(review, e.data))];
      }
      case 'CardCancelled': {
        // A card cancelled while under review closes the review without a decision.
        const open = await openReviewOfCard(view, cardId);
        if (open === null) return [];
        return [markOpen(null), ...upsert(open, { status: 'CLOSED', decidedAt: eventTime(event), durationSeconds: null })];
      }
      default:
        return [];
    }
  },
};

async function openReviewOfCard(view: ProjectionView, cardId: string): Promise<string | null> {
  const marker = await view.get(OPEN_REVIEW_OF_CARD, cardId);
  return marker === null || typeof marker.openReviewId !== 'string' ? null : marker.openReviewId;
}

/** A customer's identity correction: a review like the cards' ones, in the same queue. */
async function projectCorrection(event: RecordedEvent, customerId: string, view: ProjectionView): Promise<WriteOp[]> {
  const e = { type: event.type, data: event.data } as unknown as CustomerEvent;
  switch (e.type) {
    case 'CustomerIdentityCorrectionRequested': {
      const d = e.data;
      const doc: Omit<ReviewDocument, '_id'> = {
        reviewId: d.reviewId,
        subject: 'CUSTOMER',
        cardId: null,
        customerId,
        method: null,
        requestReason: d.reason,
        reasons: ['IDENTITY_CORRECTION'],
        // The corrected values are encrypted in the event; the queue only says which fields change.
        differences: [...(d.name !== undefined ? ['NAME'] : []), ...(d.idNumber !== undefined ? ['ID_NUMBER'] : [])],
        matchScore: null,
        status: 'OPEN',
        requestedBy: d.requestedBy,
        requestedAt: d.requestedAt,
        contactAttempts: [],
        decidedBy: null,
        decidedAt: null,
        decisionNote: null,
        durationSeconds: null,
      };
      return [{ kind: 'upsert', collection: REVIEWS, id: d.reviewId, set: doc as unknown as JsonObject }];
    }
    case 'CustomerIdentityCorrectionDecided': {
      const review = (await view.get(REVIEWS, e.data.reviewId)) as unknown as ReviewDocument | null;
      if (review === null) return [];
      return [{ kind: 'upsert', collection: REVIEWS, id: review.reviewId, set: decided(review, e.data) as unknown as JsonObject }];
    }
    default:
      return [];
  }
}
