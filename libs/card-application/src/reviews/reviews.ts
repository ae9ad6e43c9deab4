import { Inject } from '@nestjs/common';
import { Command, CommandHandler, IQueryHandler, Query, QueryHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError, type ContactAttemptChannel, type ContactAttemptOutcome, type ReviewDecision } from '@cards/domain';
import { READ_STORE, type FieldCondition, type Filter, type ReadStore, type SortKey } from '@cards/read-store';
import { decodeCursor, queryFingerprint, toPage, type Page } from '../read-side/paging';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';
import { DecideIdentityCorrectionCommand, DecideIdentityCorrectionHandler, type CustomerReviewOutcome } from './identity-correction';
import { REVIEWS, type ReviewDocument, type ReviewStatus } from './reviews.projection';

export type ReviewListItem = Omit<ReviewDocument, '_id'>;

export interface ReviewCriteria {
  readonly status?: ReviewStatus;
  readonly limit: number;
  readonly cursor?: string;
}

export class ListReviewsQuery extends Query<Page<ReviewListItem>> {
  constructor(readonly criteria: ReviewCriteria) {
    super();
  }
}

const OLDEST_FIRST: readonly SortKey[] = [{ field: 'requestedAt', direction: 'asc' }];

/** The agents' queue: reviews (open ones by default), oldest first, with what differed. */
@QueryHandler(ListReviewsQuery)
export class ListReviewsHandler implements IQueryHandler<ListReviewsQuery, Page<ReviewListItem>> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ criteria }: ListReviewsQuery): Promise<Page<ReviewListItem>> {
    const filter: Record<string, FieldCondition> = criteria.status ? { status: criteria.status } : { status: { $ne: null } };
    const fingerprint = queryFingerprint({ filter, sort: OLDEST_FIRST });
    const after = criteria.cursor ? decodeCursor(criteria.cursor, fingerprint, OLDEST_FIRST) : undefined;
    const docs = await this.readStore.find(REVIEWS, { filter: filter as Filter, sort: OLDEST_FIRST, limit: criteria.limit + 1, ...(after && { after }) });
    return toPage(docs, criteria.limit, fingerprint, OLDEST_FIRST, (doc) => {
      const { _id, ...item } = doc as unknown as ReviewDocument;
      return item;
    });
  }
}

/** A review, from the reviews read model (the agent found it there). */
async function reviewOf(readStore: ReadStore, reviewId: string): Promise<ReviewDocument> {
  const review = (await readStore.get(REVIEWS, reviewId)) as unknown as ReviewDocument | null;
  if (review === null) throw new DomainError('not_found', 'REVIEW_NOT_FOUND', `No review with id ${reviewId}`, { reviewId });
  return review;
}

/** Which card a review belongs to; contact attempts and card decisions need a card's review. */
async function cardOfReview(readStore: ReadStore, reviewId: string): Promise<string> {
  const review = await reviewOf(readStore, reviewId);
  if (review.subject === 'CUSTOMER' || review.cardId === null) {
    throw new DomainError('conflict', 'NOT_A_CARD_REVIEW', 'This review is a correction of a customer\'s identity, not a card\'s verification', { reviewId });
  }
  return review.cardId;
}

export interface ContactAttemptInput {
  readonly channel: ContactAttemptChannel;
  readonly outcome: ContactAttemptOutcome;
  readonly note?: string;
}

export class RecordReviewContactAttemptCommand extends Command<CardCommandOutcome> {
  constructor(readonly reviewId: string, readonly input: ContactAttemptInput, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(RecordReviewContactAttemptCommand)
export class RecordReviewContactAttemptHandler implements ICommandHandler<RecordReviewContactAttemptCommand, CardCommandOutcome> {
  constructor(private readonly cards: CardCommandExecutor, @Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ reviewId, input, ctx }: RecordReviewContactAttemptCommand): Promise<CardCommandOutcome> {
    const cardId = await cardOfReview(this.readStore, reviewId);
    return this.cards.execute(cardId, ctx, (_card, now) => ({
      type: 'RecordReviewContactAttempt',
      reviewId,
      channel: input.channel,
      outcome: input.outcome,
      ...(input.note !== undefined && { note: input.note }),
      recordedBy: ctx.actor.id,
      now,
    }));
  }
}

export interface ReviewDecisionInput {
  readonly decision: ReviewDecision;
  readonly note: string;
}

export type ReviewDecisionOutcome =
  | { readonly subject: 'CARD'; readonly outcome: CardCommandOutcome }
  | { readonly subject: 'CUSTOMER'; readonly outcome: CustomerReviewOutcome };

export class DecideIdentityReviewCommand extends Command<ReviewDecisionOutcome> {
  constructor(readonly reviewId: string, readonly input: ReviewDecisionInput, readonly ctx: CommandContext) {
    super();
  }
}

/** Decides a review from the queue: a card's verification, or a customer's identity correction. */
@CommandHandler(DecideIdentityReviewCommand)
export class DecideIdentityReviewHandler implements ICommandHandler<DecideIdentityReviewCommand, ReviewDecisionOutcome> {
  constructor(
    private readonly cards: CardCommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    private readonly corrections: DecideIdentityCorrectionHandler,
  ) {}

  async execute({ reviewId, input, ctx }: DecideIdentityReviewCommand): Promise<ReviewDecisionOutcome> {
    const review = await reviewOf(this.readStore, reviewId);
    if (review.subject === 'CUSTOMER' && review.customerId !== null) {
      const outcome = await this.corrections.execute(new DecideIdentityCorrectionCommand(review.customerId, reviewId, input.decision, input.note, ctx));
      return { subject: 'CUSTOMER', outcome };
    }
    const cardId = await cardOfReview(this.readStore, reviewId);
    const outcome = await this.cards.execute(cardId, ctx, (_card, now) => ({
      type: 'DecideIdentityReview',
      reviewId,
      decision: input.decision,
      note: input.note,
      decidedBy: ctx.actor.id,
      now,
    }));
    return { subject: 'CARD', outcome };
  }
}
