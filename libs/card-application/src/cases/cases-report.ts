import { Inject, Injectable } from '@nestjs/common';
import { CASE_CATEGORIES, CASE_CHANNELS, CASE_PRIORITIES, type CaseCategory } from '@cards/domain';
import { CARDS, READ_STORE, type CardSummaryDocument, type ReadStore } from '@cards/read-store';
import type { FunnelStage } from '../reports/card-stages';
import { funnelReport, type FunnelReport } from '../reports/funnel-report';
import { parseReportRange, type ReportRange } from '../reports/report-range';
import { DurationCollector, ratio, Tally, type DurationStats } from '../reports/statistics';
import { CLOCK, type Clock } from '../shared/clock';
import { CASES, type CaseDocument } from './cases.projection';

/**
 * The step of the activation funnel a category of problem hurts (FUNNEL_STAGES: the step into `to`), or null for
 * problems that are not about a step (complaints, suggestions, number requests, the rest).
 */
export const CATEGORY_FUNNEL_STEP: Readonly<Record<CaseCategory, { readonly from: FunnelStage; readonly to: FunnelStage } | null>> = {
  CARD_NOT_RECEIVED: { from: 'ISSUED', to: 'IDENTITY_VERIFIED' },
  IDENTITY_PROBLEM: { from: 'ISSUED', to: 'IDENTITY_VERIFIED' },
  INFO_CHANGE: { from: 'IDENTITY_VERIFIED', to: 'LINKED' },
  ACTIVATION_FAILED: { from: 'LINKED', to: 'ACTIVE' },
  NOTIFICATION_NOT_RECEIVED: { from: 'ACTIVE', to: 'NOTIFIED' },
  NUMBER_REQUEST: null,
  COMPLAINT: null,
  SUGGESTION: null,
  OTHER: null,
};

export interface RecurringProblem {
  readonly category: string;
  readonly cases: number;
  /** Cases of the category opened in the period of the same length just before. */
  readonly previousPeriod: number;
  readonly growth: number;
  /** cases / previousPeriod − 1, 4 decimals; null when the previous period had none. */
  readonly growthRate: number | null;
  /** The funnel step it hurts, with that step's conversion for the cards issued in the range; null when it is not about one. */
  readonly funnelStep: { readonly from: FunnelStage; readonly to: FunnelStage; readonly conversion: number | null } | null;
}

export interface CasesReport extends ReportRange {
  /** Cases opened in [from, to). */
  readonly opened: number;
  readonly byCategory: Record<string, number>;
  readonly byChannel: Record<string, number>;
  readonly byPriority: Record<string, number>;
  readonly byTeam: Record<string, number>;
  /** Of the cases opened in the range: still open, resolved, closed (as the read model stands now). */
  readonly byStatus: Record<string, number>;
  /** Seconds from opening to the first response (of those answered), exact nearest-rank percentiles. */
  readonly firstResponse: DurationStats;
  /** Seconds from opening to the (last) resolution, of those resolved. */
  readonly resolution: DurationStats;
  readonly breaches: { readonly firstResponse: number; readonly resolution: number; readonly escalatedCases: number; readonly escalatedShare: number | null };
  readonly satisfaction: { readonly answered: number; readonly average: number | null; readonly distribution: Record<string, number> };
  /** How well the classification rules do: per rule, cases it proposed a category for, and how many an agent corrected. */
  readonly classification: { readonly byRule: Record<string, { readonly proposed: number; readonly corrected: number }>; readonly corrected: number };
  /** Categories whose volume grew most against the previous period of the same length, fastest first (those that grew). */
  readonly recurringProblems: RecurringProblem[];
}

/**
 * The cases report (pure): `current` are the cases opened in the range, `previous` those opened in the period of the
 * same length before it, `funnel` the activation funnel of the cards issued in the range.
 */
export function casesReport(current: Iterable<CaseDocument>, previous: Iterable<CaseDocument>, funnel: FunnelReport, range: ReportRange): CasesReport {
  const byCategory = new Tally(CASE_CATEGORIES);
  const byChannel = new Tally(CASE_CHANNELS);
  const byPriority = new Tally(CASE_PRIORITIES);
  const byTeam = new Tally();
  const byStatus = new Tally(['OPEN', 'ASSIGNED', 'IN_PROGRESS', 'WAITING_CUSTOMER', 'RESOLVED', 'CLOSED']);
  const firstResponse = new DurationCollector();
  const resolution = new DurationCollector();
  const scores = new Tally(['1', '2', '3', '4', '5']);
  const byRule = new Map<string, { proposed: number; corrected: number }>();
  let opened = 0;
  let firstResponseBreaches = 0;
  let resolutionBreaches = 0;
  let escalated = 0;
  let answered = 0;
  let scoreSum = 0;
  let corrected = 0;
  for (const c of current) {
    opened += 1;
    byCategory.add(c.category);
    byChannel.add(c.channel);
    byPriority.add(c.priority);
    byTeam.add(c.team);
    byStatus.add(c.status);
    if (c.firstResponseSeconds !== null) firstResponse.add(c.firstResponseSeconds * 1000);
    if (c.resolutionSeconds !== null && !c.open) resolution.add(c.resolutionSeconds * 1000);
    if (c.firstResponseBreached) firstResponseBreaches += 1;
    // A reopened case may have breached its resolution level more than once: breaches counts them all.
    resolutionBreaches += Math.max(0, c.breaches - (c.firstResponseBreached ? 1 : 0));
    if (c.escalated) escalated += 1;
    if (c.surveyScore !== null) {
      answered += 1;
      scoreSum += c.surveyScore;
      scores.add(String(c.surveyScore));
    }
    if (c.correctedFrom !== null) corrected += 1;
    if (c.proposedByRule !== null) {
      const rule = byRule.get(c.proposedByRule) ?? { proposed: 0, corrected: 0 };
      rule.proposed += 1;
      // The rule's category was the case's and an agent changed it.
      if (c.categorySource === 'RULE' && c.correctedFrom !== null) rule.corrected += 1;
      byRule.set(c.proposedByRule, rule);
    }
  }
  const before = new Tally(CASE_CATEGORIES);
  for (const c of previous) before.add(c.category);
  const now = byCategory.toRecord();
  const then = before.toRecord();
  const conversionInto = (stage: FunnelStage): number | null => funnel.stages.find((s) => s.stage === stage)?.conversionFromPrevious ?? null;
  const recurringProblems: RecurringProblem[] = Object.keys(now)
    .map((category) => {
      const cases = now[category];
      const previousPeriod = then[category] ?? 0;
      const step = CATEGORY_FUNNEL_STEP[category as CaseCategory] ?? null;
      return {
        category,
        cases,
        previousPeriod,
        growth: cases - previousPeriod,
        growthRate: previousPeriod === 0 ? null : ratio(cases - previousPeriod, previousPeriod),
        funnelStep: step === null ? null : { ...step, conversion: conversionInto(step.to) },
      };
    })
    .filter((p) => p.growth > 0)
    .sort((a, b) => b.growth - a.growth || (b.growthRate ?? Infinity) - (a.growthRate ?? Infinity) || a.category.localeCompare(b.category));
  return {
    ...range,
    opened,
    byCategory: now,
    byChannel: byChannel.toRecord(),
    byPriority: byPriority.toRecord(),
    byTeam: byTeam.toRecord(),
    byStatus: byStatus.toRecord(),
    firstResponse: firstResponse.stats(),
    resolution: resolution.stats(),
    breaches: { firstResponse: firstResponseBreaches, resolution: resolutionBreaches, escalatedCases: escalated, escalatedShare: ratio(escalated, opened) },
    satisfaction: { answered, average: answered === 0 ? null : Math.round((scoreSum / answered) * 100) / 100, distribution: scores.toRecord() },
    classification: { byRule: Object.fromEntries([...byRule.entries()].sort(([a], [b]) => a.localeCompare(b))), corrected },
    recurringProblems,
  };
}

/** GET /v1/reports/cases: streams the cases of the range and the one before it, and the funnel of the same range. */
@Injectable()
export class CasesReporting {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore, @Inject(CLOCK) private readonly clock: Clock) {}

  async report(input: { readonly from?: string; readonly to?: string }): Promise<CasesReport> {
    const range = parseReportRange(input, this.clock.now().toISOString());
    const lengthMs = Date.parse(range.to) - Date.parse(range.from);
    const previousFrom = new Date(Date.parse(range.from) - lengthMs).toISOString();
    const current = await collect(this.readStore.scan(CASES, { openedAt: { $gte: range.from, $lt: range.to } }));
    const previous = await collect(this.readStore.scan(CASES, { openedAt: { $gte: previousFrom, $lt: range.from } }));
    const cards = this.readStore.scan(CARDS, { issuedAt: { $gte: range.from, $lt: range.to } }) as AsyncIterable<unknown> as AsyncIterable<CardSummaryDocument>;
    const funnel = await funnelReport(cards, { from: range.from, to: range.to });
    return casesReport(current, previous, funnel, range);
  }
}

async function collect(docs: AsyncIterable<unknown>): Promise<CaseDocument[]> {
  const out: CaseDocument[] = [];
  for await (const doc of docs) out.push(doc as CaseDocument);
  return out;
}
