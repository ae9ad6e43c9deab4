const UNITS = [
  { name: 'seconds', seconds: 1, next: 60 },
  { name: 'minutes', seconds: 60, next: 60 },
  { name: 'hours', seconds: 3_600, next: 24 },
  { name: 'days', seconds: 86_400, next: Infinity },
] as const;

/**
 * A duration for people, in the largest unit that keeps it at 1 or more, with one decimal: "45.0 seconds",
 * "1.5 minutes", "36.0 hours" is "1.5 days". The unit is picked after rounding, so 59.99 s reads "1.0 minutes".
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new RangeError(`formatDuration needs a finite number of seconds, got ${seconds}`);
  const sign = seconds < 0 ? '-' : '';
  const magnitude = Math.abs(seconds);
  for (const unit of UNITS) {
    const rounded = Math.round((magnitude / unit.seconds) * 10) / 10;
    if (rounded < unit.next) return `${sign}${rounded.toFixed(1)} ${unit.name}`;
  }
  throw new Error('unreachable: the last unit has no upper bound');
}
