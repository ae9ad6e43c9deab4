import { stageDurationsReport } from './stage-durations-report';
import { card, parameterErrorFrom, plus } from './testing/report-fixtures';

const T0 = '2026-11-02T00:00:00.000Z';
const HOUR = 3_600;
const DAY = 86_400;

describe('stageDurationsReport', () => {
  // given ten cards verified 10, 20, … 100 s after issue; the first three linked an hour later, the first
  // activated a day after that and notified 90 s later; one card "verified" before it was issued; one card
  // outside the range
  const cards = [
    ...[10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((seconds, i) =>
      card({
        issuedAt: T0,
        identityVerifiedAt: plus(T0, seconds),
        linkedAt: i < 3 ? plus(T0, seconds + HOUR) : null,
        activatedAt: i === 0 ? plus(T0, seconds + HOUR + DAY) : null,
        notifiedAt: i === 0 ? plus(T0, seconds + HOUR + DAY + 90) : null,
      }),
    ),
    card({ issuedAt: T0, identityVerifiedAt: plus(T0, -60) }),
    card({ issuedAt: '2026-10-01T00:00:00Z', identityVerifiedAt: '2026-10-09T00:00:00Z' }),
    card({ issuedAt: T0, product: 'SIM', identityVerifiedAt: plus(T0, 5 * DAY) }),
  ];
  const range = { from: '2026-11-01', to: '2026-12-01' };

  it('gives count, mean, exact percentiles and max per step, leaving out negative durations', async () => {
    // when
    const report = await stageDurationsReport(cards, { ...range, product: 'DEBIT' });

    // then
    expect(report.cohort).toBe(11);
    expect(report.steps).toEqual([
      {
        step: 'ISSUED→IDENTITY_VERIFIED',
        fromStage: 'ISSUED',
        toStage: 'IDENTITY_VERIFIED',
        count: 10,
        excludedNegative: 1,
        meanSeconds: 55,
        p50: 50, // rank ceil(0.5 × 10) = 5
        p90: 90, // rank 9
        p95: 100, // rank ceil(9.5) = 10
        maxSeconds: 100,
      },
      { step: 'IDENTITY_VERIFIED→LINKED', fromStage: 'IDENTITY_VERIFIED', toStage: 'LINKED', count: 3, excludedNegative: 0, meanSeconds: HOUR, p50: HOUR, p90: HOUR, p95: HOUR, maxSeconds: HOUR },
      { step: 'LINKED→ACTIVE', fromStage: 'LINKED', toStage: 'ACTIVE', count: 1, excludedNegative: 0, meanSeconds: DAY, p50: DAY, p90: DAY, p95: DAY, maxSeconds: DAY },
      { step: 'ACTIVE→NOTIFIED', fromStage: 'ACTIVE', toStage: 'NOTIFIED', count: 1, excludedNegative: 0, meanSeconds: 90, p50: 90, p90: 90, p95: 90, maxSeconds: 90 },
      {
        step: 'ISSUED→ACTIVE',
        fromStage: 'ISSUED',
        toStage: 'ACTIVE',
        count: 1,
        excludedNegative: 0,
        meanSeconds: 10 + HOUR + DAY,
        p50: 10 + HOUR + DAY,
        p90: 10 + HOUR + DAY,
        p95: 10 + HOUR + DAY,
        maxSeconds: 10 + HOUR + DAY,
      },
    ]);
  });

  it('counts all products without a filter, and has null figures for steps nobody completed', async () => {
    const all = await stageDurationsReport(cards, range);
    expect(all.product).toBeNull();
    expect(all.steps[0]).toMatchObject({ count: 11, maxSeconds: 5 * DAY });

    const sims = await stageDurationsReport(cards, { ...range, product: 'SIM' });
    expect(sims.steps[2]).toEqual({
      step: 'LINKED→ACTIVE',
      fromStage: 'LINKED',
      toStage: 'ACTIVE',
      count: 0,
      excludedNegative: 0,
      meanSeconds: null,
      p50: null,
      p90: null,
      p95: null,
      maxSeconds: null,
    });
  });

  it('keeps millisecond precision', async () => {
    const report = await stageDurationsReport([card({ issuedAt: T0, identityVerifiedAt: plus(T0, 1.234) })], range);
    expect(report.steps[0]?.p50).toBe(1.234);
  });

  it('refuses an unknown product', async () => {
    expect((await parameterErrorFrom(() => stageDurationsReport([], { ...range, product: 'debit' as unknown as 'DEBIT' }))).field).toBe('product');
  });
});
