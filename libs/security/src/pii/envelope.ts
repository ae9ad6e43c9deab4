import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { inspect } from 'node:util';
import { DATA_KEY_BYTES, decodeBase64, GCM_IV_BYTES, GCM_TAG_BYTES, MASTER_KEY_ID_PATTERN } from './data-key-rules';
import { DataKeyUnwrapError, MasterKeyConfigError, MasterKeyNotFoundError, PersonalDataDecryptionError } from './errors';
import type { WrappedKey } from './key-store.port';

/**
 * Envelope encryption, the pure part (no I/O): master keys wrap data keys, data keys encrypt fields.
 *
 *   PII_MASTER_KEY ──wraps──▶ data key of a subject (kept in the DataKeyStore) ──encrypts──▶ fields in events
 *
 * Events hold only data-key ciphertext, so rotating a master key rewraps the (few, small) data keys and never
 * rewrites an event; destroying a subject's data key makes every field encrypted for that subject unreadable for
 * good, wherever copies of the events went.
 */

const CIPHER = 'aes-256-gcm';
const MASTER_KEY_HEX = /^[0-9a-fA-F]{64}$/;

/** Binds a ciphertext to its context; a JSON array of strings is unambiguous (no two contexts encode alike). */
function context(...parts: string[]): Buffer {
  return Buffer.from(JSON.stringify(parts), 'utf8');
}

function seal(key: KeyObject, plaintext: Buffer, aad: Buffer): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** The plaintext, or null when authentication fails (wrong key, wrong context, any byte altered). */
function open(key: KeyObject, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer | null {
  try {
    const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

// ── Master keys ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The id a master key given without one gets: the first 8 hex digits of the SHA-256 of its 32 bytes. Stable, so
 * `PII_MASTER_KEY=<hex>` can later become `PII_MASTER_KEY="k2:<new hex>,<old hex>"` (the old key keeps its id)
 * or `"k2:<new hex>,<derived id>:<old hex>"`. 32 bits of a hash of a random 256-bit key reveal nothing of it.
 */
export function deriveMasterKeyId(keyHex: string): string {
  if (!MASTER_KEY_HEX.test(keyHex)) throw new MasterKeyConfigError('A master key must be exactly 64 hexadecimal characters (32 bytes)');
  return createHash('sha256').update(Buffer.from(keyHex, 'hex')).digest('hex').slice(0, 8);
}

/** A new random master key as 64 hex digits (for development set-ups and operators' tooling). */
export function generateMasterKeyHex(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The master keys of PII_MASTER_KEY: the first is current (wraps new data keys, and old ones on rotation); the
 * others are older ones, kept only to unwrap data keys not yet rotated. Key material is held in KeyObjects and is
 * never printed: logging or JSON-serialising a ring shows its ids only.
 *
 * Format: comma-separated entries, each `<id>:<64 hex>` or a bare `<64 hex>` (its id is deriveMasterKeyId of it).
 * Ids are 1–32 characters of letters, digits, `.`, `_`, `-` (not first). Spaces around entries are ignored.
 *   PII_MASTER_KEY="k2:<64 hex>,k1:<64 hex>"     PII_MASTER_KEY=<64 hex>
 */
export class MasterKeyRing {
  readonly #keys: ReadonlyMap<string, KeyObject>;
  /** Ids, current first. */
  readonly ids: readonly string[];

  private constructor(keys: Map<string, KeyObject>) {
    this.#keys = keys;
    this.ids = Object.freeze([...keys.keys()]);
  }

  /** Parses the variable's value; `variable` names it in error messages (never the keys). */
  static parse(text: string | undefined, variable = 'PII_MASTER_KEY'): MasterKeyRing {
    if (text === undefined || text.trim() === '') {
      throw new MasterKeyConfigError(`${variable} is not set: give it at least one 64-hex-digit key, e.g. "k1:<64 hex>"`);
    }
    const keys = new Map<string, KeyObject>();
    const seenMaterial = new Map<string, string>();
    text.split(',').forEach((raw, index) => {
      const entry = raw.trim();
      const where = `${variable}, entry ${index + 1}`;
      if (entry === '') throw new MasterKeyConfigError(`${where} is empty (stray comma?)`);
      const colon = entry.indexOf(':');
      const hex = colon < 0 ? entry : entry.slice(colon + 1).trim();
      if (!MASTER_KEY_HEX.test(hex)) {
        throw new MasterKeyConfigError(`${where}: the key must be exactly 64 hexadecimal characters (32 bytes); got ${hex.length} characters`);
      }
      const id = colon < 0 ? deriveMasterKeyId(hex) : entry.slice(0, colon).trim();
      if (!MASTER_KEY_ID_PATTERN.test(id)) {
        throw new MasterKeyConfigError(`${where}: the id must be 1 to 32 letters, digits, '.', '_' or '-' (not first)`);
      }
      if (keys.has(id)) throw new MasterKeyConfigError(`${variable} names master key '${id}' twice`);
      const material = hex.toLowerCase();
      const sameAs = seenMaterial.get(material);
      if (sameAs !== undefined) throw new MasterKeyConfigError(`${variable} gives master keys '${sameAs}' and '${id}' the same key material`);
      seenMaterial.set(material, id);
      keys.set(id, createSecretKey(Buffer.from(hex, 'hex')));
    });
    return new MasterKeyRing(keys);
  }

  /** The id new data keys are wrapped under. */
  get currentId(): string {
    return this.ids[0];
  }

  /** The ids of the older keys, which rotation moves data keys away from. */
  get olderIds(): readonly string[] {
    return this.ids.slice(1);
  }

  has(masterKeyId: string): boolean {
    return this.#keys.has(masterKeyId);
  }

  /**
   * Wraps a subject's 32-byte data key under the current master key. AAD = (subject id, master key id), so the
   * wrapped key cannot be moved to another subject or relabelled with another master key's id.
   */
  wrap(subjectId: string, dataKey: Buffer, createdAt: string): WrappedKey {
    if (dataKey.length !== DATA_KEY_BYTES) throw new TypeError(`A data key must be ${DATA_KEY_BYTES} bytes`);
    const masterKeyId = this.currentId;
    const sealed = seal(this.#keys.get(masterKeyId)!, dataKey, wrapContext(subjectId, masterKeyId));
    return {
      masterKeyId,
      iv: sealed.iv.toString('base64'),
      ciphertext: sealed.ciphertext.toString('base64'),
      tag: sealed.tag.toString('base64'),
      createdAt,
    };
  }

  /**
   * The subject's data key (32 bytes; the caller should zero it once turned into a KeyObject). Throws
   * MasterKeyNotFoundError when the ring lacks the master key, DataKeyUnwrapError when authentication fails.
   */
  unwrap(subjectId: string, wrapped: WrappedKey): Buffer {
    const key = this.#keys.get(wrapped.masterKeyId);
    if (key === undefined) throw new MasterKeyNotFoundError(wrapped.masterKeyId, subjectId, this.ids);
    let parts: Buffer[];
    try {
      parts = [
        decodeBase64(wrapped.iv, GCM_IV_BYTES, 'iv'),
        decodeBase64(wrapped.ciphertext, DATA_KEY_BYTES, 'ciphertext'),
        decodeBase64(wrapped.tag, GCM_TAG_BYTES, 'tag'),
      ];
    } catch {
      throw new DataKeyUnwrapError(subjectId, wrapped.masterKeyId);
    }
    const [iv, ciphertext, tag] = parts;
    const dataKey = open(key, iv, ciphertext, tag, wrapContext(subjectId, wrapped.masterKeyId));
    if (dataKey === null) throw new DataKeyUnwrapError(subjectId, wrapped.masterKeyId);
    return dataKey;
  }

  toJSON(): { currentId: string; ids: readonly string[] } {
    return { currentId: this.currentId, ids: this.ids };
  }

  [inspect.custom](): string {
    return `MasterKeyRing { current: '${this.currentId}', ids: [${this.ids.map((id) => `'${id}'`).join(', ')}] }`;
  }
}

function wrapContext(subjectId: string, masterKeyId: string): Buffer {
  return context('pii-data-key', 'v1', subjectId, masterKeyId);
}

// ── Encrypted fields ────────────────────────────────────────────────────────────────────────────────────────

/**
 * How an encrypted personal-data field is written into event data (JSON):
 *   { "enc": "v1", "kid": "<16 chars>", "iv": "<base64, 12 bytes>", "ct": "<base64>", "tag": "<base64, 16 bytes>" }
 * plus `"fmt": "json"` when the plaintext was a JSON value (an address object) rather than a string.
 * - AES-256-GCM under the subject's data key, a fresh random 12-byte iv per field;
 * - AAD = ("pii-field", "v1", subject id, field name, "text" | "json"): a field copied to another subject or
 *   another field, or relabelled text/json, fails authentication;
 * - kid identifies the data key (base64url of the first 12 bytes of HMAC-SHA256(data key, "pii-data-key-id")):
 *   it tells "encrypted for another subject" apart from "altered", and says nothing of the key;
 * - base64 is standard and canonical (with padding). The field name and subject id are not stored: the caller
 *   knows them and must give them back to decrypt.
 */
export interface EncryptedField {
  readonly enc: 'v1';
  readonly kid: string;
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
  readonly fmt?: 'json';
}

export type PlaintextFormat = 'text' | 'json';

/** The longest plaintext one field may hold, in UTF-8 bytes. */
export const MAX_FIELD_PLAINTEXT_BYTES = 64 * 1024;
const MAX_FIELD_NAME_LENGTH = 100;
const ENCRYPTED_FIELD_KEYS = new Set(['enc', 'kid', 'iv', 'ct', 'tag', 'fmt']);

/** True for a value of the encrypted-field shape (it may still fail to decrypt). */
export function isEncryptedField(value: unknown): value is EncryptedField {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    record.enc === 'v1' &&
    typeof record.kid === 'string' &&
    typeof record.iv === 'string' &&
    typeof record.ct === 'string' &&
    typeof record.tag === 'string' &&
    (record.fmt === undefined || record.fmt === 'json') &&
    Object.keys(record).every((key) => ENCRYPTED_FIELD_KEYS.has(key))
  );
}

/**
 * The kid of each data key seen, computed once (an HMAC per field sealed or opened was some 1.5 % of card-api's
 * time in the lifecycle mix). Weak: a key dropped from the cipher's cache, or erased, takes its entry with it.
 */
const dataKeyIds = new WeakMap<KeyObject, string>();

/** The data key's public identifier, the `kid` of the fields it encrypts. */
export function dataKeyId(dataKey: KeyObject): string {
  let kid = dataKeyIds.get(dataKey);
  if (kid === undefined) {
    kid = createHmac('sha256', dataKey).update('pii-data-key-id').digest().subarray(0, 12).toString('base64url');
    dataKeyIds.set(dataKey, kid);
  }
  return kid;
}

export function assertFieldName(field: unknown): asserts field is string {
  if (typeof field !== 'string' || field.length === 0 || field.length > MAX_FIELD_NAME_LENGTH) {
    throw new TypeError(`A field name must be a string of 1 to ${MAX_FIELD_NAME_LENGTH} characters`);
  }
}

function fieldContext(subjectId: string, field: string, format: PlaintextFormat): Buffer {
  return context('pii-field', 'v1', subjectId, field, format);
}

/** Encrypts one field's plaintext under a subject's data key (see EncryptedField). */
export function sealField(
  dataKey: KeyObject,
  subjectId: string,
  field: string,
  plaintext: string,
  format: PlaintextFormat = 'text',
): EncryptedField {
  assertFieldName(field);
  if (typeof plaintext !== 'string') throw new TypeError(`The plaintext of field '${field}' must be a string`);
  const bytes = Buffer.from(plaintext, 'utf8');
  if (bytes.length > MAX_FIELD_PLAINTEXT_BYTES) {
    throw new TypeError(`Field '${field}' is longer than ${MAX_FIELD_PLAINTEXT_BYTES} bytes`);
  }
  const sealed = seal(dataKey, bytes, fieldContext(subjectId, field, format));
  const encrypted: EncryptedField = {
    enc: 'v1',
    kid: dataKeyId(dataKey),
    iv: sealed.iv.toString('base64'),
    ct: sealed.ciphertext.toString('base64'),
    tag: sealed.tag.toString('base64'),
  };
  return format === 'json' ? { ...encrypted, fmt: 'json' } : encrypted;
}

/** Checks the shape and lengths before any key is looked up; throws PersonalDataDecryptionError('malformed'). */
export function assertEncryptedField(subjectId: string, field: string, value: unknown): asserts value is EncryptedField {
  if (!isEncryptedField(value)) throw new PersonalDataDecryptionError(subjectId, field, 'malformed', 'expected { enc: "v1", kid, iv, ct, tag }');
  try {
    decodeBase64(value.iv, GCM_IV_BYTES, 'iv');
    decodeBase64(value.ct, undefined, 'ct');
    decodeBase64(value.tag, GCM_TAG_BYTES, 'tag');
  } catch (error) {
    throw new PersonalDataDecryptionError(subjectId, field, 'malformed', (error as Error).message);
  }
}

/**
 * Decrypts one field: the plaintext (a JSON text when `fmt` is 'json'), or PersonalDataDecryptionError
 * ('malformed', 'wrong_data_key', 'authentication_failed'); never a wrong plaintext.
 */
export function openField(dataKey: KeyObject, subjectId: string, field: string, encrypted: unknown): string {
  assertFieldName(field);
  assertEncryptedField(subjectId, field, encrypted);
  const expectedKid = Buffer.from(dataKeyId(dataKey));
  const kid = Buffer.from(encrypted.kid);
  if (kid.length !== expectedKid.length || !timingSafeEqual(kid, expectedKid)) {
    throw new PersonalDataDecryptionError(subjectId, field, 'wrong_data_key');
  }
  const plaintext = open(
    dataKey,
    Buffer.from(encrypted.iv, 'base64'),
    Buffer.from(encrypted.ct, 'base64'),
    Buffer.from(encrypted.tag, 'base64'),
    fieldContext(subjectId, field, encrypted.fmt === 'json' ? 'json' : 'text'),
  );
  if (plaintext === null) throw new PersonalDataDecryptionError(subjectId, field, 'authentication_failed');
  // GCM authenticated these bytes as what sealField wrote: valid UTF-8.
  return plaintext.toString('utf8');
}
