import { instantOf, isCalendarDate, utcDateNumber } from '../shared/time';
import { normalizeNameForMatching } from './person-name';
import { refused, type Refused } from './validated';

/**
 * The machine-readable zone of a passport: ICAO Doc 9303, Part 4 (TD3, two lines of 44 characters, A–Z, 0–9
 * and the filler `<`).
 *
 * Line 1: 1–2 document code (P and a type letter or <), 3–5 issuing state, 6–44 name
 *         (SURNAME<<GIVEN<NAMES, fillers to the end).
 * Line 2: 1–9 document number, 10 its check digit, 11–13 nationality, 14–19 birth date YYMMDD, 20 its check
 *         digit, 21 sex (M, F, or < unspecified; some states write X), 22–27 expiry date YYMMDD, 28 its check
 *         digit, 29–42 personal number, 43 its check digit (< or 0 when the personal number is all fillers),
 *         44 composite check digit over 1–10, 14–20 and 22–43 of line 2.
 */
export const MRZ_FAILURE_CODES = ['MRZ_FORMAT_INVALID', 'MRZ_CHECK_DIGIT_INVALID'] as const;
export type MrzFailureCode = (typeof MRZ_FAILURE_CODES)[number];

export const MRZ_CHECK_DIGIT_FIELDS = ['documentNumber', 'birthDate', 'expiryDate', 'personalNumber', 'composite'] as const;
export type MrzCheckDigitField = (typeof MRZ_CHECK_DIGIT_FIELDS)[number];

export interface Td3Mrz {
  /** The document code without fillers: "P", or "P" and the state's type letter ("PD", "PO"…). */
  readonly documentType: string;
  /** ICAO three-letter code, fillers removed ("UTO", "CHN", "D" for Germany). */
  readonly issuingState: string;
  /** Name parts separated by single spaces, as the MRZ spells them (A–Z only). */
  readonly surname: string;
  /** Name parts separated by single spaces; "" when the holder has none. */
  readonly givenNames: string;
  /** Fillers removed. */
  readonly documentNumber: string;
  readonly nationality: string;
  /** YYYY-MM-DD; the century is the latest that does not put the date after `now`. */
  readonly birthDate: string;
  /** X when the MRZ leaves it unspecified (`<`), as the visual zone writes it. */
  readonly sex: 'M' | 'F' | 'X';
  /** YYYY-MM-DD, always 20YY. */
  readonly expiryDate: string;
  /** Optional data of the issuing state, fillers removed; "" when there is none. */
  readonly personalNumber: string;
}

export interface MrzRefused extends Refused<MrzFailureCode> {
  /** With MRZ_CHECK_DIGIT_INVALID: the field whose check digit is wrong (the first, in the order above). */
  readonly field?: MrzCheckDigitField;
}

export type Td3MrzParse = ({ readonly ok: true } & Td3Mrz) | MrzRefused;

const LINE_LENGTH = 44;
const CHECK_WEIGHTS = [7, 3, 1] as const;

function characterValue(character: string): number {
  if (character === '<') return 0;
  const code = character.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48; // 0–9
  if (code >= 65 && code <= 90) return code - 55; // A=10 … Z=35
  throw new RangeError('an MRZ check digit is computed over A–Z, 0–9 and < only');
}

/** The ICAO 9303 check digit of a field: Σ value × 7,3,1,7,3,1… mod 10, with < = 0, 0–9 themselves, A–Z = 10–35. */
export function mrzCheckDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += characterValue(field[i]) * CHECK_WEIGHTS[i % 3];
  return String(sum % 10);
}

const format = (reason: string): MrzRefused => refused('MRZ_FORMAT_INVALID', reason);
const checkDigit = (field: MrzCheckDigitField, reason: string): MrzRefused => ({
  ...refused('MRZ_CHECK_DIGIT_INVALID', reason),
  field,
});

/** The two lines of the text, upper-cased: separated by a line break, or one string of 88 characters. */
function linesOf(text: string): [string, string] | MrzRefused {
  const upper = text.trim().toUpperCase();
  if (/[\r\n]/.test(upper)) {
    const lines = upper.split(/\r?\n|\r/).map((line) => line.trim()).filter((line) => line.length > 0);
    if (lines.length !== 2) return format('must be two lines of 44 characters');
    return [lines[0], lines[1]];
  }
  if (upper.length !== 2 * LINE_LENGTH) return format('must be two lines of 44 characters (or one string of 88)');
  return [upper.slice(0, LINE_LENGTH), upper.slice(LINE_LENGTH)];
}

const withoutFillers = (field: string): string => field.replace(/<+$/, '');
/** "ANNA<MARIA<<<" → "ANNA MARIA". */
const nameParts = (field: string): string => field.split('<').filter((part) => part.length > 0).join(' ');

/**
 * A YYMMDD date: in the given century, or (no century given) in the latest century that does not put it after
 * `today`. Undefined when it is not a real date.
 */
function dateOf(yymmdd: string, today: number, century?: number): string | undefined {
  const yy = Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  let year = (century ?? 2000) + yy;
  if (century === undefined && year * 10_000 + month * 100 + day > today) year -= 100;
  if (!isCalendarDate(year, month, day)) return undefined;
  return `${year}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`;
}

/**
 * Reads the MRZ of a passport (TD3). Checked in this order, the first failure being the answer: the shape (two
 * lines of 44 characters of A–Z, 0–9, <; a document code starting with P; letters where names and states go,
 * digits where dates and check digits go), then the five check digits (document number, birth date, expiry
 * date, personal number, composite), then that both dates are real days.
 *
 * The birth date's century is chosen so that the date is not after `nowIso`'s UTC date (someone born in 1924
 * reads as 2024: the MRZ cannot tell them apart); the expiry date is read in 20YY. Whether the passport has
 * expired is left to the caller (`expiryDate` < today).
 */
export function parseTd3Mrz(text: string, nowIso: string): Td3MrzParse {
  const today = utcDateNumber(instantOf(nowIso));
  const lines = linesOf(text);
  if (!Array.isArray(lines)) return lines;
  const [line1, line2] = lines;
  for (const [index, line] of [line1, line2].entries()) {
    if (line.length !== LINE_LENGTH) return format(`line ${index + 1} must be 44 characters long (it has ${line.length})`);
    if (!/^[A-Z0-9<]+$/.test(line)) return format(`line ${index + 1} may only hold A–Z, 0–9 and <`);
  }

  const documentCode = line1.slice(0, 2);
  const issuingState = line1.slice(2, 5);
  const name = line1.slice(5);
  if (documentCode[0] !== 'P' || !/^[A-Z<]$/.test(documentCode[1])) {
    return format('is not a passport MRZ: the document code (line 1, 1–2) must be P and a letter or <');
  }
  if (!/^[A-Z]{1,3}<{0,2}$/.test(issuingState)) return format('issuing state (line 1, 3–5) must be a three-letter code');
  if (!/^[A-Z<]+$/.test(name) || !/[A-Z]/.test(name)) return format('name (line 1, 6–44) must be letters and <');
  if (name.startsWith('<')) return format('name (line 1, 6–44) must start with the surname');

  const documentNumber = line2.slice(0, 9);
  const nationality = line2.slice(10, 13);
  const birth = line2.slice(13, 19);
  const sex = line2[20];
  const expiry = line2.slice(21, 27);
  const personalNumber = line2.slice(28, 42);
  if (!/[A-Z0-9]/.test(documentNumber)) return format('document number (line 2, 1–9) is missing');
  if (!/^[A-Z]{1,3}<{0,2}$/.test(nationality)) return format('nationality (line 2, 11–13) must be a three-letter code');
  if (!/^\d{6}$/.test(birth)) return format('birth date (line 2, 14–19) must be six digits, YYMMDD');
  if (!/^[MFX<]$/.test(sex)) return format('sex (line 2, 21) must be M, F, X or <');
  if (!/^\d{6}$/.test(expiry)) return format('expiry date (line 2, 22–27) must be six digits, YYMMDD');
  for (const [position, label] of [[9, 10], [19, 20], [27, 28], [43, 44]] as const) {
    if (!/^\d$/.test(line2[position])) return format(`check digit (line 2, ${label}) must be a digit`);
  }
  const personalCheck = line2[42];
  const personalEmpty = /^<+$/.test(personalNumber);
  if (!/^[\d<]$/.test(personalCheck)) return format('check digit (line 2, 43) must be a digit or <');

  if (mrzCheckDigit(documentNumber) !== line2[9]) return checkDigit('documentNumber', 'document number check digit is wrong');
  if (mrzCheckDigit(birth) !== line2[19]) return checkDigit('birthDate', 'birth date check digit is wrong');
  if (mrzCheckDigit(expiry) !== line2[27]) return checkDigit('expiryDate', 'expiry date check digit is wrong');
  // An empty personal number may have < or 0 as its check digit; a personal number needs its digit.
  if (personalCheck === '<' ? !personalEmpty : mrzCheckDigit(personalNumber) !== personalCheck) {
    return checkDigit('personalNumber', 'personal number check digit is wrong');
  }
  const composite = line2.slice(0, 10) + line2.slice(13, 20) + line2.slice(21, 43);
  if (mrzCheckDigit(composite) !== line2[43]) return checkDigit('composite', 'composite check digit is wrong');

  const birthDate = dateOf(birth, today);
  if (birthDate === undefined) return format('birth date (line 2, 14–19) is not a real date');
  const expiryDate = dateOf(expiry, today, 2000);
  if (expiryDate === undefined) return format('expiry date (line 2, 22–27) is not a real date');

  const separator = name.indexOf('<<');
  const surnameField = separator < 0 ? name : name.slice(0, separator);
  const givenField = separator < 0 ? '' : name.slice(separator + 2);
  return {
    ok: true,
    documentType: withoutFillers(documentCode),
    issuingState: withoutFillers(issuingState),
    surname: nameParts(surnameField),
    givenNames: nameParts(givenField),
    documentNumber: withoutFillers(documentNumber),
    nationality: withoutFillers(nationality),
    birthDate,
    sex: sex === 'M' || sex === 'F' ? sex : 'X',
    expiryDate,
    personalNumber: withoutFillers(personalNumber),
  };
}

/**
 * ICAO 9303 Part 3 writes names in the MRZ with A–Z only: accented letters lose their marks and a few letters are
 * spelt out (Æ AE, Œ OE, Þ TH, ß SS…), while for Ä, Å, Ö, Ü, Ø, Ð the states choose between the plain letter and
 * a longer form (AE, AA, OE, UE, OE, DH). A presented name is tried in both spellings (one or the other
 * throughout). Not the whole of Part 3: the rarely used UXX / NXX forms are left out, and names in Cyrillic,
 * Greek or Arabic (transliterated by tables of their own) or in Han characters match no MRZ here.
 */
const SPELT_OUT: Readonly<Record<string, string>> = {
  æ: 'ae', œ: 'oe', þ: 'th', đ: 'd', ħ: 'h', ı: 'i', ł: 'l', ŋ: 'n', ŧ: 't', ø: 'o', ð: 'd',
};
const LONG_FORMS: Readonly<Record<string, string>> = { ä: 'ae', å: 'aa', ö: 'oe', ü: 'ue', ø: 'oe', ð: 'dh' };

/** Apostrophes, commas and full stops are left out of the MRZ, and hyphens become fillers. */
const PUNCTUATION_IN_NAMES = /[-‐‑‒–—'’ʼ`´,.<]/gu;

function mrzSpellings(name: string): string[] {
  const folded = normalizeNameForMatching(name).replace(PUNCTUATION_IN_NAMES, '');
  const plain = (text: string): string =>
    text
      .replace(/[æœþđħıłŋŧøð]/gu, (letter) => SPELT_OUT[letter])
      .normalize('NFD')
      .replace(/\p{M}/gu, '');
  const spellings = [plain(folded), plain(folded.replace(/[äåöüøð]/gu, (letter) => LONG_FORMS[letter]))];
  return spellings.filter((spelling) => /^[a-z]+$/.test(spelling));
}

/**
 * Whether a name (as presented, or as registered) is the one an MRZ holds: compared after the name normalisation
 * of namesMatch, without the punctuation the MRZ leaves out, with the surname first or last ("ERIKSSON ANNA
 * MARIA" and "Anna Maria Eriksson" both match ERIKSSON / ANNA MARIA). A name that is empty, or is not in Latin
 * letters (e.g. "张三" against ZHANG / SAN), matches nothing. A name the MRZ had to truncate does not match.
 */
export function mrzNameMatches(presentedName: string, surname: string, givenNames: string): boolean {
  const mrzSurname = normalizeNameForMatching(surname).replace(/</g, '');
  const mrzGiven = normalizeNameForMatching(givenNames).replace(/</g, '');
  if (mrzSurname.length + mrzGiven.length === 0) return false;
  const orders = new Set([mrzSurname + mrzGiven, mrzGiven + mrzSurname]);
  return mrzSpellings(presentedName).some((spelling) => orders.has(spelling));
}
