import { activationsReport } from './activations-report';
import { card, dispute, parameterErrorFrom, streamed } from './testing/report-fixtures';

const zero = { issued: 0, verified: 0, linked: 0, activated: 0, disputed: 0, cancelled: 0 };

describe('activationsReport by day', () => {
  it('puts an event on the local day of the time zone asked for', async () => {
    // given cards issued at 23:30 and 00:30 Shanghai time (15:30Z and 16:30Z)
    const cards = [card({ issuedAt: '2026-11-22T15:30:00Z' }), card({ issuedAt: '2026-11-22T16:30:00Z' })];
    const range = { from: '2026-11-20', to: '2026-11-25' };

    // when
    const shanghai = await activationsReport(cards, [], { ...range, groupBy: 'day', tz: 'Asia/Shanghai' });
    const utc = await activationsReport(cards, [], { ...range, groupBy: 'day' });

    // then
    expect(shanghai.rows).toEqual([
      { ...zero, group: '2026-11-22', start: '2026-11-22', issued: 1 },
      { ...zero, group: '2026-11-23', start: '2026-11-23', issued: 1 },
    ]);
    expect(shanghai.tz).toBe('Asia/Shanghai');
    expect(utc.rows).toEqual([{ ...zero, group: '2026-11-22', start: '2026-11-22', issued: 2 }]);
    expect(utc.tz).toBe('UTC');
  });

  it('counts an event at `from` and just before `to`, not one at `to`', async () => {
    // given the range is the Shanghai day 2026-11-23, i.e. [2026-11-22T16:00Z, 2026-11-23T16:00Z)
    const from = '2026-11-23T00:00:00+08:00';
    const to = '2026-11-24T00:00:00+08:00';
    const cards = [
      card({ issuedAt: '2026-11-22T16:00:00.000Z' }), // exactly `from`: counted
      card({ issuedAt: '2026-11-22T15:59:59.999Z' }), // just before `from`: not counted
      card({ issuedAt: '2026-11-20T08:00:00Z', activatedAt: '2026-11-23T15:59:59.999Z' }), // just before `to`
      card({ issuedAt: '2026-11-20T08:00:00Z', activatedAt: '2026-11-23T16:00:00.000Z' }), // at `to`: not counted
    ];

    // when
    const report = await activationsReport(cards, [], { from, to, groupBy: 'day', tz: 'Asia/Shanghai' });

    // then
    expect(report.from).toBe('2026-11-22T16:00:00.000Z');
    expect(report.to).toBe('2026-11-23T16:00:00.000Z');
    expect(report.rows).toEqual([{ ...zero, group: '2026-11-23', start: '2026-11-23', issued: 1, activated: 1 }]);
  });

  it('places each event of a card by its own timestamp, and disputes by when they were opened', async () => {
    // given a card that went through every stage over three days, then was cancelled
    const cards = [
      card({
        cardId: 'c1',
        issuedAt: '2026-11-01T09:00:00Z',
        identityVerifiedAt: '2026-11-01T10:00:00Z',
        linkedAt: '2026-11-02T10:00:00Z',
        activatedAt: '2026-11-03T10:00:00Z',
        cancelledAt: '2026-11-05T10:00:00Z',
      }),
    ];
    const disputes = [dispute({ cardId: 'c1', openedAt: '2026-11-04T10:00:00Z' }), dispute({ cardId: 'c1', openedAt: '2026-11-04T11:00:00Z' })];

    // when
    const report = await activationsReport(cards, disputes, { from: '2026-11-01', to: '2026-12-01', groupBy: 'day' });

    // then
    expect(report.rows).toEqual([
      { ...zero, group: '2026-11-01', start: '2026-11-01', issued: 1, verified: 1 },
      { ...zero, group: '2026-11-02', start: '2026-11-02', linked: 1 },
      { ...zero, group: '2026-11-03', start: '2026-11-03', activated: 1 },
      { ...zero, group: '2026-11-04', start: '2026-11-04', disputed: 2 },
      { ...zero, group: '2026-11-05', start: '2026-11-05', cancelled: 1 },
    ]);
    expect(report.totals).toEqual({ issued: 1, verified: 1, linked: 1, activated: 1, disputed: 2, cancelled: 1 });
  });
});

describe('activationsReport by week', () => {
  it('labels ISO weeks across the turn of the year, with their Monday', async () => {
    // given
    const cards = [
      card({ issuedAt: '2026-12-31T12:00:00Z' }),
      card({ issuedAt: '2027-01-03T12:00:00Z' }),
      card({ issuedAt: '2027-01-04T12:00:00Z' }),
      card({ issuedAt: '2026-11-22T16:30:00Z' }), // Sunday in UTC, Monday in Shanghai
    ];

    // when
    const utc = await activationsReport(cards, [], { from: '2026-11-01', to: '2027-02-01', groupBy: 'week' });
    const shanghai = await activationsReport(cards, [], { from: '2026-11-01', to: '2027-02-01', groupBy: 'week', tz: 'Asia/Shanghai' });

    // then
    expect(utc.rows.map(({ group, start, issued }) => ({ group, start, issued }))).toEqual([
      { group: '2026-W47', start: '2026-11-16', issued: 1 },
      { group: '2026-W53', start: '2026-12-28', issued: 2 },
      { group: '2027-W01', start: '2027-01-04', issued: 1 },
    ]);
    expect(shanghai.rows[0]).toMatchObject({ group: '2026-W48', start: '2026-11-23', issued: 1 });
  });
});

describe('activationsReport by card attribute', () => {
  const cards = [
    card({ cardId: 'a', channel: 'BRANCH', branchId: 'BR-2', product: 'CREDIT', issuedAt: '2026-11-02T09:00:00Z' }),
    card({ cardId: 'b', channel: 'APP', branchId: null, issuedAt: '2026-11-02T09:00:00Z', activatedAt: '2026-11-03T09:00:00Z' }),
    card({ cardId: 'c', channel: 'BRANCH', branchId: 'BR-1', issuedAt: '2026-10-02T09:00:00Z', activatedAt: '2026-11-04T09:00:00Z' }),
  ];
  const disputes = [
    dispute({ cardId: 'b', openedAt: '2026-11-05T09:00:00Z' }),
    dispute({ cardId: 'gone', openedAt: '2026-11-05T09:00:00Z' }),
    dispute({ cardId: 'a', openedAt: '2026-10-05T09:00:00Z' }), // before the range
  ];
  const range = { from: '2026-11-01', to: '2026-12-01' };

  it('groups by issue channel, joining disputes to their card', async () => {
    // when the documents come as async streams
    const report = await activationsReport(streamed(cards), streamed(disputes), { ...range, groupBy: 'channel' });

    // then
    expect(report.rows).toEqual([
      { ...zero, group: '(unknown card)', start: null, disputed: 1 },
      { ...zero, group: 'APP', start: null, issued: 1, activated: 1, disputed: 1 },
      { ...zero, group: 'BRANCH', start: null, issued: 1, activated: 1 },
    ]);
    expect(report.totals).toEqual({ ...zero, issued: 2, activated: 2, disputed: 2 });
  });

  it('groups cards without a branch under (none)', async () => {
    const report = await activationsReport(cards, disputes, { ...range, groupBy: 'branch' });
    expect(report.rows.map((row) => [row.group, row.issued, row.activated, row.disputed])).toEqual([
      ['(none)', 1, 1, 1],
      ['(unknown card)', 0, 0, 1],
      ['BR-1', 0, 1, 0],
      ['BR-2', 1, 0, 0],
    ]);
  });

  it('groups by product', async () => {
    const report = await activationsReport(cards, disputes, { ...range, groupBy: 'product' });
    expect(report.rows.map((row) => row.group)).toEqual(['(unknown card)', 'CREDIT', 'DEBIT']);
  });
});

describe('activationsReport parameters', () => {
  it('refuses an unknown time zone on tz', async () => {
    const error = await parameterErrorFrom(() => activationsReport([], [], { from: '2026-11-01', to: '2026-11-02', groupBy: 'day', tz: 'Asia/Atlantis' }));
    expect(error.field).toBe('tz');
  });

  it('refuses an unknown grouping on groupBy', async () => {
    const groupBy = 'month' as unknown as 'day';
    const error = await parameterErrorFrom(() => activationsReport([], [], { from: '2026-11-01', to: '2026-11-02', groupBy }));
    expect(error.field).toBe('groupBy');
    expect(error.reason).toContain('day, week, channel, product, branch');
  });

  it('refuses from after to', async () => {
    const error = await parameterErrorFrom(() => activationsReport([], [], { from: '2026-11-02', to: '2026-11-01', groupBy: 'day' }));
    expect(error.field).toBe('from');
  });

  it('gives empty rows and zero totals when nothing happened', async () => {
    const report = await activationsReport([], [], { from: '2026-11-01', to: '2026-11-02', groupBy: 'week' });
    expect(report).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z', groupBy: 'week', tz: 'UTC', rows: [], totals: zero });
  });
});
