import type { Product } from '@cards/domain';
import type { CardSummaryDocument } from '@cards/read-store/projections/documents';
import { FUNNEL_STAGES, type FunnelStage, inCohort, stageInstants } from './card-stages';
import { checkCohortFilter } from './funnel-report';
import { forEachOf, type ReportSource } from './report-source';
import { DurationCollector, type DurationStats } from './statistics';

export interface StageDurationsReportParams {
  readonly from: string;
  readonly to: string;
  readonly product?: Product;
}

export interface DurationStep {
  /** `ISSUED→IDENTITY_VERIFIED`: the two stages joined by U+2192. */
  readonly step: string;
  readonly fromStage: FunnelStage;
  readonly toStage: FunnelStage;
}

/**
 * Each consecutive pair of stages, then the whole way from issue to activation. Positions index FUNNEL_STAGES.
 */
export const DURATION_STEPS: readonly (DurationStep & { readonly fromIndex: number; readonly toIndex: number })[] = [
  ...FUNNEL_STAGES.slice(1).map((_, i) => durationStep(i, i + 1)),
  durationStep(0, FUNNEL_STAGES.indexOf('ACTIVE')),
];

function durationStep(fromIndex: number, toIndex: number) {
  const fromStage = FUNNEL_STAGES[fromIndex] as FunnelStage;
  const toStage = FUNNEL_STAGES[toIndex] as FunnelStage;
  return { step: `${fromStage}→${toStage}`, fromStage, toStage, fromIndex, toIndex };
}

/**
 * Durations of one step over the cohort cards that have both timestamps, in seconds. `count` is the durations
 * used; negative ones (bad data) are left out and counted in `excludedNegative`, so count + excludedNegative is
 * the number of cards with both timestamps.
 */
export interface StageDurationRow extends DurationStep, DurationStats {}

export interface StageDurationsReport {
  readonly from: string;
  readonly to: string;
  readonly product: Product | null;
  readonly cohort: number;
  readonly steps: StageDurationRow[];
}

/** Collects the step durations of one cohort card at a time. */
export class StageDurationCollector {
  private cohort = 0;
  private readonly collectors = DURATION_STEPS.map(() => new DurationCollector());

  add(card: CardSummaryDocument): void {
    this.cohort += 1;
    const at = stageInstants(card);
    DURATION_STEPS.forEach((step, i) => {
      const start = at[step.fromIndex] ?? null;
      const end = at[step.toIndex] ?? null;
      if (start !== null && end !== null) (this.collectors[i] as DurationCollector).add(end - start);
    });
  }

  cohortSize(): number {
    return this.cohort;
  }

  rows(): StageDurationRow[] {
    return DURATION_STEPS.map(({ step, fromStage, toStage }, i) => ({
      step,
      fromStage,
      toStage,
      ...(this.collectors[i] as DurationCollector).stats(),
    }));
  }
}

/**
 * How long cohort cards (issued in [from, to), of `product` when given) took from stage to stage. Percentiles
 * are exact, nearest-rank (see nearestRankPercentile); all durations are in seconds with millisecond precision.
 */
export async function stageDurationsReport(
  cards: ReportSource<CardSummaryDocument>,
  params: StageDurationsReportParams,
): Promise<StageDurationsReport> {
  const filter = checkCohortFilter({ from: params.from, to: params.to, product: params.product });
  const collector = new StageDurationCollector();
  await forEachOf(cards, (card) => {
    if (inCohort(card, filter)) collector.add(card);
  });
  return { from: filter.range.from, to: filter.range.to, product: filter.product, cohort: collector.cohortSize(), steps: collector.rows() };
}
