import type { Product } from '@cards/domain';
import type { CardSummaryDocument } from '@cards/read-store/projections/documents';
import { type CohortFilter, FUNNEL_STAGES, type FunnelStage, checkBranchId, checkProduct, inCohort, stageInstants } from './card-stages';
import { checkReportRange } from './report-range';
import { forEachOf, type ReportSource } from './report-source';
import { ratio } from './statistics';

export interface FunnelReportParams {
  readonly from: string;
  readonly to: string;
  readonly product?: Product;
  readonly branchId?: string;
}

/** Cohort cards that reached a stage but not the next one. */
export interface FunnelDropOff {
  readonly total: number;
  /** Of those, cancelled (`cancelledAt` set): they will not go on. */
  readonly cancelled: number;
  /** Of those, not cancelled (possibly suspended or disputed): they may still go on. */
  readonly waiting: number;
}

export interface FunnelStageRow {
  readonly stage: FunnelStage;
  /** Cohort cards whose timestamp for this stage is set (the stage was reached, whatever happened after). */
  readonly reached: number;
  /** reached / reached of the previous stage, 4 decimals; null for the first stage or when the previous has 0. */
  readonly conversionFromPrevious: number | null;
  /** reached / cohort size, 4 decimals; null for an empty cohort. */
  readonly conversionFromIssue: number | null;
  /** Reached this stage but not the next; null for the last stage. */
  readonly droppedAfter: FunnelDropOff | null;
}

export interface FunnelReport {
  readonly from: string;
  readonly to: string;
  readonly product: Product | null;
  readonly branchId: string | null;
  /** Cards issued in [from, to) matching the filters. */
  readonly cohort: number;
  /** One row per stage, in process order (FUNNEL_STAGES). */
  readonly stages: FunnelStageRow[];
}

/** Counts one cohort card at a time. Used by funnelReport and, on the same pass as the durations, by bottlenecksReport. */
export class FunnelCounter {
  private cohort = 0;
  private readonly reached = FUNNEL_STAGES.map(() => 0);
  private readonly droppedCancelled = FUNNEL_STAGES.map(() => 0);
  private readonly droppedWaiting = FUNNEL_STAGES.map(() => 0);
  /** Per stage, the earliest time a still-waiting card reached it (how long the longest wait has been). */
  private readonly earliestWaiting: (number | null)[] = FUNNEL_STAGES.map(() => null);

  add(card: CardSummaryDocument): void {
    this.cohort += 1;
    const at = stageInstants(card);
    for (let i = 0; i < FUNNEL_STAGES.length; i += 1) {
      const reachedAt = at[i] ?? null;
      if (reachedAt === null) continue;
      this.reached[i] += 1;
      if (i === FUNNEL_STAGES.length - 1 || at[i + 1] !== null) continue;
      if (card.cancelledAt !== null) {
        this.droppedCancelled[i] += 1;
      } else {
        this.droppedWaiting[i] += 1;
        const earliest = this.earliestWaiting[i] ?? null;
        if (earliest === null || reachedAt < earliest) this.earliestWaiting[i] = reachedAt;
      }
    }
  }

  cohortSize(): number {
    return this.cohort;
  }

  reachedAt(stage: number): number {
    return this.reached[stage] as number;
  }

  earliestWaitingAt(stage: number): number | null {
    return this.earliestWaiting[stage] ?? null;
  }

  rows(): FunnelStageRow[] {
    const last = FUNNEL_STAGES.length - 1;
    return FUNNEL_STAGES.map((stage, i) => {
      const reached = this.reached[i] as number;
      const cancelled = this.droppedCancelled[i] as number;
      const waiting = this.droppedWaiting[i] as number;
      return {
        stage,
        reached,
        conversionFromPrevious: i === 0 ? null : ratio(reached, this.reached[i - 1] as number),
        conversionFromIssue: ratio(reached, this.cohort),
        droppedAfter: i === last ? null : { total: cancelled + waiting, cancelled, waiting },
      };
    });
  }
}

export function checkCohortFilter(params: { from: string; to: string; product?: unknown; branchId?: unknown }): CohortFilter {
  return { range: checkReportRange(params), product: checkProduct(params.product), branchId: checkBranchId(params.branchId) };
}

/**
 * The activation funnel of a cohort: cards issued in [from, to) (of `product` / at `branchId` when given), how
 * many reached each stage, conversions, and where the others stopped. A stage counts as reached when its
 * timestamp is set, even if the card was suspended or cancelled later.
 */
export async function funnelReport(cards: ReportSource<CardSummaryDocument>, params: FunnelReportParams): Promise<FunnelReport> {
  const filter = checkCohortFilter(params);
  const counter = new FunnelCounter();
  await forEachOf(cards, (card) => {
    if (inCohort(card, filter)) counter.add(card);
  });
  return {
    from: filter.range.from,
    to: filter.range.to,
    product: filter.product,
    branchId: filter.branchId,
    cohort: counter.cohortSize(),
    stages: counter.rows(),
  };
}
