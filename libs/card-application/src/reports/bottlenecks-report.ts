import type { CardSummaryDocument } from '@cards/read-store/projections/documents';
import { type FunnelStage, STAGE_WORDS, inCohort } from './card-stages';
import { formatDuration } from './format-duration';
import { FunnelCounter, checkCohortFilter } from './funnel-report';
import { parseServerInstant } from './report-range';
import { forEachOf, type ReportSource } from './report-source';
import { DURATION_STEPS, StageDurationCollector } from './stage-durations-report';
import { roundRatio } from './statistics';

export interface BottlenecksReportParams {
  readonly from: string;
  readonly to: string;
  /** The server's clock: how long the cards still waiting have waited. */
  readonly now: string;
}

export interface BottleneckRow {
  /** `LINKED→ACTIVE` */
  readonly step: string;
  readonly fromStage: FunnelStage;
  readonly toStage: FunnelStage;
  /** p90 (exact, nearest rank) of the step's duration over the cards that completed it; null if none did. */
  readonly p90Seconds: number | null;
  /** Cohort cards that completed the step (both timestamps, duration not negative). */
  readonly completed: number;
  readonly reachedFrom: number;
  readonly reachedTo: number;
  /** 1 − conversionFromPrevious of `toStage`, 4 decimals; null when no card reached `fromStage`. */
  readonly dropOffRate: number | null;
  /** Reached `fromStage`, not `toStage`, not cancelled. */
  readonly stillWaiting: number;
  /** now − the earliest `fromStage` time among those still waiting; null when none is. */
  readonly longestWaitingSeconds: number | null;
  /** One line for people, e.g. "LINKED→ACTIVE: p90 3.2 days, 41% of linked cards never activated (yet)". */
  readonly finding: string;
}

export interface BottlenecksReport {
  readonly from: string;
  readonly to: string;
  readonly now: string;
  readonly cohort: number;
  /** Consecutive steps, longest p90 first (steps nobody completed last). */
  readonly byWait: BottleneckRow[];
  /** The same steps, highest drop-off rate first (steps nobody reached last). */
  readonly byDropOff: BottleneckRow[];
}

/** "41%", "12.5%": a rate as a percentage with at most one decimal. */
function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

function finding(row: Omit<BottleneckRow, 'finding'>): string {
  const wait = row.p90Seconds === null ? 'p90 n/a (no card completed it)' : `p90 ${formatDuration(row.p90Seconds)}`;
  const fromWords = STAGE_WORDS[row.fromStage];
  const drop =
    row.dropOffRate === null
      ? `no ${fromWords.cards} cards in the cohort`
      : `${percent(row.dropOffRate)} of ${fromWords.cards} cards never ${STAGE_WORDS[row.toStage].reached} (yet)`;
  const waiting =
    row.stillWaiting === 0
      ? ''
      : `; ${row.stillWaiting} still waiting` +
        (row.longestWaitingSeconds === null ? '' : `, the longest for ${formatDuration(row.longestWaitingSeconds)}`);
  return `${row.step}: ${wait}, ${drop}${waiting}`;
}

/** Descending by `value`, nulls last, ties in process order. */
function rank(rows: readonly BottleneckRow[], value: (row: BottleneckRow) => number | null): BottleneckRow[] {
  return rows
    .map((row, order) => ({ row, order, value: value(row) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return a.value === b.value ? a.order - b.order : a.value === null ? 1 : -1;
      return b.value - a.value || a.order - b.order;
    })
    .map(({ row }) => row);
}

/**
 * Where the cohort (cards issued in [from, to)) loses time and customers: each consecutive step of the process
 * ranked by its p90 duration and, separately, by its drop-off rate, with a finding per step. Reads the cards once,
 * computing the funnel and the stage durations together.
 */
export async function bottlenecksReport(cards: ReportSource<CardSummaryDocument>, params: BottlenecksReportParams): Promise<BottlenecksReport> {
  const filter = checkCohortFilter({ from: params.from, to: params.to });
  const nowMs = parseServerInstant(params.now);
  const funnel = new FunnelCounter();
  const durations = new StageDurationCollector();
  await forEachOf(cards, (card) => {
    if (!inCohort(card, filter)) return;
    funnel.add(card);
    durations.add(card);
  });

  const durationRows = durations.rows();
  const funnelRows = funnel.rows();
  const rows: BottleneckRow[] = [];
  DURATION_STEPS.forEach((step, i) => {
    if (step.toIndex !== step.fromIndex + 1) return; // ISSUED→ACTIVE is the whole process, not a step
    const stats = durationRows[i];
    const reachedFrom = funnel.reachedAt(step.fromIndex);
    const reachedTo = funnel.reachedAt(step.toIndex);
    const waitingSince = funnel.earliestWaitingAt(step.fromIndex);
    const waiting = funnelRows[step.fromIndex]?.droppedAfter?.waiting ?? 0;
    const row = {
      step: step.step,
      fromStage: step.fromStage,
      toStage: step.toStage,
      p90Seconds: stats?.p90 ?? null,
      completed: stats?.count ?? 0,
      reachedFrom,
      reachedTo,
      dropOffRate: reachedFrom === 0 ? null : roundRatio(1 - reachedTo / reachedFrom),
      stillWaiting: waiting,
      longestWaitingSeconds: waitingSince === null ? null : Math.max(0, nowMs - waitingSince) / 1000,
    };
    rows.push({ ...row, finding: finding(row) });
  });

  return {
    from: filter.range.from,
    to: filter.range.to,
    now: new Date(nowMs).toISOString(),
    cohort: funnel.cohortSize(),
    byWait: rank(rows, (row) => row.p90Seconds),
    byDropOff: rank(rows, (row) => row.dropOffRate),
  };
}
