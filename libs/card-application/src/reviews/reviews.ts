import { Inject } from '@nestjs/common';
import { Command, CommandHandler, IQueryHandler, Query, QueryHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError, type ContactAttemptChannel, type ContactAttemptOutcome, type ReviewDecision } from '@cards/domain';
import { READ_STORE, type FieldCondition, type Filter, type ReadStore, type SortKey } from '@cards/read-store';
import { decodeCursor, queryFingerprint, toPage, type Page } from '../read-side/paging';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';
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

/** Which card a review belongs to, from the reviews read model (the agent found the review there). */
async function cardOfReview(readStore: ReadStore, reviewId: string): Promise<string> {
  const review = (await readStore.get(REVIEWS, reviewId)) as unknown as ReviewDocument | null;
  if (review === null) throw new DomainError('not_found', 'REVIEW_NOT_FOUND', `No review with id ${reviewId}`, { reviewId });
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

export class DecideIdentityReviewCommand extends Command<CardCommandOutcome> {
  constructor(readonly reviewId: string, readonly input: ReviewDecisionInput, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(DecideIdentityReviewCommand)
export class DecideIdentityReviewHandler implements ICommandHandler<DecideIdentityReviewCommand, CardCommandOutcome> {
  constructor(private readonly cards: CardCommandExecutor, @Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ reviewId, input, ctx }: DecideIdentityReviewCommand): Promise<CardCommandOutcome> {
    const cardId = await cardOfReview(this.readStore, reviewId);
    return this.cards.execute(cardId, ctx, (_card, now) => ({
      type: 'DecideIdentityReview',
      reviewId,
      decision: input.decision,
      note: input.note,
      decidedBy: ctx.actor.id,
      now,
    }));
  }
}
