import { ReportParameterError } from './report-parameter-error';

export const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (month 1..12), by arithmetic alone. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** `YYYY-MM-DD` of a day counted from 1970-01-01. */
export function civilDate(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

export function daysInMonth(year: number, month: number): number {
  return daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Checks that `tz` is an IANA time zone this runtime knows (e.g. `Asia/Shanghai`, `UTC`) and returns it as
 * given. Unknown names are a ReportParameterError on `field`.
 */
export function requireTimeZone(tz: unknown, field = 'tz'): string {
  if (typeof tz !== 'string' || tz.trim() === '') {
    throw new ReportParameterError(field, 'must be an IANA time zone name such as UTC or Asia/Shanghai');
  }
  try {
    formatterFor(tz);
  } catch {
    throw new ReportParameterError(field, `"${tz}" is not a time zone this server knows; use an IANA name such as UTC, Europe/Berlin or Asia/Shanghai`);
  }
  return tz;
}

/** The calendar date (`YYYY-MM-DD`) that the instant `ms` falls on in the (already validated) time zone. */
export function localDate(ms: number, timeZone: string): string {
  let year = '';
  let month = '';
  let day = '';
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type === 'year') year = part.value;
    else if (part.type === 'month') month = part.value;
    else if (part.type === 'day') day = part.value;
  }
  return `${year.padStart(4, '0')}-${month}-${day}`;
}

export interface IsoWeek {
  /** ISO-8601 week label, e.g. `2026-W47`; the year is the ISO week-numbering year, which differs near 1 January. */
  readonly label: string;
  /** The week's Monday, `YYYY-MM-DD`. */
  readonly start: string;
}

/**
 * The ISO-8601 week of a calendar date (`YYYY-MM-DD`): weeks start on Monday, and week 1 is the week holding the
 * year's first Thursday; a week belongs to the year its Thursday falls in.
 */
export function isoWeekOf(date: string): IsoWeek {
  const days = daysFromCivil(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
  const weekday = (((days + 3) % 7) + 7) % 7; // Monday 0 … Sunday 6; 1970-01-01 was a Thursday
  const monday = days - weekday;
  const thursday = monday + 3;
  const weekYear = Number(civilDate(thursday).slice(0, 4));
  const week = Math.floor((thursday - daysFromCivil(weekYear, 1, 1)) / 7) + 1;
  return { label: `${weekYear}-W${String(week).padStart(2, '0')}`, start: civilDate(monday) };
}
