import type { Product } from '../card/card.types';
import { luhnValid } from './luhn';
import { invalid, type Validated } from './validated';

export type CardNumberCheck = Validated<{
  /** The number without separators. Never store or log it: keep `bin`, `last4` and a fingerprint. */
  readonly digits: string;
  readonly bin: string;
  readonly last4: string;
}>;

/** Payment cards carry 12–19 digits (ISO/IEC 7812); a SIM is identified by its ICCID of 19–20 digits. */
const LENGTHS: Readonly<Record<'CARD' | 'ICCID', { min: number; max: number; description: string }>> = {
  CARD: { min: 12, max: 19, description: '12 to 19 digits long' },
  ICCID: { min: 19, max: 20, description: 'an ICCID of 19 to 20 digits' },
};

export function validateCardNumber(raw: string, product: Product): CardNumberCheck {
  const digits = raw.replace(/[\s-]/g, '');
  if (digits.length === 0) return invalid('is required');
  if (!/^\d+$/.test(digits)) return invalid('must contain only digits (spaces and dashes between them are allowed)');
  const length = LENGTHS[product === 'SIM' ? 'ICCID' : 'CARD'];
  if (digits.length < length.min || digits.length > length.max) {
    return invalid(`must be ${length.description} (got ${digits.length})`);
  }
  if (!luhnValid(digits)) return invalid('fails the Luhn check (check digit is wrong)');
  return { ok: true, digits, bin: digits.slice(0, 6), last4: digits.slice(-4) };
}
