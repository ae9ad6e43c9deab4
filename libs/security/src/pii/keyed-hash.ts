import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { ERASED } from './erased';
import { normaliseIdNumber } from './masking';
import { compactPhone, normalisePhone } from './phone-number';

/** What a lookup hash may be of. Each kind hashes in its own domain: equal texts of two kinds never collide. */
export type LookupKind = 'phone' | 'idNumber' | 'email';

const LOOKUP_KINDS: readonly LookupKind[] = ['phone', 'idNumber', 'email'];
const MIN_KEY_BYTES = 32;

/**
 * The form a value is hashed in, so that the ways people write one value hash alike:
 * - phone: E.164 ('13800138000', '+86 138 0013 8000' and '0086-138-0013-8000' are all '+8613800138000');
 *   a number that is not E.164 is hashed as written, without separators;
 * - idNumber: without spaces and hyphens, upper case ('11010519491231002x' = '11010519491231002X');
 * - email: trimmed, lower case.
 * All NFKC first (full-width characters become ASCII).
 */
export function normaliseForLookup(kind: LookupKind, value: string): string {
  switch (kind) {
    case 'phone':
      return normalisePhone(value) ?? compactPhone(value);
    case 'idNumber':
      return normaliseIdNumber(value);
    case 'email':
      return value.normalize('NFKC').trim().toLowerCase();
  }
}

/**
 * HMAC-SHA256 (hex) of the normalised value, domain-separated by kind, for exact-match lookups in read models
 * ("find the customer with this phone number") without keeping the value. The key must be secret, at least 32
 * bytes, and stable: changing it changes every hash, so the read models holding them must be rebuilt. Use a
 * key of its own (not a master key, which rotates). Throws TypeError for an unknown kind, a short key, ERASED, or
 * a value that is empty once normalised (neither must be indexed).
 */
export function keyedHash(key: Buffer | KeyObject, kind: LookupKind, value: string): string {
  if (!LOOKUP_KINDS.includes(kind)) throw new TypeError(`A lookup hash is of ${LOOKUP_KINDS.join(', ')}; not '${String(kind)}'`);
  const size = Buffer.isBuffer(key) ? key.length : key.symmetricKeySize;
  if (size === undefined || size < MIN_KEY_BYTES) throw new TypeError(`A lookup hash key must be at least ${MIN_KEY_BYTES} bytes`);
  if (typeof value !== 'string') throw new TypeError(`The ${kind} to hash must be a string`);
  if (value === ERASED) throw new TypeError(`An erased ${kind} has no lookup hash: leave the hash out of the read model`);
  const normalised = normaliseForLookup(kind, value);
  if (normalised === '') throw new TypeError(`The ${kind} to hash is empty`);
  return createHmac('sha256', key).update(JSON.stringify(['pii-lookup', 'v1', kind, normalised]), 'utf8').digest('hex');
}

/**
 * The service's lookup hashing, with its key (PII_LOOKUP_KEY) held once. `hashOrNull` is for read models: an
 * absent or erased value, or one that normalises to nothing, has no hash (null), so it is never found.
 */
export class LookupHasher {
  private readonly key: KeyObject;

  constructor(keyHex: string) {
    this.key = createSecretKey(Buffer.from(keyHex, 'hex'));
  }

  hash(kind: LookupKind, value: string): string {
    return keyedHash(this.key, kind, value);
  }

  hashOrNull(kind: LookupKind, value: unknown): string | null {
    if (typeof value !== 'string' || value === ERASED || normaliseForLookup(kind, value) === '') return null;
    return keyedHash(this.key, kind, value);
  }
}
