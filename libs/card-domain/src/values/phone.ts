import { invalid, type Validated } from './validated';

export type PhoneCheck = Validated<{ /** E.164, e.g. "+8613800138000". */ readonly value: string }>;

const E164 = /^\+[1-9]\d{7,14}$/;
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

/** Accepts E.164 or an 11-digit mainland China mobile number (which gets the +86 prefix). */
export function normalizePhone(raw: string): PhoneCheck {
  const compact = raw.replace(/[\s-]/g, '');
  if (compact.length === 0) return invalid('is required');
  if (E164.test(compact)) return { ok: true, value: compact };
  if (MAINLAND_MOBILE.test(compact)) return { ok: true, value: `+86${compact}` };
  return invalid(
    'must be an international number in E.164 form ("+" and 8 to 15 digits) or an 11-digit mainland China mobile number',
  );
}
