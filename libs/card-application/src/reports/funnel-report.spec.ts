import { funnelReport } from './funnel-report';
import { card, parameterErrorFrom, streamed } from './testing/report-fixtures';

const range = { from: '2026-11-01', to: '2026-11-08' };

/** A hand-counted cohort: the comment on each card says where it stopped. */
const cards = [
  card({ cardId: 'A', issuedAt: '2026-11-01T00:00:00Z' }), // stopped after ISSUED, waiting
  card({ cardId: 'B', issuedAt: '2026-11-01T08:00:00Z', cancelledAt: '2026-11-03T08:00:00Z' }), // after ISSUED, cancelled
  card({ cardId: 'C', issuedAt: '2026-11-02T08:00:00Z', identityVerifiedAt: '2026-11-02T09:00:00Z' }), // after VERIFIED, waiting
  card({
    cardId: 'D', // reached LINKED, then cancelled
    branchId: 'BR-1',
    issuedAt: '2026-11-02T08:00:00Z',
    identityVerifiedAt: '2026-11-02T09:00:00Z',
    linkedAt: '2026-11-02T10:00:00Z',
    cancelledAt: '2026-11-04T10:00:00Z',
  }),
  card({ cardId: 'E', issuedAt: '2026-11-03T08:00:00Z', identityVerifiedAt: '2026-11-03T09:00:00Z', linkedAt: '2026-11-03T10:00:00Z' }), // after LINKED, waiting
  card({
    cardId: 'F', // all the way, told of its activation half a minute later
    branchId: 'BR-1',
    issuedAt: '2026-11-04T08:00:00Z',
    identityVerifiedAt: '2026-11-04T09:00:00Z',
    linkedAt: '2026-11-04T10:00:00Z',
    activatedAt: '2026-11-04T11:00:00Z',
    notifiedAt: '2026-11-04T11:00:30Z',
  }),
  card({
    cardId: 'G', // activated, never notified, cancelled later: ACTIVE still reached
    issuedAt: '2026-11-05T08:00:00Z',
    identityVerifiedAt: '2026-11-05T09:00:00Z',
    linkedAt: '2026-11-05T10:00:00Z',
    activatedAt: '2026-11-05T11:00:00Z',
    cancelledAt: '2026-11-06T11:00:00Z',
  }),
  card({ cardId: 'J', product: 'CREDIT', issuedAt: '2026-11-07T23:59:59.999Z', identityVerifiedAt: '2026-11-08T09:00:00Z' }), // after VERIFIED, waiting
  // not in the cohort: issued before `from`, and at `to`
  card({ cardId: 'H', issuedAt: '2026-10-31T23:59:59.999Z', identityVerifiedAt: '2026-11-01T09:00:00Z', linkedAt: '2026-11-01T10:00:00Z', activatedAt: '2026-11-01T11:00:00Z' }),
  card({ cardId: 'I', issuedAt: '2026-11-08T00:00:00Z' }),
];

describe('funnelReport', () => {
  it('counts reached stages, conversions and drop-offs of the cohort', async () => {
    // when
    const report = await funnelReport(cards, range);

    // then 8 cards issued in the range: A B C D E F G J
    expect(report).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-08T00:00:00.000Z',
      product: null,
      branchId: null,
      cohort: 8,
      stages: [
        { stage: 'ISSUED', reached: 8, conversionFromPrevious: null, conversionFromIssue: 1, droppedAfter: { total: 2, cancelled: 1, waiting: 1 } },
        // C D E F G J
        { stage: 'IDENTITY_VERIFIED', reached: 6, conversionFromPrevious: 0.75, conversionFromIssue: 0.75, droppedAfter: { total: 2, cancelled: 0, waiting: 2 } },
        // D E F G
        { stage: 'LINKED', reached: 4, conversionFromPrevious: 0.6667, conversionFromIssue: 0.5, droppedAfter: { total: 2, cancelled: 1, waiting: 1 } },
        // F G
        { stage: 'ACTIVE', reached: 2, conversionFromPrevious: 0.5, conversionFromIssue: 0.25, droppedAfter: { total: 1, cancelled: 1, waiting: 0 } },
        // F
        { stage: 'NOTIFIED', reached: 1, conversionFromPrevious: 0.5, conversionFromIssue: 0.125, droppedAfter: null },
      ],
    });
  });

  it('narrows the cohort to a product', async () => {
    const report = await funnelReport(streamed(cards), { ...range, product: 'DEBIT' });
    expect(report.cohort).toBe(7);
    expect(report.stages.map((s) => s.reached)).toEqual([7, 5, 4, 2, 1]);
    expect(report.stages[1]?.droppedAfter).toEqual({ total: 1, cancelled: 0, waiting: 1 });
  });

  it('narrows the cohort to a branch', async () => {
    // given D (cancelled after LINKED) and F (active) are from BR-1
    const report = await funnelReport(cards, { ...range, branchId: 'BR-1' });
    expect(report.branchId).toBe('BR-1');
    expect(report.stages.map((s) => [s.stage, s.reached, s.conversionFromPrevious])).toEqual([
      ['ISSUED', 2, null],
      ['IDENTITY_VERIFIED', 2, 1],
      ['LINKED', 2, 1],
      ['ACTIVE', 1, 0.5],
      ['NOTIFIED', 1, 1],
    ]);
    expect(report.stages[2]?.droppedAfter).toEqual({ total: 1, cancelled: 1, waiting: 0 });
  });

  it('has no conversions for an empty cohort', async () => {
    const report = await funnelReport(cards, { from: '2025-01-01', to: '2025-02-01' });
    expect(report.cohort).toBe(0);
    for (const stage of report.stages) {
      expect(stage.reached).toBe(0);
      expect(stage.conversionFromPrevious).toBeNull();
      expect(stage.conversionFromIssue).toBeNull();
    }
  });

  it('refuses an unknown product, an empty branch and a reversed range', async () => {
    const product = await parameterErrorFrom(() => funnelReport([], { ...range, product: 'GOLD' as unknown as 'DEBIT' }));
    expect(product.field).toBe('product');
    expect(product.reason).toBe('"GOLD" is not a product; use one of DEBIT, CREDIT, LOYALTY, SIM');
    expect((await parameterErrorFrom(() => funnelReport([], { ...range, branchId: ' ' }))).field).toBe('branchId');
    expect((await parameterErrorFrom(() => funnelReport([], { from: range.to, to: range.from }))).field).toBe('from');
  });
});
