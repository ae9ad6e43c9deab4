/**
 * The p-th percentile of values sorted ascending, by the nearest-rank method: the value at rank ceil(p/100 × n)
 * (1-based) of the sorted list, the first value for p = 0. It is always one of the values (no interpolation), so
 * the result is exact and reproducible: for 1..100, p50 = 50, p90 = 90, p95 = 95; for [10], every percentile is
 * 10. Null for an empty list.
 */
export function nearestRankPercentile(sortedAscending: ArrayLike<number>, p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sortedAscending.length;
  if (n === 0) return null;
  // p × n first, then / 100: (p / 100) × n goes through a binary fraction (0.07 × 100 = 7.000000000000001, rank 8).
  const rank = Math.max(1, Math.ceil((p * n) / 100));
  return sortedAscending[rank - 1] as number;
}

/** A ratio rounded to 4 decimals, or null when there is nothing to divide by. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : roundRatio(numerator / denominator);
}

export function roundRatio(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Summary of a set of durations, in seconds (millisecond precision); every figure is null when `count` is 0. */
export interface DurationStats {
  readonly count: number;
  /** Arithmetic mean, rounded to the millisecond. */
  readonly meanSeconds: number | null;
  /** Exact percentiles, nearest-rank method (see nearestRankPercentile). */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p95: number | null;
  readonly maxSeconds: number | null;
  /** Durations left out because they were negative (the later timestamp before the earlier: bad data). */
  readonly excludedNegative: number;
}

/** Collects durations in milliseconds and summarises them; negative ones are only counted. */
export class DurationCollector {
  private readonly values: number[] = [];
  private sumMs = 0;
  private negative = 0;

  add(durationMs: number): void {
    if (durationMs < 0) {
      this.negative += 1;
      return;
    }
    this.values.push(durationMs);
    this.sumMs += durationMs;
  }

  stats(): DurationStats {
    const sorted = Float64Array.from(this.values).sort();
    const count = sorted.length;
    const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
    return {
      count,
      meanSeconds: count === 0 ? null : Math.round(this.sumMs / count) / 1000,
      p50: seconds(nearestRankPercentile(sorted, 50)),
      p90: seconds(nearestRankPercentile(sorted, 90)),
      p95: seconds(nearestRankPercentile(sorted, 95)),
      maxSeconds: count === 0 ? null : (sorted[count - 1] as number) / 1000,
      excludedNegative: this.negative,
    };
  }
}

/** A `{ key: count }` record that starts with every known key at 0 (in that order) and also takes unknown keys. */
export class Tally {
  private readonly counts = new Map<string, number>();

  constructor(private readonly known: readonly string[] = []) {
    for (const key of known) this.counts.set(key, 0);
  }

  add(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  /** Known keys first, in the order given, then any others in code-unit order. */
  toRecord(): Record<string, number> {
    const record: Record<string, number> = {};
    for (const key of this.known) record[key] = this.counts.get(key) ?? 0;
    const others = [...this.counts.keys()].filter((key) => !this.known.includes(key)).sort();
    for (const key of others) record[key] = this.counts.get(key) as number;
    return record;
  }
}
