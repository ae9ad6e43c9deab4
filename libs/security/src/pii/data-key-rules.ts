import type { Erasure, WrappedKey } from './key-store.port';

/**
 * Argument checks both DataKeyStore adapters make before touching storage, so that both refuse the same
 * things with the same TypeError, and nothing half-formed is ever stored.
 */

const MAX_SUBJECT_ID_LENGTH = 256;
const MAX_ERASURE_TEXT_LENGTH = 1000;
export const MAX_LIST_LIMIT = 10_000;

/** Master key ids: short, printable, safe in a config string (no ':' or ','), in logs and in file names. */
export const MASTER_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export const DATA_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

export function assertSubjectId(subjectId: unknown): asserts subjectId is string {
  if (typeof subjectId !== 'string' || subjectId.length === 0 || subjectId.length > MAX_SUBJECT_ID_LENGTH) {
    throw new TypeError(`A subject id must be a string of 1 to ${MAX_SUBJECT_ID_LENGTH} characters`);
  }
  if (/[\u0000-\u001f\u007f]/.test(subjectId)) throw new TypeError('A subject id must not contain control characters');
}

export function assertMasterKeyId(masterKeyId: unknown): asserts masterKeyId is string {
  if (typeof masterKeyId !== 'string' || !MASTER_KEY_ID_PATTERN.test(masterKeyId)) {
    throw new TypeError(
      'A master key id must be 1 to 32 characters: letters, digits, and . _ - (not first)',
    );
  }
}

/** Decodes canonical base64 (what Buffer#toString('base64') writes); anything else is refused, never guessed at. */
export function decodeBase64(value: unknown, bytes: number | undefined, what: string): Buffer {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a base64 string`);
  const decoded = Buffer.from(value, 'base64');
  if (decoded.toString('base64') !== value) throw new TypeError(`${what} must be canonical base64`);
  if (bytes !== undefined && decoded.length !== bytes) throw new TypeError(`${what} must hold ${bytes} bytes, not ${decoded.length}`);
  return decoded;
}

function assertIsoTime(value: unknown, what: string): void {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new TypeError(`${what} must be an ISO-8601 date-time`);
  }
}

export function assertWrappedKey(wrapped: WrappedKey): void {
  if (typeof wrapped !== 'object' || wrapped === null) throw new TypeError('A wrapped key must be an object');
  assertMasterKeyId(wrapped.masterKeyId);
  decodeBase64(wrapped.iv, GCM_IV_BYTES, 'A wrapped key’s iv');
  decodeBase64(wrapped.ciphertext, DATA_KEY_BYTES, 'A wrapped key’s ciphertext');
  decodeBase64(wrapped.tag, GCM_TAG_BYTES, 'A wrapped key’s tag');
  assertIsoTime(wrapped.createdAt, 'A wrapped key’s createdAt');
}

export function assertErasure(erasure: Erasure): void {
  if (typeof erasure !== 'object' || erasure === null) throw new TypeError('An erasure must be an object');
  for (const field of ['by', 'reason'] as const) {
    const value = erasure[field];
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_ERASURE_TEXT_LENGTH) {
      throw new TypeError(`An erasure's ${field} must be a non-blank string of at most ${MAX_ERASURE_TEXT_LENGTH} characters`);
    }
  }
  assertIsoTime(erasure.at, "An erasure's at");
}

export function assertListArguments(masterKeyId: string, limit: number, after: string | undefined): void {
  assertMasterKeyId(masterKeyId);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new TypeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  if (after !== undefined) assertSubjectId(after);
}

/** Same key material under the same master key: what makes a repeated create a harmless retry. */
export function sameWrappedKey(a: WrappedKey, b: WrappedKey): boolean {
  return a.masterKeyId === b.masterKeyId && a.iv === b.iv && a.ciphertext === b.ciphertext && a.tag === b.tag;
}

/** A copy holding exactly the port's fields (callers may pass objects with more). */
export function pickWrappedKey(wrapped: WrappedKey): WrappedKey {
  return {
    masterKeyId: wrapped.masterKeyId,
    iv: wrapped.iv,
    ciphertext: wrapped.ciphertext,
    tag: wrapped.tag,
    createdAt: wrapped.createdAt,
  };
}

/** Binary order of UTF-8 bytes: the order SQLite (BINARY collation) and MongoDB (no collation) sort strings in. */
export function compareSubjectIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
