/**
 * Phone numbers in E.164 (`+<country calling code><national number>`, at most 15 digits), the one form in which
 * they are hashed for lookups and masked. Mainland China is the home market: a bare 11-digit mobile number
 * (1[3-9]…) is taken as +86.
 */

/** Calling codes of one and two digits (ITU-T E.164 assignments); every other code has three digits. */
const ONE_DIGIT_CODES = new Set(['1', '7']);
const TWO_DIGIT_CODES = new Set([
  '20', '27',
  '30', '31', '32', '33', '34', '36', '39',
  '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58',
  '60', '61', '62', '63', '64', '65', '66',
  '81', '82', '84', '86',
  '90', '91', '92', '93', '94', '95', '98',
]);

const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
/** Spaces, dashes, dots, parentheses and slashes people write between digits. */
const SEPARATORS = /[\s\-.()/]/g;

/** Full-width digits and plus signs (as typed with a Chinese input method) become ASCII; separators go. */
function compact(value: string): string {
  return value.normalize('NFKC').replace(SEPARATORS, '');
}

/**
 * The number in E.164, or null when it is not one: `+` or `00` then 7 to 15 digits not starting with 0, or a
 * mainland mobile number written without its country code (11 digits, or 13 starting with 86).
 */
export function normalisePhone(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let number = compact(value);
  if (number.startsWith('00')) number = `+${number.slice(2)}`;
  if (number.startsWith('+')) return /^\+[1-9]\d{6,14}$/.test(number) ? number : null;
  if (MAINLAND_MOBILE.test(number)) return `+86${number}`;
  if (/^86/.test(number) && MAINLAND_MOBILE.test(number.slice(2))) return `+${number}`;
  return null;
}

/** The country calling code of an E.164 number (digits only, without '+'). */
export function callingCodeOf(e164: string): string {
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  if (ONE_DIGIT_CODES.has(digits.slice(0, 1))) return digits.slice(0, 1);
  if (TWO_DIGIT_CODES.has(digits.slice(0, 2))) return digits.slice(0, 2);
  return digits.slice(0, 3);
}

/** True for a mainland China mobile number in E.164 (+86 1[3-9] and 9 more digits). */
export function isMainlandMobile(e164: string): boolean {
  return e164.startsWith('+86') && MAINLAND_MOBILE.test(e164.slice(3));
}

/** What a number that is not E.164 is hashed as: its characters without separators (full-width made ASCII). */
export function compactPhone(value: string): string {
  return compact(value);
}
