import { disputesReport } from './disputes-report';
import { dispute, parameterErrorFrom, plus } from './testing/report-fixtures';

const T0 = '2026-11-10T00:00:00.000Z';
const HOUR = 3_600;

describe('disputesReport', () => {
  it('counts open and resolved disputes and how long the resolved ones took', async () => {
    // given
    const disputes = [
      dispute({ reason: 'FRAUD', openedAt: T0 }), // open
      dispute({ reason: 'FRAUD', openedAt: T0, outcome: 'UPHELD', resolvedAt: plus(T0, HOUR) }),
      dispute({ reason: 'NOT_RECEIVED', openedAt: T0, outcome: 'REJECTED', resolvedAt: plus(T0, 3 * HOUR) }),
      // the projection gave no secondsToResolve: taken from the timestamps
      dispute({ reason: 'OTHER', openedAt: T0, outcome: 'UPHELD', resolvedAt: plus(T0, 2 * HOUR), secondsToResolve: null }),
      // resolved before it was opened: bad data, left out of the times
      dispute({ reason: 'OTHER', openedAt: T0, outcome: 'REJECTED', resolvedAt: plus(T0, -HOUR) }),
      // opened before the range, resolved in it: not counted
      dispute({ reason: 'FRAUD', openedAt: '2026-10-31T23:00:00Z', outcome: 'UPHELD', resolvedAt: T0 }),
    ];

    // when
    const report = await disputesReport(disputes, { from: '2026-11-01', to: '2026-12-01' });

    // then
    expect(report).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      total: 5,
      open: 1,
      byReason: { UNRECOGNIZED_ACTIVATION: 0, NOT_RECEIVED: 1, WRONG_CUSTOMER: 0, FRAUD: 2, OTHER: 2 },
      byOutcome: { UPHELD: 2, REJECTED: 2, OPEN: 1 },
      // 1 h, 2 h, 3 h: p50 at rank ceil(1.5) = 2, p90 at rank ceil(2.7) = 3
      timeToResolve: { count: 3, meanSeconds: 2 * HOUR, p50: 2 * HOUR, p90: 3 * HOUR, maxSeconds: 3 * HOUR, excludedNegative: 1 },
    });
  });

  it('has null times when nothing was resolved', async () => {
    const report = await disputesReport([dispute({ openedAt: T0 })], { from: '2026-11-01', to: '2026-12-01' });
    expect(report.timeToResolve).toEqual({ count: 0, meanSeconds: null, p50: null, p90: null, maxSeconds: null, excludedNegative: 0 });
  });

  it('refuses from after to', async () => {
    expect((await parameterErrorFrom(() => disputesReport([], { from: '2026-12-01', to: '2026-11-01' }))).field).toBe('from');
  });
});
