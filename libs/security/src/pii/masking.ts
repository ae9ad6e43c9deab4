import { ERASED } from './erased';
import { callingCodeOf, isMainlandMobile, normalisePhone } from './phone-number';

/**
 * Masked forms of personal data, for read models, lists and logs: enough for a person to recognise a customer
 * on the phone, never enough to rebuild the value. Every function is total (any input, even not a string, gives
 * a string and never throws), and what each keeps is exactly what its comment says; the rest becomes '*'.
 * Input is NFKC-normalised first (full-width digits and letters become ASCII). ERASED ('[erased]', what a
 * decrypt gives for an erased subject) is passed through as it is, so a projection can mask whatever it decrypted.
 */

const MASK = '*';
/** Caps the stars of one masked run, so that a masked form does not give away the length of long values. */
const MAX_NAME_STARS = 3;
const MAX_ID_STARS = 16;

function text(value: unknown): string {
  return typeof value === 'string' ? value.normalize('NFKC').trim() : '';
}

/** Characters between the parts of a name: spaces, hyphens, apostrophes, dots and the middle dots of transliterated names. */
const NAME_SEPARATOR_RUN = /([\s\-'’.·•‧・]+)/u;

/**
 * Keeps the first character of each part of the name, then one '*' per further character, at most three:
 * '张三' → '张*', '欧阳娜娜' → '欧***', 'Zhang San' → 'Z*** S**', 'Jean-Luc' → 'J***-L**'. Parts are separated
 * by spaces, hyphens, apostrophes, dots or middle dots (kept; a run of spaces becomes one). A name of a single
 * character becomes '*' (it would otherwise be shown whole); empty gives ''. Characters are code points.
 */
export function maskName(name: unknown): string {
  if (name === ERASED) return ERASED;
  const value = text(name);
  if (value === '') return '';
  const pieces = value.split(NAME_SEPARATOR_RUN);
  const letters = pieces.filter((piece, index) => index % 2 === 0).reduce((sum, part) => sum + Array.from(part).length, 0);
  if (letters <= 1) return MASK;
  return pieces
    .map((piece, index) => {
      if (index % 2 === 1) return piece.replace(/\s+/gu, ' ');
      const characters = Array.from(piece);
      if (characters.length === 0) return '';
      return characters[0] + MASK.repeat(Math.min(characters.length - 1, MAX_NAME_STARS));
    })
    .join('');
}

/** An id number as it is compared: NFKC, without spaces and hyphens, upper case. */
export function normaliseIdNumber(value: unknown): string {
  return text(value).replace(/[\s-]/gu, '').toUpperCase();
}

/**
 * Mainland resident id (17 digits then a digit or X): keeps the first 6 (region) and the last 4:
 * '11010519491231002X' → '110105********002X'. Any other document (passport, old 15-digit id, permits) of 6
 * characters or more: keeps the first 2 and the last 2, 'E12345678' → 'E1*****78'. Shorter: all '*'. At most
 * 16 stars in a row. Compared after removing spaces and hyphens and upper-casing.
 */
export function maskIdNumber(idNumber: unknown): string {
  if (idNumber === ERASED) return ERASED;
  const value = normaliseIdNumber(idNumber);
  const characters = Array.from(value);
  if (characters.length === 0) return '';
  if (/^\d{17}[\dX]$/.test(value)) return `${value.slice(0, 6)}${MASK.repeat(8)}${value.slice(14)}`;
  if (characters.length < 6) return MASK.repeat(characters.length);
  const stars = Math.min(characters.length - 4, MAX_ID_STARS);
  return `${characters.slice(0, 2).join('')}${MASK.repeat(stars)}${characters.slice(-2).join('')}`;
}

/**
 * Mainland mobile numbers (+86 or 11 digits starting 1[3-9]): the first 3 and last 4 national digits,
 * '+8613800135678' → '138****5678'. Any other E.164 number: '+', the country calling code, '****', and the last 4
 * digits when the national number has 7 or more ('+447700900123' → '+44****0123'; shorter: '+44****'). Not a
 * phone number: '****'. Empty: ''.
 */
export function maskPhone(phone: unknown): string {
  if (phone === ERASED) return ERASED;
  if (text(phone) === '') return '';
  const e164 = normalisePhone(phone);
  if (e164 === null) return MASK.repeat(4);
  if (isMainlandMobile(e164)) {
    const national = e164.slice(3);
    return `${national.slice(0, 3)}${MASK.repeat(4)}${national.slice(7)}`;
  }
  const code = callingCodeOf(e164);
  const national = e164.slice(1 + code.length);
  return `+${code}${MASK.repeat(4)}${national.length >= 7 ? national.slice(-4) : ''}`;
}

/**
 * Keeps the first character of the part before '@' (only when that part has two or more) and the domain
 * (lower-cased), with '***' between: 'zhang.san@example.com' → 'z***@example.com', 'a@example.com' →
 * '***@example.com'. Not an address (no '@', empty domain, spaces in the domain): '***'. Empty: ''.
 */
export function maskEmail(email: unknown): string {
  if (email === ERASED) return ERASED;
  const value = text(email);
  if (value === '') return '';
  const at = value.lastIndexOf('@');
  if (at < 0) return MASK.repeat(3);
  const local = Array.from(value.slice(0, at));
  const domain = value.slice(at + 1).toLowerCase();
  if (domain === '' || domain.length > 253 || /\s|@/u.test(domain)) return MASK.repeat(3);
  return `${local.length >= 2 ? local[0] : ''}${MASK.repeat(3)}@${domain}`;
}

/** Keeps the year of an ISO date ('1949-12-31' → '1949-**-**'); anything else: '****-**-**'. Empty: ''. */
export function maskBirthDate(date: unknown): string {
  if (date === ERASED) return ERASED;
  const value = text(date);
  if (value === '') return '';
  const year = /^(\d{4})-\d{2}-\d{2}(?:$|T)/.exec(value)?.[1];
  return `${year ?? MASK.repeat(4)}-**-**`;
}
