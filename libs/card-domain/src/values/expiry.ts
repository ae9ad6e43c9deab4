import { instantOf } from '../shared/time';
import { invalid, type Validated } from './validated';

export type ExpiryCheck = Validated<{ readonly month: number; /** Four digits, e.g. 2028. */ readonly year: number }>;

/** Reads the "MM/YY" printed on a card. Two-digit years are 20YY: no card in circulation expires before 2000. */
export function parseExpiry(raw: string): ExpiryCheck {
  const match = /^(\d{2})\/(\d{2})$/.exec(raw.trim());
  if (!match) return invalid('must be MM/YY, e.g. 09/28');
  const month = Number(match[1]);
  if (month < 1 || month > 12) return invalid('must have a month from 01 to 12');
  return { ok: true, month, year: 2000 + Number(match[2]) };
}

function parsedOrThrow(expiry: string): { month: number; year: number } {
  const parsed = parseExpiry(expiry);
  if (!parsed.ok) throw new RangeError(`expiry ${parsed.reason}`);
  return parsed;
}

/** A card is valid through the last moment of its expiry month (UTC), so it is past only from the month after. */
export function isExpiryInPast(expiry: string, nowIso: string): boolean {
  const { month, year } = parsedOrThrow(expiry);
  const now = instantOf(nowIso);
  const monthsOfExpiry = year * 12 + (month - 1);
  const monthsOfNow = now.getUTCFullYear() * 12 + now.getUTCMonth();
  return monthsOfExpiry < monthsOfNow;
}

/** "09/28" → "2809", the order card schemes and sortable keys use. */
export function expiryToYymm(expiry: string): string {
  const { month, year } = parsedOrThrow(expiry);
  return `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}`;
}
