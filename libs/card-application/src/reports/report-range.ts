import { MS_PER_DAY, daysFromCivil, daysInMonth } from './calendar';
import { ReportParameterError } from './report-parameter-error';

export const DEFAULT_REPORT_RANGE_DAYS = 30;
/** Three calendar years at most (3 × 365 days and one leap day). */
export const MAX_REPORT_RANGE_DAYS = 1096;

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;
const DATE_TIME_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?$/;
const EXPECTED = 'expected an ISO-8601 date (2026-11-01, meaning 00:00 UTC) or date-time with offset (2026-11-01T08:00:00Z, 2026-11-01T16:00:00+08:00)';

function invalid(field: string, reason: string): never {
  throw new ReportParameterError(field, reason);
}

/**
 * Reads a date (`YYYY-MM-DD`, meaning 00:00 UTC) or a date-time with an explicit offset (`Z` or `±hh:mm`) into
 * epoch milliseconds. A date-time without an offset is refused rather than read in the server's zone. Fractions
 * of a second beyond milliseconds are cut off.
 */
export function parseInstant(text: unknown, field: string): number {
  if (typeof text !== 'string' || text === '') invalid(field, `is empty; ${EXPECTED}`);
  const date = DATE_ONLY.exec(text);
  const dateTime = date === null ? DATE_TIME.exec(text) : null;
  if (date === null && dateTime === null) {
    if (DATE_TIME_WITHOUT_OFFSET.test(text)) {
      invalid(field, `"${text}" has no UTC offset; add Z (UTC) or an offset such as +08:00`);
    }
    invalid(field, `"${text}" is not a date; ${EXPECTED}`);
  }
  const parts = (date ?? dateTime) as RegExpExecArray;
  const year = Number(parts[1]);
  const month = Number(parts[2]);
  const day = Number(parts[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    invalid(field, `"${text}" is not a calendar date`);
  }
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  if (dateTime !== null) {
    const hour = Number(dateTime[4]);
    const minute = Number(dateTime[5]);
    const second = Number(dateTime[6] ?? '0');
    const millis = Number((dateTime[7] ?? '').padEnd(3, '0').slice(0, 3));
    if (hour > 23 || minute > 59 || second > 59) invalid(field, `"${text}" is not a time of day (00:00:00 to 23:59:59)`);
    const offset = dateTime[8] as string;
    let offsetMinutes = 0;
    if (offset !== 'Z' && offset !== 'z') {
      const digits = offset.slice(1).replace(':', '');
      const offsetHours = Number(digits.slice(0, 2));
      const offsetRest = Number(digits.slice(2) || '0');
      if (offsetHours > 23 || offsetRest > 59) invalid(field, `"${text}" has an impossible UTC offset ${offset}`);
      offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetRest);
    }
    ms += ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  }
  return ms;
}

/** Reads an instant the server itself supplies (the clock's `now`); a bad one is a programming error. */
export function parseServerInstant(text: string, name = 'now'): number {
  try {
    return parseInstant(text, name);
  } catch (error) {
    throw new RangeError(`${name} must be an ISO-8601 date-time with offset, got ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
}

export interface ReportRange {
  /** Inclusive start, ISO-8601 UTC with milliseconds (`2026-11-01T00:00:00.000Z`). */
  readonly from: string;
  /** Exclusive end, same form. */
  readonly to: string;
}

/**
 * Turns the `from` / `to` a caller typed into a normalised half-open range [from, to). Missing (or empty) `to`
 * is `now`; missing `from` is 30 days before `to`. `from` must be before `to`, and the range may span at most
 * MAX_REPORT_RANGE_DAYS. Errors name `from` or `to`; an unreadable `now` is a RangeError (a server bug).
 */
export function parseReportRange(input: { readonly from?: string; readonly to?: string }, now: string): ReportRange {
  const nowMs = parseServerInstant(now);
  const toGiven = input.to !== undefined && input.to !== '';
  const fromGiven = input.from !== undefined && input.from !== '';
  const toMs = toGiven ? parseInstant(input.to, 'to') : nowMs;
  const fromMs = fromGiven ? parseInstant(input.from, 'from') : toMs - DEFAULT_REPORT_RANGE_DAYS * MS_PER_DAY;
  const toText = new Date(toMs).toISOString();
  if (fromMs >= toMs) {
    invalid('from', `must be before to (${toText}${toGiven ? '' : ', which defaults to now'}); got ${new Date(fromMs).toISOString()}`);
  }
  if (toMs - fromMs > MAX_REPORT_RANGE_DAYS * MS_PER_DAY) {
    invalid('from', `the range from ${new Date(fromMs).toISOString()} to ${toText} is longer than ${MAX_REPORT_RANGE_DAYS} days (3 years); narrow it`);
  }
  return { from: new Date(fromMs).toISOString(), to: toText };
}

/** The range a report was asked for, read and checked: both ends present and readable, `from` before `to`. */
export interface CheckedRange extends ReportRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export function checkReportRange(params: { readonly from: string; readonly to: string }): CheckedRange {
  const fromMs = parseInstant(params.from, 'from');
  const toMs = parseInstant(params.to, 'to');
  const from = new Date(fromMs).toISOString();
  const to = new Date(toMs).toISOString();
  if (fromMs >= toMs) invalid('from', `must be before to (${to}); got ${from}`);
  return { from, to, fromMs, toMs };
}

export function isInRange(ms: number | null, range: CheckedRange): ms is number {
  return ms !== null && ms >= range.fromMs && ms < range.toMs;
}

/**
 * Epoch milliseconds of a timestamp read from a document, or null when it is not set. The projections write
 * ISO-8601 UTC; a value that does not parse is treated as not set.
 */
export function instantOf(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
