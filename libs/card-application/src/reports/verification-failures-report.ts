import { VERIFICATION_FAILURE_REASONS, VERIFICATION_METHODS } from '@cards/domain';
import type { ReviewDocument } from '../reviews/reviews.projection';
import type { VerificationFailureDocument } from '@cards/read-store/projections/documents';
import { checkReportRange, instantOf, isInRange } from './report-range';
import { forEachOf, type ReportSource } from './report-source';
import { Tally } from './statistics';

export interface VerificationFailuresReportParams {
  readonly from: string;
  readonly to: string;
}

export interface VerificationFailuresReport {
  readonly from: string;
  readonly to: string;
  /** Failed identity verifications with failedAt in [from, to). */
  readonly total: number;
  /** Failures that gave at least one reason: the base for the shares of byReason. */
  readonly failuresWithReason: number;
  /**
   * Failures per reason. A failure with two reasons counts once under each, so these may add up to more than
   * `total`. Every known reason is listed (0 included), then any unknown one met in the data.
   */
  readonly byReason: Record<string, number>;
  /** Failures per verification method; every known method listed. Adds up to `total`. */
  readonly byMethod: Record<string, number>;
  /** Per method, failures per reason (every known reason listed for each method). */
  readonly byMethodAndReason: Record<string, Record<string, number>>;
  /**
   * The identity reviews requested in the range (a lock after repeated failures, or a difference a person must
   * judge) and how they ended: OPEN, APPROVED, REJECTED, CLOSED (the card was cancelled first). A rejection is
   * itself a failure with reason REVIEW_REJECTED.
   */
  readonly reviewOutcomes: Record<string, number>;
}

export async function verificationFailuresReport(
  failures: ReportSource<VerificationFailureDocument>,
  params: VerificationFailuresReportParams,
  reviews: ReportSource<ReviewDocument> = [],
): Promise<VerificationFailuresReport> {
  const range = checkReportRange(params);
  let total = 0;
  let failuresWithReason = 0;
  const byReason = new Tally(VERIFICATION_FAILURE_REASONS);
  const byMethod = new Tally(VERIFICATION_METHODS);
  const byMethodAndReason = new Map<string, Tally>(VERIFICATION_METHODS.map((method) => [method, new Tally(VERIFICATION_FAILURE_REASONS)]));
  await forEachOf(failures, (failure) => {
    if (!isInRange(instantOf(failure.failedAt), range)) return;
    total += 1;
    byMethod.add(failure.method);
    const reasons = new Set(failure.reasons ?? []);
    if (reasons.size > 0) failuresWithReason += 1;
    for (const reason of reasons) byReason.add(reason);
    let ofMethod = byMethodAndReason.get(failure.method);
    if (ofMethod === undefined) byMethodAndReason.set(failure.method, (ofMethod = new Tally(VERIFICATION_FAILURE_REASONS)));
    for (const reason of reasons) ofMethod.add(reason);
  });
  const reviewOutcomes = new Tally(['OPEN', 'APPROVED', 'REJECTED', 'CLOSED']);
  await forEachOf(reviews, (review) => {
    if (isInRange(instantOf(review.requestedAt), range)) reviewOutcomes.add(review.status);
  });
  return {
    from: range.from,
    to: range.to,
    total,
    failuresWithReason,
    byReason: byReason.toRecord(),
    byMethod: byMethod.toRecord(),
    byMethodAndReason: Object.fromEntries([...byMethodAndReason].map(([method, tally]) => [method, tally.toRecord()])),
    reviewOutcomes: reviewOutcomes.toRecord(),
  };
}
