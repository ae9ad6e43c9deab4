/** Nearest-rank percentile (the value at rank ⌈p·n/100⌉ of the sorted values), as the service's reports use. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Milliseconds since an hrtime mark, as a float. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const now = (): bigint => process.hrtime.bigint();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One decimal, for the figures results.json records (MiB, seconds, milliseconds). */
export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Operations per second over a run. */
export const perSecond = (operations: number, ms: number): number => (ms > 0 ? (operations * 1000) / ms : 0);

/** A shuffled copy (Fisher–Yates) with a small seeded generator, so runs pick the same order. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
