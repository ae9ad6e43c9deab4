import { instantOf, isCalendarDate, utcDateNumber } from '../shared/time';
import { invalid, type Validated } from './validated';

export type BirthDateCheck = Validated<{ /** "YYYY-MM-DD". */ readonly value: string }>;

const EARLIEST_BIRTH_YEAR = 1900;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether a string is a calendar date written YYYY-MM-DD (exactly: no time, no spaces, a day that exists). */
export function isIsoCalendarDate(text: string): boolean {
  const parts = ISO_DATE.exec(text);
  return parts !== null && isCalendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]));
}

/**
 * A birth date as a person gives it: YYYY-MM-DD (surrounding spaces forgiven), a real day, from 1900 (as for
 * resident ids), and not after today's UTC date.
 */
export function validateBirthDate(raw: string, nowIso: string): BirthDateCheck {
  const value = raw.trim();
  const parts = ISO_DATE.exec(value);
  if (parts === null) return invalid('must be a date, YYYY-MM-DD');
  const year = Number(parts[1]);
  if (!isCalendarDate(year, Number(parts[2]), Number(parts[3]))) return invalid('is not a real date');
  if (year < EARLIEST_BIRTH_YEAR) return invalid(`is before ${EARLIEST_BIRTH_YEAR}`);
  if (Number(value.replace(/-/g, '')) > utcDateNumber(instantOf(nowIso))) return invalid('is in the future');
  return { ok: true, value };
}

/**
 * Whether two birth dates (YYYY-MM-DD, e.g. the one a document shows and the registered one) are the same day.
 * Surrounding spaces are forgiven; anything that is not a real date in that form matches nothing.
 */
export function birthDatesMatch(a: string, b: string): boolean {
  const left = a.trim();
  return isIsoCalendarDate(left) && left === b.trim();
}
