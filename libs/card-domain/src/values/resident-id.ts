import { instantOf, isCalendarDate, utcDateNumber } from '../shared/time';
import { invalid, type Validated } from './validated';

export type ResidentIdCheck = Validated<{
  /** Upper case, no spaces. */
  readonly value: string;
  /** "YYYY-MM-DD", from characters 7–14. */
  readonly birthDate: string;
}>;

/** GB 11643-1999 / ISO 7064 MOD 11-2: the weight of each of the first 17 digits, and the check character by remainder. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = '10X98765432';
const EARLIEST_BIRTH_YEAR = 1900;

/** The check character the first 17 digits of a resident id call for. */
export function residentIdCheckCharacter(first17Digits: string): string {
  if (!/^\d{17}$/.test(first17Digits)) throw new RangeError('a resident id check character needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) sum += Number(first17Digits[i]) * WEIGHTS[i];
  return CHECK_CHARACTERS[sum % 11];
}

/** A mainland China resident identity card number (18 characters). */
export function validateResidentId(raw: string, nowIso: string): ResidentIdCheck {
  const value = raw.replace(/\s/g, '').toUpperCase();
  if (value.length !== 18) return invalid('must be 18 characters long');
  if (!/^\d{17}[\dX]$/.test(value)) return invalid('must be 17 digits followed by a digit or X');

  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  if (!isCalendarDate(year, month, day)) return invalid('birth date (characters 7–14) is not a real date');
  if (year < EARLIEST_BIRTH_YEAR) return invalid(`birth date (characters 7–14) is before ${EARLIEST_BIRTH_YEAR}`);
  if (Number(value.slice(6, 14)) > utcDateNumber(instantOf(nowIso))) {
    return invalid('birth date (characters 7–14) is in the future');
  }

  if (residentIdCheckCharacter(value.slice(0, 17)) !== value[17]) return invalid('check character is wrong');
  return { ok: true, value, birthDate: `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}` };
}
