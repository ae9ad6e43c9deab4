import { DISPUTE_OUTCOMES, DISPUTE_REASONS } from '@cards/domain';
import type { DisputeDocument } from '@cards/read-store/projections/documents';
import { checkReportRange, instantOf, isInRange } from './report-range';
import { forEachOf, type ReportSource } from './report-source';
import { DurationCollector, Tally } from './statistics';

/** The byOutcome key of disputes not resolved yet. */
export const OPEN_OUTCOME = 'OPEN';

export interface DisputesReportParams {
  readonly from: string;
  readonly to: string;
}

/** Seconds from opening to resolution over the resolved disputes; figures null when count is 0. */
export interface TimeToResolve {
  readonly count: number;
  readonly meanSeconds: number | null;
  /** Exact percentiles, nearest-rank method. */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly maxSeconds: number | null;
  /** Resolutions before the opening (bad data), left out of the figures. */
  readonly excludedNegative: number;
}

export interface DisputesReport {
  readonly from: string;
  readonly to: string;
  /** Disputes opened in [from, to). */
  readonly total: number;
  /** Of those, not resolved yet (no outcome). */
  readonly open: number;
  /** Per dispute reason; every known reason listed. */
  readonly byReason: Record<string, number>;
  /** UPHELD, REJECTED and OPEN; adds up to `total`. */
  readonly byOutcome: Record<string, number>;
  readonly timeToResolve: TimeToResolve;
}

/** Resolution time in milliseconds: the projection's secondsToResolve, else resolvedAt − openedAt. */
function resolutionMs(dispute: DisputeDocument, openedMs: number): number | null {
  if (typeof dispute.secondsToResolve === 'number' && Number.isFinite(dispute.secondsToResolve)) {
    return Math.round(dispute.secondsToResolve * 1000);
  }
  const resolvedMs = instantOf(dispute.resolvedAt);
  return resolvedMs === null ? null : resolvedMs - openedMs;
}

/**
 * Disputes opened in [from, to): how many, still open, per reason and outcome, and how long the resolved ones
 * took (whenever they were resolved).
 */
export async function disputesReport(disputes: ReportSource<DisputeDocument>, params: DisputesReportParams): Promise<DisputesReport> {
  const range = checkReportRange(params);
  let total = 0;
  const byReason = new Tally(DISPUTE_REASONS);
  const byOutcome = new Tally([...DISPUTE_OUTCOMES, OPEN_OUTCOME]);
  const durations = new DurationCollector();
  await forEachOf(disputes, (dispute) => {
    const openedMs = instantOf(dispute.openedAt);
    if (!isInRange(openedMs, range)) return;
    total += 1;
    byReason.add(dispute.reason);
    if (dispute.outcome === null) {
      byOutcome.add(OPEN_OUTCOME);
      return;
    }
    byOutcome.add(dispute.outcome);
    const ms = resolutionMs(dispute, openedMs);
    if (ms !== null) durations.add(ms);
  });
  const { count, meanSeconds, p50, p90, maxSeconds, excludedNegative } = durations.stats();
  const outcomes = byOutcome.toRecord();
  return {
    from: range.from,
    to: range.to,
    total,
    open: outcomes[OPEN_OUTCOME] ?? 0,
    byReason: byReason.toRecord(),
    byOutcome: outcomes,
    timeToResolve: { count, meanSeconds, p50, p90, maxSeconds, excludedNegative },
  };
}
