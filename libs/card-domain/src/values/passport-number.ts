import { invalid, type Validated } from './validated';

export type PassportNumberCheck = Validated<{ /** Upper case, no spaces. */ readonly value: string }>;

/** Passport numbers differ by country; what they share is 5–20 Latin letters and digits. */
export function validatePassportNumber(raw: string): PassportNumberCheck {
  const value = raw.replace(/\s/g, '').toUpperCase();
  if (value.length === 0) return invalid('is required');
  if (!/^[A-Z0-9]{5,20}$/.test(value)) return invalid('must be 5 to 20 letters or digits');
  return { ok: true, value };
}
