import { checkReportRange, parseInstant, parseReportRange } from './report-range';
import { parameterErrorFrom } from './testing/report-fixtures';

const NOW = '2026-11-22T10:15:00.000Z';

describe('parseReportRange', () => {
  it('defaults to the 30 days before now', () => {
    expect(parseReportRange({}, NOW)).toEqual({ from: '2026-10-23T10:15:00.000Z', to: NOW });
  });

  it('counts the 30 days back from the `to` given', () => {
    expect(parseReportRange({ to: '2026-11-01' }, NOW)).toEqual({ from: '2026-10-02T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' });
  });

  it('treats empty parameters as missing', () => {
    expect(parseReportRange({ from: '', to: '' }, NOW)).toEqual(parseReportRange({}, NOW));
  });

  it('reads bare dates as 00:00 UTC and date-times with an offset, and writes them as UTC', () => {
    expect(parseReportRange({ from: '2026-11-01', to: '2026-11-22T08:00:00+08:00' }, NOW)).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-22T00:00:00.000Z',
    });
    expect(parseReportRange({ from: '2026-11-01T00:00Z', to: '2026-11-02T01:02:03.456789-0130' }, NOW)).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T02:32:03.456Z',
    });
  });

  it('refuses from after (or equal to) to, naming from', async () => {
    const after = await parameterErrorFrom(() => parseReportRange({ from: '2026-11-10', to: '2026-11-01' }, NOW));
    expect(after.field).toBe('from');
    expect(after.reason).toBe('must be before to (2026-11-01T00:00:00.000Z); got 2026-11-10T00:00:00.000Z');

    const equal = await parameterErrorFrom(() => parseReportRange({ from: '2026-11-01', to: '2026-11-01T00:00:00Z' }, NOW));
    expect(equal.field).toBe('from');

    const future = await parameterErrorFrom(() => parseReportRange({ from: '2026-12-01' }, NOW));
    expect(future.reason).toContain('which defaults to now');
  });

  it('allows three years and refuses more', async () => {
    expect(parseReportRange({ from: '2024-01-01', to: '2027-01-01' }, NOW).from).toBe('2024-01-01T00:00:00.000Z');
    const tooLong = await parameterErrorFrom(() => parseReportRange({ from: '2023-12-31', to: '2027-01-01' }, NOW));
    expect(tooLong.field).toBe('from');
    expect(tooLong.reason).toContain('longer than 1096 days');
  });

  it.each([
    ['to', { to: 'yesterday' }, 'is not a date'],
    ['to', { to: '2026-11-22T10:00:00' }, 'has no UTC offset'],
    ['from', { from: '2026-02-30' }, 'is not a calendar date'],
    ['from', { from: '2026-13-01' }, 'is not a calendar date'],
    ['from', { from: '2026-11-01T24:00:00Z' }, 'is not a time of day'],
    ['from', { from: '2026-11-01T10:00:00+25:00' }, 'impossible UTC offset'],
    ['from', { from: '1 Nov 2026' }, 'is not a date'],
  ])('refuses a bad %s: %p', async (field, input, reason) => {
    const error = await parameterErrorFrom(() => parseReportRange(input, NOW));
    expect(error.field).toBe(field);
    expect(error.reason).toContain(reason);
  });

  it('treats an unreadable now as a programming error, not a parameter error', () => {
    expect(() => parseReportRange({}, 'not a time')).toThrow(RangeError);
  });
});

describe('parseInstant', () => {
  it('accepts leap days only in leap years', async () => {
    expect(parseInstant('2028-02-29', 'from')).toBe(Date.parse('2028-02-29T00:00:00Z'));
    expect((await parameterErrorFrom(() => parseInstant('2027-02-29', 'from'))).reason).toContain('not a calendar date');
  });
});

describe('checkReportRange (the reports’ own check)', () => {
  it('normalises both ends and insists on from < to', async () => {
    expect(checkReportRange({ from: '2026-11-01', to: '2026-11-02T00:00:00+01:00' })).toMatchObject({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-01T23:00:00.000Z',
    });
    expect((await parameterErrorFrom(() => checkReportRange({ from: '2026-11-02', to: '2026-11-01' }))).field).toBe('from');
    expect((await parameterErrorFrom(() => checkReportRange({ from: '2026-11-01', to: '' }))).field).toBe('to');
  });
});
