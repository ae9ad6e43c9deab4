import { PRODUCTS } from '@cards/domain';
import type { CardSummaryDocument } from '@cards/read-store/projections/documents';
import { activationsReport } from './activations-report';
import { funnelReport } from './funnel-report';
import { stageDurationsReport } from './stage-durations-report';
import { card, plus, seededRandom, streamed } from './testing/report-fixtures';

/**
 * 500 random cards (seeded, so every run sees the same ones) issued around the report range. Each goes on to the
 * next stage with some chance, now and then with a timestamp before the previous one (bad data), and some are
 * cancelled. The reports must agree with counts made the plain way: filter, then length.
 */
function randomCards(seed: number, count: number): CardSummaryDocument[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const cards: CardSummaryDocument[] = [];
  for (let i = 0; i < count; i += 1) {
    const issuedAt = plus('2026-10-20T00:00:00.000Z', Math.floor(random() * 50 * 86_400) + random());
    const next = (previous: string | null): string | null => {
      if (previous === null || random() < 0.25) return null;
      const seconds = random() < 0.05 ? -Math.floor(random() * 3_600) - 1 : Math.floor(random() * 5 * 86_400);
      return plus(previous, seconds);
    };
    const identityVerifiedAt = next(issuedAt);
    const linkedAt = next(identityVerifiedAt);
    const activatedAt = next(linkedAt);
    const notifiedAt = next(activatedAt);
    const cancelledAt = random() < 0.15 ? plus(issuedAt, 10 * 86_400) : null;
    cards.push(card({ issuedAt, identityVerifiedAt, linkedAt, activatedAt, notifiedAt, cancelledAt, product: pick(PRODUCTS) }));
  }
  return cards;
}

const FROM = '2026-11-01T00:00:00.000Z';
const TO = '2026-12-01T00:00:00.000Z';
// every timestamp was written by toISOString, so comparing the strings compares the instants
const issuedInRange = (c: CardSummaryDocument): boolean => c.issuedAt >= FROM && c.issuedAt < TO;
const stageFields = ['issuedAt', 'identityVerifiedAt', 'linkedAt', 'activatedAt', 'notifiedAt'] as const;

describe.each([1, 2, 3])('reports on 500 random cards (seed %d)', (seed) => {
  const cards = randomCards(seed, 500);

  it('funnel: reached and dropped counts equal the plain counts', async () => {
    // when
    const report = await funnelReport(streamed(cards), { from: FROM, to: TO });

    // then
    const cohort = cards.filter(issuedInRange);
    expect(report.cohort).toBe(cohort.length);
    stageFields.forEach((field, i) => {
      const row = report.stages[i];
      expect(row?.reached).toBe(cohort.filter((c) => c[field] !== null).length);
      const nextField = stageFields[i + 1];
      if (nextField === undefined) return;
      const dropped = cohort.filter((c) => c[field] !== null && c[nextField] === null);
      expect(row?.droppedAfter).toEqual({
        total: dropped.length,
        cancelled: dropped.filter((c) => c.cancelledAt !== null).length,
        waiting: dropped.filter((c) => c.cancelledAt === null).length,
      });
    });
  });

  it('funnel by product: the products add up to the whole', async () => {
    const whole = await funnelReport(cards, { from: FROM, to: TO });
    const parts = await Promise.all(PRODUCTS.map((product) => funnelReport(cards, { from: FROM, to: TO, product })));
    whole.stages.forEach((stage, i) => {
      expect(parts.reduce((sum, part) => sum + (part.stages[i]?.reached ?? 0), 0)).toBe(stage.reached);
    });
  });

  it('stage durations: every card with both timestamps is counted or excluded as negative', async () => {
    // when
    const report = await stageDurationsReport(cards, { from: FROM, to: TO });

    // then
    const cohort = cards.filter(issuedInRange);
    const pairs = [
      ['issuedAt', 'identityVerifiedAt'],
      ['identityVerifiedAt', 'linkedAt'],
      ['linkedAt', 'activatedAt'],
      ['activatedAt', 'notifiedAt'],
      ['issuedAt', 'activatedAt'],
    ] as const;
    pairs.forEach(([start, end], i) => {
      const both = cohort.filter((c) => c[start] !== null && c[end] !== null);
      const negative = both.filter((c) => (c[end] as string) < (c[start] as string));
      const row = report.steps[i];
      expect(row?.count).toBe(both.length - negative.length);
      expect(row?.excludedNegative).toBe(negative.length);
      expect(row?.count).toBeGreaterThan(0);
      // p50 ≤ p90 ≤ p95 ≤ max, and each is one of the durations
      const durations = both
        .filter((c) => !negative.includes(c))
        .map((c) => (Date.parse(c[end] as string) - Date.parse(c[start] as string)) / 1000);
      for (const value of [row?.p50, row?.p90, row?.p95, row?.maxSeconds]) expect(durations).toContain(value);
      expect(row!.p50! <= row!.p90! && row!.p90! <= row!.p95! && row!.p95! <= row!.maxSeconds!).toBe(true);
      expect(row?.maxSeconds).toBe(Math.max(...durations));
    });
  });

  it('activations: the totals equal the events in the range, whatever the grouping', async () => {
    const inRange = (t: string | null): boolean => t !== null && t >= FROM && t < TO;
    const expected = {
      issued: cards.filter((c) => inRange(c.issuedAt)).length,
      verified: cards.filter((c) => inRange(c.identityVerifiedAt)).length,
      linked: cards.filter((c) => inRange(c.linkedAt)).length,
      activated: cards.filter((c) => inRange(c.activatedAt)).length,
      disputed: 0,
      cancelled: cards.filter((c) => inRange(c.cancelledAt)).length,
    };
    for (const groupBy of ['day', 'week', 'channel', 'product', 'branch'] as const) {
      const report = await activationsReport(cards, [], { from: FROM, to: TO, groupBy, tz: 'America/Los_Angeles' });
      expect(report.totals).toEqual(expected);
    }
  });
});
