/** A mainland China mobile number (MSISDN without the country code): 11 digits, `1[3-9]` then nine more. */
export const MSISDN_PATTERN = /^1[3-9]\d{9}$/;

export const MSISDN_RULE = 'must be an 11-digit mainland mobile number: 1, then 3 to 9, then 9 digits (e.g. 13800138000)';

export function isMsisdn(value: unknown): value is string {
  return typeof value === 'string' && MSISDN_PATTERN.test(value);
}

/**
 * The block a number belongs to: its first 7 digits (the operator's 号段 block, at most 10,000 numbers). Imports
 * record numbers in one stream per block (docs/numbers.md, "Streams").
 */
export function numberBlockOf(msisdn: string): string {
  return msisdn.slice(0, 7);
}

/** A region is a city (area) code: 2 to 4 digits starting with 0, e.g. 010 (Beijing), 0755 (Shenzhen). */
export const REGION_PATTERN = /^0\d{1,3}$/;
export const REGION_RULE = 'must be a city code: 0 and 1 to 3 more digits (e.g. 010, 0755)';

export function isRegion(value: unknown): value is string {
  return typeof value === 'string' && REGION_PATTERN.test(value);
}
