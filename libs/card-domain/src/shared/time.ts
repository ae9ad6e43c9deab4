/**
 * The domain never reads a clock: every command carries `now`. This turns that ISO-8601 string into an
 * instant and refuses anything that is not one, so a broken clock fails loudly instead of comparing NaN.
 */
export function instantOf(nowIso: string): Date {
  const instant = new Date(nowIso);
  if (Number.isNaN(instant.getTime())) {
    throw new RangeError('now must be an ISO-8601 timestamp');
  }
  return instant;
}

/** The UTC calendar date of an instant as a comparable number, e.g. 2025-06-01 → 20250601. */
export function utcDateNumber(instant: Date): number {
  return instant.getUTCFullYear() * 10_000 + (instant.getUTCMonth() + 1) * 100 + instant.getUTCDate();
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Whether year-month-day names a day that exists in the Gregorian calendar. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= daysInMonth;
}
