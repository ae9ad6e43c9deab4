import { DurationCollector, Tally, nearestRankPercentile, ratio } from './statistics';

describe('nearestRankPercentile (exact, nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('takes the value at rank ceil(p/100 × n) of the sorted list', () => {
    expect(nearestRankPercentile(oneToHundred, 50)).toBe(50);
    expect(nearestRankPercentile(oneToHundred, 90)).toBe(90);
    expect(nearestRankPercentile(oneToHundred, 95)).toBe(95);
    expect(nearestRankPercentile(oneToHundred, 100)).toBe(100);
    expect(nearestRankPercentile(oneToHundred, 0)).toBe(1);
  });

  it('never interpolates: for 10 values p50 is the 5th, p90 the 9th, p95 the 10th', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(nearestRankPercentile(values, 50)).toBe(50);
    expect(nearestRankPercentile(values, 90)).toBe(90);
    expect(nearestRankPercentile(values, 95)).toBe(100);
    expect(nearestRankPercentile(values, 91)).toBe(100);
  });

  it('gives the only value for one value, and null for none', () => {
    for (const p of [0, 50, 90, 95, 100]) expect(nearestRankPercentile([10], p)).toBe(10);
    expect(nearestRankPercentile([], 50)).toBeNull();
  });

  it('does not move a rank up through binary fractions (0.07 × 100 is 7.000000000000001)', () => {
    expect(nearestRankPercentile(oneToHundred, 7)).toBe(7);
    expect(nearestRankPercentile(oneToHundred, 55)).toBe(55);
  });

  it('refuses percentiles outside 0..100', () => {
    expect(() => nearestRankPercentile([1], 101)).toThrow(RangeError);
    expect(() => nearestRankPercentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('DurationCollector', () => {
  it('summarises in seconds, in any input order, leaving negative durations out', () => {
    // given 1..100 seconds shuffled, and two negative durations
    const collector = new DurationCollector();
    for (const s of Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1)) collector.add(s * 1000);
    collector.add(-1);
    collector.add(-5000);

    // then
    expect(collector.stats()).toEqual({ count: 100, meanSeconds: 50.5, p50: 50, p90: 90, p95: 95, maxSeconds: 100, excludedNegative: 2 });
  });

  it('has nulls when empty, and counts a zero duration', () => {
    expect(new DurationCollector().stats()).toEqual({ count: 0, meanSeconds: null, p50: null, p90: null, p95: null, maxSeconds: null, excludedNegative: 0 });
    const zero = new DurationCollector();
    zero.add(0);
    expect(zero.stats()).toMatchObject({ count: 1, meanSeconds: 0, maxSeconds: 0 });
  });

  it('rounds the mean to the millisecond', () => {
    const collector = new DurationCollector();
    [1, 1, 2].forEach((ms) => collector.add(ms));
    expect(collector.stats().meanSeconds).toBe(0.001); // 1.333… ms
  });
});

describe('ratio and Tally', () => {
  it('rounds ratios to 4 decimals and gives null for 0 / 0', () => {
    expect(ratio(2, 3)).toBe(0.6667);
    expect(ratio(0, 0)).toBeNull();
  });

  it('lists known keys first (0 included), then unknown ones sorted', () => {
    const tally = new Tally(['B', 'A']);
    tally.add('z');
    tally.add('A');
    tally.add('c');
    expect(Object.entries(tally.toRecord())).toEqual([['B', 0], ['A', 1], ['c', 1], ['z', 1]]);
  });
});
