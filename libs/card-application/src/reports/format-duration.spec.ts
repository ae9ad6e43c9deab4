import { formatDuration } from './format-duration';

describe('formatDuration', () => {
  it.each([
    [0, '0.0 seconds'],
    [45, '45.0 seconds'],
    [59.94, '59.9 seconds'],
    [59.96, '1.0 minutes'], // the unit is chosen after rounding
    [90, '1.5 minutes'],
    [3_600, '1.0 hours'],
    [5_400, '1.5 hours'],
    [86_399, '1.0 days'],
    [36 * 3_600, '1.5 days'],
    [3.2 * 86_400, '3.2 days'],
    [400 * 86_400, '400.0 days'],
    [-90, '-1.5 minutes'],
  ])('%d s reads "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('refuses what is not a number of seconds', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatDuration(Infinity)).toThrow(RangeError);
  });
});
