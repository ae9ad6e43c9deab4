import { formatIsoDuration, parseIsoDuration } from './iso-duration';
import { parameterErrorFrom } from './testing/report-fixtures';

describe('parseIsoDuration', () => {
  it.each([
    ['P2D', 2 * 86_400],
    ['PT36H', 36 * 3_600],
    ['P1DT12H', 36 * 3_600],
    ['PT90M', 90 * 60],
    ['P1W', 7 * 86_400],
    ['PT45S', 45],
    ['P1DT2H3M4S', 86_400 + 2 * 3_600 + 3 * 60 + 4],
    ['PT1.5H', 5_400],
    ['PT0,5S', 0.5],
    ['PT0S', 0],
    ['p2d', 2 * 86_400],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseIsoDuration(text, 'olderThan')).toBe(seconds);
  });

  it.each([
    ['P1M', 'years or months'],
    ['P1Y', 'years or months'],
    ['P1Y2DT3H', 'years or months'],
    ['abc', 'is not an ISO-8601 duration'],
    ['2D', 'is not an ISO-8601 duration'],
    ['', 'is empty'],
    ['P', 'has no amount'],
    ['PT', 'has a T but no hours'],
    ['P1DT', 'has a T but no hours'],
    ['P1W2D', 'combines weeks'],
    ['PT1.5H30M', 'fraction before its last component'],
    ['-P1D', 'is not an ISO-8601 duration'],
    ['P1H', 'is not an ISO-8601 duration'],
  ])('refuses %p (%s), naming the field given', async (text, reason) => {
    // when
    const error = await parameterErrorFrom(() => parseIsoDuration(text, 'olderThan'));

    // then
    expect(error.field).toBe('olderThan');
    expect(error.reason).toContain(reason);
  });

  it('says what to do instead of months', async () => {
    const error = await parameterErrorFrom(() => parseIsoDuration('P1M', 'olderThan'));
    expect(error.reason).toBe('"P1M" uses years or months, which have no fixed length; give days or weeks instead (e.g. P30D rather than P1M)');
  });
});

describe('formatIsoDuration', () => {
  it.each([
    [0, 'PT0S'],
    [12, 'PT0.012S'],
    [500, 'PT0.5S'],
    [4_250, 'PT4.25S'],
    [63_000, 'PT1M3S'],
    [3_600_000, 'PT1H'],
    [5_400_000, 'PT1H30M'],
    [86_400_000, 'P1D'],
    [90_061_001, 'P1DT1H1M1.001S'],
    [0.4, 'PT0S'],
  ])('writes %d ms as %s, which parseIsoDuration reads back', (ms, text) => {
    expect(formatIsoDuration(ms)).toBe(text);
    expect(parseIsoDuration(text, 'x')).toBeCloseTo(Math.round(ms) / 1000, 3);
  });

  it('refuses a negative or endless duration', () => {
    expect(() => formatIsoDuration(-1)).toThrow(RangeError);
    expect(() => formatIsoDuration(Number.NaN)).toThrow(RangeError);
  });
});
