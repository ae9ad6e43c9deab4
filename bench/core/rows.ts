/**
 * One line of the benchmark table: a figure, the limit it is compared with (measured in the same run), their
 * ratio, and the target for it (docs/performance.md).
 */
export type Target =
  /** figure / reference must be at least `value` (e.g. 0.8 × bare better-sqlite3). */
  | { readonly kind: 'ratio-at-least'; readonly value: number }
  /** The figure itself must be at least `value` (e.g. 50,000 events/s). */
  | { readonly kind: 'at-least'; readonly value: number }
  /** The figure itself must be below `value` (latencies, memory). */
  | { readonly kind: 'below'; readonly value: number };

export interface Measure {
  readonly value: number;
  readonly unit: string;
}

export interface Reference extends Measure {
  /** What was measured as the limit: "bare better-sqlite3 inserts, one transaction each". */
  readonly label: string;
}

export interface Row {
  /** Stable id, dotted: `appends.one-writer`, `http.commands.p99`. `--only` selects rows by its prefix. */
  readonly id: string;
  /** What the figure is, for the table. */
  readonly label: string;
  readonly figure: Measure;
  readonly reference: Reference | null;
  /** figure / reference.value, when there is a reference. */
  readonly ratio: number | null;
  readonly target: Target | null;
  /** true met, false missed, null no target. */
  readonly pass: boolean | null;
  /** How it was measured, sizes, and secondary figures (JSON values only). */
  readonly details: Readonly<Record<string, unknown>>;
}

export function row(input: {
  id: string;
  label: string;
  figure: Measure;
  reference?: Reference | null;
  target?: Target | null;
  details?: Record<string, unknown>;
}): Row {
  const reference = input.reference ?? null;
  const ratio = reference && reference.value > 0 ? input.figure.value / reference.value : null;
  const target = input.target ?? null;
  return {
    id: input.id,
    label: input.label,
    figure: input.figure,
    reference,
    ratio,
    target,
    pass: judge(input.figure.value, ratio, target),
    details: input.details ?? {},
  };
}

function judge(value: number, ratio: number | null, target: Target | null): boolean | null {
  if (target === null) return null;
  switch (target.kind) {
    case 'ratio-at-least':
      return ratio !== null && ratio >= target.value;
    case 'at-least':
      return value >= target.value;
    case 'below':
      return value < target.value;
  }
}

export function describeTarget(target: Target | null, unit: string): string {
  if (target === null) return '';
  switch (target.kind) {
    case 'ratio-at-least':
      return `≥ ${target.value}×`;
    case 'at-least':
      return `≥ ${formatNumber(target.value)} ${unit}`;
    case 'below':
      return `< ${formatNumber(target.value)} ${unit}`;
  }
}

/** Three significant figures at most, thousands separated: 1,234,567 / 12,345 / 123 / 12.3 / 1.23 / 0.123. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100 || Number.isInteger(value)) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
