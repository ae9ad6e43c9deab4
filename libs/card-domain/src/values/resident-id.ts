import { instantOf, isCalendarDate, utcDateNumber } from '../shared/time';
import { isProvinceCode } from './cn-regions';
import { invalid, refused, type Checked, type Validated } from './validated';

export type ResidentIdCheck = Validated<{
  /** Upper case, no spaces. */
  readonly value: string;
  /** "YYYY-MM-DD", from characters 7–14. */
  readonly birthDate: string;
}>;

/** Why a presented resident id is not a genuine one: one code per check, in the order they are made. */
export const RESIDENT_ID_FAILURE_CODES = [
  'ID_FORMAT_INVALID',
  'ID_REGION_INVALID',
  'ID_BIRTH_DATE_INVALID',
  'ID_CHECK_CHARACTER_INVALID',
] as const;
export type ResidentIdFailureCode = (typeof RESIDENT_ID_FAILURE_CODES)[number];

export type ResidentIdDocumentCheck = Checked<
  {
    /** Upper case, no spaces. */
    readonly value: string;
    /** "YYYY-MM-DD", from characters 7–14. */
    readonly birthDate: string;
    /** Characters 1–2: a province-level code of GB/T 2260 (see cn-regions.ts). */
    readonly provinceCode: string;
  },
  ResidentIdFailureCode
>;

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

/**
 * The checks of GB 11643-1999, left to right over an id already freed of spaces and upper-cased: its form, the
 * province (characters 1–2), the birth date (7–14: a real date, from 1900, not after today), and the check
 * character (18). The first failure is the answer.
 */
function checkNormalised(value: string, nowIso: string): ResidentIdDocumentCheck {
  if (value.length !== 18) return refused('ID_FORMAT_INVALID', 'must be 18 characters long');
  if (!/^\d{17}[\dX]$/.test(value)) return refused('ID_FORMAT_INVALID', 'must be 17 digits followed by a digit or X');

  const provinceCode = value.slice(0, 2);
  if (!isProvinceCode(provinceCode)) {
    return refused('ID_REGION_INVALID', 'region code (characters 1–2) is not a province code of GB/T 2260');
  }

  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  if (!isCalendarDate(year, month, day)) {
    return refused('ID_BIRTH_DATE_INVALID', 'birth date (characters 7–14) is not a real date');
  }
  if (year < EARLIEST_BIRTH_YEAR) {
    return refused('ID_BIRTH_DATE_INVALID', `birth date (characters 7–14) is before ${EARLIEST_BIRTH_YEAR}`);
  }
  if (Number(value.slice(6, 14)) > utcDateNumber(instantOf(nowIso))) {
    return refused('ID_BIRTH_DATE_INVALID', 'birth date (characters 7–14) is in the future');
  }

  if (residentIdCheckCharacter(value.slice(0, 17)) !== value[17]) {
    return refused('ID_CHECK_CHARACTER_INVALID', 'check character is wrong');
  }
  return {
    ok: true,
    value,
    birthDate: `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`,
    provinceCode,
  };
}

/**
 * A mainland China resident identity card number (18 characters), as registered: spaces are dropped and a
 * lower-case x is taken for X. Refused with a reason for people.
 */
export function validateResidentId(raw: string, nowIso: string): ResidentIdCheck {
  const checked = checkNormalised(raw.replace(/\s/g, '').toUpperCase(), nowIso);
  if (!checked.ok) return invalid(checked.reason);
  return { ok: true, value: checked.value, birthDate: checked.birthDate };
}

/**
 * A resident id presented as an identity document, checked as GB 11643-1999 describes it: a reason code for the
 * failed check, or the id with its birth date and province. Besides spaces and the case of the final X, it also
 * forgives full-width digits (Chinese input methods type them): the number is read after NFKC normalisation.
 */
export function checkResidentIdDocument(idNumber: string, nowIso: string): ResidentIdDocumentCheck {
  return checkNormalised(idNumber.normalize('NFKC').replace(/\s/g, '').toUpperCase(), nowIso);
}
