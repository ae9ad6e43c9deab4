import { CONTACT_ATTEMPT_OUTCOMES, REVIEW_REASONS, VERIFICATION_METHODS } from '@cards/domain';
import type { ReviewDocument } from '../reviews/reviews.projection';
import { checkReportRange, instantOf, isInRange } from './report-range';
import { forEachOf, type ReportSource } from './report-source';
import { DurationCollector, ratio, Tally, type DurationStats } from './statistics';

export interface ReviewsReportParams {
  readonly from: string;
  readonly to: string;
  /** "Now", for the age of the reviews still open. */
  readonly now: string;
}

export const REVIEW_OUTCOMES = ['OPEN', 'APPROVED', 'REJECTED', 'CLOSED'] as const;

export interface ReviewsReport {
  readonly from: string;
  readonly to: string;
  /** Reviews requested in [from, to). */
  readonly requested: number;
  /** How those ended (or that they are still OPEN; CLOSED: the card was cancelled before a decision). */
  readonly byOutcome: Record<string, number>;
  /** Why they went to a person. A review with two reasons counts under each. */
  readonly byReason: Record<string, number>;
  readonly byMethod: Record<string, number>;
  /** Approved among those decided (APPROVED + REJECTED); null when none was decided. */
  readonly approvalRate: number | null;
  /** From request to decision, of those decided. */
  readonly timeToDecision: DurationStats;
  /** Calls and messages to customers about these reviews, by outcome. */
  readonly contactAttempts: { readonly total: number; readonly byOutcome: Record<string, number> };
  /** Every review open now, whenever it was requested: how many, and how long they have waited. */
  readonly openNow: { readonly count: number; readonly oldestRequestedAt: string | null; readonly age: DurationStats };
}

/**
 * The reviews report: what went to a person, how it ended and how long it took (reviews requested in the
 * range), and the queue as it stands (every review open now). `inRange` and `open` are two scans of the reviews
 * read model: those requested in the range, and those with status OPEN.
 */
export async function reviewsReport(
  inRange: ReportSource<ReviewDocument>,
  open: ReportSource<ReviewDocument>,
  params: ReviewsReportParams,
): Promise<ReviewsReport> {
  const range = checkReportRange(params);
  let requested = 0;
  const byOutcome = new Tally(REVIEW_OUTCOMES);
  const byReason = new Tally(REVIEW_REASONS);
  const byMethod = new Tally(VERIFICATION_METHODS);
  const contactOutcomes = new Tally(CONTACT_ATTEMPT_OUTCOMES);
  let contacts = 0;
  let approved = 0;
  let rejected = 0;
  const decision = new DurationCollector();
  await forEachOf(inRange, (review) => {
    if (!isInRange(instantOf(review.requestedAt), range)) return;
    requested += 1;
    byOutcome.add(review.status);
    if (review.method !== null) byMethod.add(review.method);
    for (const reason of new Set(review.reasons)) byReason.add(reason);
    for (const attempt of review.contactAttempts ?? []) {
      contacts += 1;
      contactOutcomes.add(attempt.outcome);
    }
    if (review.status === 'APPROVED') approved += 1;
    if (review.status === 'REJECTED') rejected += 1;
    if ((review.status === 'APPROVED' || review.status === 'REJECTED') && review.decidedAt !== null) {
      decision.add(Date.parse(review.decidedAt) - Date.parse(review.requestedAt));
    }
  });

  const now = Date.parse(params.now);
  const ages = new DurationCollector();
  let openCount = 0;
  let oldest: string | null = null;
  await forEachOf(open, (review) => {
    if (review.status !== 'OPEN') return;
    openCount += 1;
    ages.add(now - Date.parse(review.requestedAt));
    if (oldest === null || review.requestedAt < oldest) oldest = review.requestedAt;
  });

  return {
    from: range.from,
    to: range.to,
    requested,
    byOutcome: byOutcome.toRecord(),
    byReason: byReason.toRecord(),
    byMethod: byMethod.toRecord(),
    approvalRate: ratio(approved, approved + rejected),
    timeToDecision: decision.stats(),
    contactAttempts: { total: contacts, byOutcome: contactOutcomes.toRecord() },
    openNow: { count: openCount, oldestRequestedAt: oldest, age: ages.stats() },
  };
}
