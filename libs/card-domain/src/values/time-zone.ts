import { invalid, type Validated } from './validated';

export type TimeZoneCheck = Validated<{ /** The IANA name as given (surrounding spaces removed). */ readonly value: string }>;

/** A customer's time zone when they gave none (and for customers registered before time zones were recorded). */
export const DEFAULT_CUSTOMER_TIME_ZONE = 'Asia/Shanghai';

const MAX_LENGTH = 64;
/** The characters IANA zone names are written with ("America/Port-au-Prince", "Etc/GMT+8"); no UTC offsets ("+08:00"). */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

/**
 * An IANA time zone name, e.g. "Asia/Shanghai": one the runtime's time zone data knows (what quiet hours of
 * notifications are computed with), at most 64 characters.
 */
export function validateTimeZone(raw: string): TimeZoneCheck {
  const value = raw.trim();
  if (value.length > MAX_LENGTH) return invalid(`must be at most ${MAX_LENGTH} characters`);
  const reason = 'must be an IANA time zone name such as Asia/Shanghai';
  if (!ZONE_NAME.test(value)) return invalid(reason);
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: value });
  } catch {
    return invalid(reason);
  }
  return { ok: true, value };
}
