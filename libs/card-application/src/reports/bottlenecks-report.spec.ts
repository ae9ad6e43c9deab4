import type { CardSummaryDocument } from '@cards/read-store/projections/documents';
import { bottlenecksReport } from './bottlenecks-report';
import { card, parameterErrorFrom, plus } from './testing/report-fixtures';

const T0 = '2026-11-01T00:00:00.000Z';
const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
const range = { from: '2026-11-01', to: '2026-11-08' };

/**
 * 125 cards issued an hour apart. Cards 0–99 are verified 10 minutes after issue and linked 1–100 minutes after
 * that; 41–93 are activated a day after linking, 94–99 after 3.2 days; 41–97 get their activation notice 30 seconds
 * after activating, 98 and 99 never do; 40 is cancelled. Cards 100–124 are never verified, and 5 of them are
 * cancelled.
 */
function cohort(): CardSummaryDocument[] {
  const cards: CardSummaryDocument[] = [];
  for (let i = 0; i < 125; i += 1) {
    const issuedAt = plus(T0, i * HOUR);
    if (i >= 100) {
      cards.push(card({ issuedAt, cancelledAt: i >= 120 ? plus(issuedAt, DAY) : null }));
      continue;
    }
    const identityVerifiedAt = plus(issuedAt, 10 * MINUTE);
    const linkedAt = plus(identityVerifiedAt, (i + 1) * MINUTE);
    const activatedAt = i < 41 ? null : plus(linkedAt, i < 94 ? DAY : 3.2 * DAY);
    const notifiedAt = activatedAt === null || i >= 98 ? null : plus(activatedAt, 30);
    cards.push(card({ issuedAt, identityVerifiedAt, linkedAt, activatedAt, notifiedAt, cancelledAt: i === 40 ? plus(linkedAt, DAY) : null }));
  }
  return cards;
}

describe('bottlenecksReport', () => {
  // now: exactly 10 days after card 0 was linked (T0 + 11 minutes)
  const now = '2026-11-11T00:11:00.000Z';

  it('ranks the steps by p90 wait', async () => {
    // when
    const report = await bottlenecksReport(cohort(), { ...range, now });

    // then
    expect(report.cohort).toBe(125);
    expect(report.byWait.map((row) => [row.step, row.p90Seconds])).toEqual([
      ['LINKED→ACTIVE', 3.2 * DAY], // 53 × 1 day, 6 × 3.2 days: rank ceil(0.9 × 59) = 54
      ['IDENTITY_VERIFIED→LINKED', 90 * MINUTE],
      ['ISSUED→IDENTITY_VERIFIED', 10 * MINUTE],
      ['ACTIVE→NOTIFIED', 30],
    ]);
  });

  it('ranks the steps by drop-off, with a finding for each', async () => {
    // when
    const report = await bottlenecksReport(cohort(), { ...range, now });

    // then
    expect(report.byDropOff.map((row) => [row.step, row.reachedFrom, row.reachedTo, row.dropOffRate, row.stillWaiting])).toEqual([
      ['LINKED→ACTIVE', 100, 59, 0.41, 40],
      ['ISSUED→IDENTITY_VERIFIED', 125, 100, 0.2, 20],
      ['ACTIVE→NOTIFIED', 59, 57, 0.0339, 2], // 2 / 59
      ['IDENTITY_VERIFIED→LINKED', 100, 100, 0, 0],
    ]);
    expect(report.byDropOff.map((row) => row.finding)).toEqual([
      'LINKED→ACTIVE: p90 3.2 days, 41% of linked cards never activated (yet); 40 still waiting, the longest for 10.0 days',
      // the earliest still waiting was issued at T0 + 100 h: 140 h 11 min before now
      'ISSUED→IDENTITY_VERIFIED: p90 10.0 minutes, 20% of issued cards never passed identity verification (yet); 20 still waiting, the longest for 5.8 days',
      // card 98 was activated at T0 + 98 h + 10 min + 99 min + 3.2 days: 2 days 15 h 34 min before now
      'ACTIVE→NOTIFIED: p90 30.0 seconds, 3.4% of active cards never got their activation notice (yet); 2 still waiting, the longest for 2.6 days',
      'IDENTITY_VERIFIED→LINKED: p90 1.5 hours, 0% of identity-verified cards never got linked to an account (yet)',
    ]);
    expect(report.byDropOff[0]?.longestWaitingSeconds).toBe(10 * DAY);
    expect(report.now).toBe(now);
  });

  it('puts steps without data last and says so', async () => {
    // given one card, issued and never verified
    const report = await bottlenecksReport([card({ issuedAt: T0 })], { ...range, now });

    // then
    expect(report.byWait.map((row) => row.step)).toEqual(['ISSUED→IDENTITY_VERIFIED', 'IDENTITY_VERIFIED→LINKED', 'LINKED→ACTIVE', 'ACTIVE→NOTIFIED']);
    expect(report.byDropOff.map((row) => [row.step, row.dropOffRate])).toEqual([
      ['ISSUED→IDENTITY_VERIFIED', 1],
      ['IDENTITY_VERIFIED→LINKED', null],
      ['LINKED→ACTIVE', null],
      ['ACTIVE→NOTIFIED', null],
    ]);
    expect(report.byDropOff[0]?.finding).toBe(
      'ISSUED→IDENTITY_VERIFIED: p90 n/a (no card completed it), 100% of issued cards never passed identity verification (yet); 1 still waiting, the longest for 10.0 days',
    );
    expect(report.byDropOff[1]?.finding).toBe('IDENTITY_VERIFIED→LINKED: p90 n/a (no card completed it), no identity-verified cards in the cohort');
  });

  it('refuses a reversed range, and a bad now is a programming error', async () => {
    expect((await parameterErrorFrom(() => bottlenecksReport([], { from: range.to, to: range.from, now }))).field).toBe('from');
    await expect(bottlenecksReport([], { ...range, now: 'soon' })).rejects.toThrow(RangeError);
  });
});
