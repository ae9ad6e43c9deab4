import { CASE_CATEGORIES, CASE_CHANNELS, CASE_PRIORITIES } from '@cards/domain';
import type { FunnelReport } from '../reports/funnel-report';
import { casesReport, CATEGORY_FUNNEL_STEP } from './cases-report';
import type { CaseDocument } from './cases.projection';

const RANGE = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
const FUNNEL: FunnelReport = {
  ...RANGE,
  product: null,
  branchId: null,
  cohort: 10,
  stages: [
    { stage: 'ISSUED', reached: 10, conversionFromPrevious: null, conversionFromIssue: 1, droppedAfter: null },
    { stage: 'IDENTITY_VERIFIED', reached: 9, conversionFromPrevious: 0.9, conversionFromIssue: 0.9, droppedAfter: null },
    { stage: 'LINKED', reached: 8, conversionFromPrevious: 0.8889, conversionFromIssue: 0.8, droppedAfter: null },
    { stage: 'ACTIVE', reached: 6, conversionFromPrevious: 0.75, conversionFromIssue: 0.6, droppedAfter: null },
    { stage: 'NOTIFIED', reached: 3, conversionFromPrevious: 0.5, conversionFromIssue: 0.3, droppedAfter: null },
  ],
};

function doc(i: number, overrides: Partial<CaseDocument> = {}): CaseDocument {
  return {
    _id: `case-${i}`,
    caseId: `case-${i}`,
    caseNumber: `CS-${String(i).padStart(8, '0')}`,
    channel: 'PHONE',
    customerId: null,
    cardId: null,
    priority: 'MEDIUM',
    category: 'OTHER',
    categorySource: 'DEFAULT',
    proposedCategory: null,
    proposedByRule: null,
    correctedFrom: null,
    corrections: 0,
    status: 'OPEN',
    open: true,
    team: 'desk',
    routingRule: null,
    assignee: null,
    openedBy: 'agent-1',
    openedAt: '2026-11-10T00:00:00.000Z',
    firstResponseDueAt: '2026-11-10T08:00:00.000Z',
    resolutionDueAt: '2026-11-13T00:00:00.000Z',
    firstRespondedAt: null,
    firstResponseSeconds: null,
    resolvedAt: null,
    resolutionSeconds: null,
    closedAt: null,
    reopenCount: 0,
    firstResponseBreached: false,
    resolutionBreached: false,
    breaches: 0,
    escalated: false,
    escalatedToTeam: null,
    lastEscalatedAt: null,
    surveyScore: null,
    surveyAnsweredAt: null,
    updatedAt: '2026-11-10T00:00:00.000Z',
    revision: 0,
    ...overrides,
  };
}

/** A deterministic pseudo-random generator, so that the cases vary without the test being flaky. */
function prng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('the cases report', () => {
  it('matches counts made independently over 500 varied cases', () => {
    const random = prng(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const cases = Array.from({ length: 500 }, (_, i) => {
      const resolved = random() < 0.6;
      const responded = resolved || random() < 0.5;
      const firstBreach = !responded && random() < 0.5;
      const ruled = random() < 0.5;
      return doc(i, {
        category: pick(CASE_CATEGORIES),
        channel: pick(CASE_CHANNELS),
        priority: pick(CASE_PRIORITIES),
        team: pick(['desk', 'activation', 'complaints']),
        status: resolved ? pick(['RESOLVED', 'CLOSED'] as const) : pick(['OPEN', 'ASSIGNED', 'IN_PROGRESS'] as const),
        open: !resolved,
        firstResponseSeconds: responded ? 1 + Math.floor(random() * 10_000) : null,
        resolutionSeconds: resolved ? 10_000 + Math.floor(random() * 100_000) : null,
        firstResponseBreached: firstBreach,
        breaches: (firstBreach ? 1 : 0) + (random() < 0.2 ? 1 : 0),
        escalated: firstBreach,
        surveyScore: resolved && random() < 0.5 ? 1 + Math.floor(random() * 5) : null,
        categorySource: ruled ? 'RULE' : 'OPENER',
        proposedByRule: ruled ? pick(['rule-a', 'rule-b']) : null,
        correctedFrom: random() < 0.2 ? 'OTHER' : null,
      });
    });
    const report = casesReport(cases, [], FUNNEL, RANGE);

    expect(report.opened).toBe(500);
    for (const category of CASE_CATEGORIES) expect(report.byCategory[category]).toBe(cases.filter((c) => c.category === category).length);
    for (const channel of CASE_CHANNELS) expect(report.byChannel[channel]).toBe(cases.filter((c) => c.channel === channel).length);
    for (const team of ['desk', 'activation', 'complaints']) expect(report.byTeam[team]).toBe(cases.filter((c) => c.team === team).length);

    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const nearestRank = (values: number[], p: number) => sorted(values)[Math.ceil((p / 100) * values.length) - 1];
    const firsts = cases.flatMap((c) => (c.firstResponseSeconds === null ? [] : [c.firstResponseSeconds]));
    expect(report.firstResponse).toMatchObject({ count: firsts.length, p50: nearestRank(firsts, 50), p90: nearestRank(firsts, 90) });
    const resolutions = cases.flatMap((c) => (c.resolutionSeconds === null ? [] : [c.resolutionSeconds]));
    expect(report.resolution).toMatchObject({ count: resolutions.length, p50: nearestRank(resolutions, 50), p90: nearestRank(resolutions, 90) });

    expect(report.breaches).toEqual({
      firstResponse: cases.filter((c) => c.firstResponseBreached).length,
      resolution: cases.reduce((n, c) => n + c.breaches - (c.firstResponseBreached ? 1 : 0), 0),
      escalatedCases: cases.filter((c) => c.escalated).length,
      escalatedShare: Math.round((cases.filter((c) => c.escalated).length / 500) * 10_000) / 10_000,
    });
    const scores = cases.flatMap((c) => (c.surveyScore === null ? [] : [c.surveyScore]));
    expect(report.satisfaction.answered).toBe(scores.length);
    expect(report.satisfaction.average).toBe(Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 100) / 100);
    for (const score of [1, 2, 3, 4, 5]) expect(report.satisfaction.distribution[String(score)]).toBe(scores.filter((s) => s === score).length);
    for (const rule of ['rule-a', 'rule-b']) {
      expect(report.classification.byRule[rule]).toEqual({
        proposed: cases.filter((c) => c.proposedByRule === rule).length,
        corrected: cases.filter((c) => c.proposedByRule === rule && c.correctedFrom !== null).length,
      });
    }
  });

  it('ranks the categories growing fastest against the previous period, each next to the funnel step it hurts', () => {
    const many = (category: CaseDocument['category'], n: number, offset: number) => Array.from({ length: n }, (_, i) => doc(offset + i, { category }));
    const current = [...many('NOTIFICATION_NOT_RECEIVED', 6, 0), ...many('ACTIVATION_FAILED', 5, 100), ...many('COMPLAINT', 2, 200), ...many('SUGGESTION', 1, 300)];
    const previous = [...many('NOTIFICATION_NOT_RECEIVED', 1, 400), ...many('ACTIVATION_FAILED', 4, 500), ...many('SUGGESTION', 3, 600)];
    const report = casesReport(current, previous, FUNNEL, RANGE);
    expect(report.recurringProblems).toEqual([
      { category: 'NOTIFICATION_NOT_RECEIVED', cases: 6, previousPeriod: 1, growth: 5, growthRate: 5, funnelStep: { from: 'ACTIVE', to: 'NOTIFIED', conversion: 0.5 } },
      { category: 'COMPLAINT', cases: 2, previousPeriod: 0, growth: 2, growthRate: null, funnelStep: null },
      { category: 'ACTIVATION_FAILED', cases: 5, previousPeriod: 4, growth: 1, growthRate: 0.25, funnelStep: { from: 'LINKED', to: 'ACTIVE', conversion: 0.75 } },
    ]);
  });

  it('says nothing it cannot know for an empty range', () => {
    const report = casesReport([], [], { ...FUNNEL, cohort: 0, stages: [] }, RANGE);
    expect(report).toMatchObject({ opened: 0, satisfaction: { answered: 0, average: null }, breaches: { escalatedShare: null }, recurringProblems: [] });
    expect(report.firstResponse.p50).toBeNull();
  });

  it('names a funnel step for every category that is about one, with stages of the funnel', () => {
    for (const step of Object.values(CATEGORY_FUNNEL_STEP)) {
      if (step !== null) expect(['ISSUED', 'IDENTITY_VERIFIED', 'LINKED', 'ACTIVE', 'NOTIFIED']).toEqual(expect.arrayContaining([step.from, step.to]));
    }
  });
});
