import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { BoundedCache } from './bounded-cache';
import { assertSubjectId, DATA_KEY_BYTES } from './data-key-rules';
import {
  assertEncryptedField,
  assertFieldName,
  isEncryptedField,
  openField,
  sealField,
  type EncryptedField,
  type MasterKeyRing,
  type PlaintextFormat,
} from './envelope';
import { ERASED, type Erased } from './erased';
import { DataKeyConflictError, PersonalDataDecryptionError, PersonalDataErasedError } from './errors';
import type { DataKeyStore, DestroyDataKeyOutcome, WrappedKey } from './key-store.port';

export { ERASED, type Erased } from './erased';

export type PersonalDataJsonValue = string | number | boolean | null | PersonalDataJsonValue[] | { [key: string]: PersonalDataJsonValue };

/** `T` with the fields `K` encrypted (null and undefined stay as they are). */
export type WithEncryptedFields<T, K extends keyof T> = {
  [P in keyof T]: P extends K ? EncryptedField | Extract<T[P], null | undefined> : T[P];
};

/** `T` (with fields `K` encrypted) with those fields decrypted: a string, a parsed JSON value, or ERASED. */
export type WithDecryptedFields<T, K extends keyof T> = {
  [P in keyof T]: P extends K ? PersonalDataJsonValue | Erased | Extract<T[P], null | undefined> : T[P];
};

export interface PersonalDataCipherOptions {
  readonly store: DataKeyStore;
  readonly ring: MasterKeyRing;
  /** Data keys kept unwrapped in memory, least recently used evicted first. Default 10,000. */
  readonly cacheSize?: number;
  /**
   * How long an unwrapped data key is used before the store is asked again. This bounds how long ANOTHER
   * process (one that did not run the erase) can still decrypt an erased subject's data; call forget() there on
   * seeing the erasure to end it at once. Default 60 s.
   */
  readonly cacheTtlMs?: number;
  /** The clock (createdAt of new keys, erasure times, cache expiry). Default: the system clock. */
  readonly now?: () => Date;
}

export interface RotationProgress {
  readonly fromMasterKeyId: string;
  readonly toMasterKeyId: string;
  /**
   * The keys under the ring's older master keys when the run started (countWrappedUnder, summed): what a
   * progress bar divides by. Keys another process wraps under an older key meanwhile can take the counts past it.
   */
  readonly total: number;
  /** Counts so far, over the whole run. */
  readonly rewrapped: number;
  readonly skipped: number;
  readonly failed: number;
  /** The last subject of the page just done. */
  readonly lastSubjectId: string;
}

export interface RotationFailure {
  readonly subjectId: string;
  readonly masterKeyId: string;
  /** The error's code and message (never key material). */
  readonly error: string;
}

export interface RotationReport {
  readonly toMasterKeyId: string;
  /** The keys under older master keys when the run started (see RotationProgress.total). */
  readonly total: number;
  readonly rewrapped: number;
  /** Keys that changed under the rotation: erased meanwhile, rewrapped by another run, or gone. */
  readonly skipped: { readonly erased: number; readonly conflict: number; readonly missing: number };
  /** Keys that could not be unwrapped (at most the first 100 are listed; `failedCount` counts them all). */
  readonly failed: readonly RotationFailure[];
  readonly failedCount: number;
}

type KeyState = { readonly kind: 'key'; readonly key: KeyObject; readonly expiresAt: number } | { readonly kind: 'erased' };

const DEFAULT_CACHE_SIZE = 10_000;
const DEFAULT_CACHE_TTL_MS = 60_000;
const DEFAULT_ROTATION_PAGE_SIZE = 500;
const MAX_LISTED_FAILURES = 100;
/** A racing first encrypt elsewhere may not be readable yet (MongoDB majority reads): retry this many times. */
const CREATE_ATTEMPTS = 5;
const CREATE_RETRY_DELAY_MS = 25;

/**
 * Encrypts and decrypts the personal data of subjects (customers), each under a data key of its own, created
 * on the subject's first encrypt and destroyed by erase(). See envelope.ts for the field format.
 */
export class PersonalDataCipher {
  private readonly store: DataKeyStore;
  private readonly ring: MasterKeyRing;
  private readonly ttlMs: number;
  private readonly now: () => Date;
  private readonly cache: BoundedCache<string, KeyState>;
  /** Loads and creates in flight, so concurrent callers for one subject share one store round trip. */
  private readonly loading = new Map<string, Promise<KeyState | null>>();
  private readonly creating = new Map<string, Promise<KeyState>>();
  /** Bumped by erase() and forget(): a load or create started before must not put a key back into the cache. */
  private generation = 0;

  constructor(options: PersonalDataCipherOptions) {
    this.store = options.store;
    this.ring = options.ring;
    this.ttlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs < 0) throw new TypeError('cacheTtlMs must be a number of milliseconds, 0 or more');
    this.now = options.now ?? (() => new Date());
    this.cache = new BoundedCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  /**
   * Encrypts one field of the subject's personal data; `field` is its name (e.g. 'phone'), bound into the
   * ciphertext. Creates the subject's data key on first use. Throws PersonalDataErasedError for an erased
   * subject, MasterKeyNotFoundError/DataKeyUnwrapError for a key the ring cannot unwrap,
   * DataKeyStoreUnavailableError when the store is down.
   */
  async encryptField(subjectId: string, field: string, plaintext: string): Promise<EncryptedField> {
    return this.encrypt(subjectId, field, plaintext, 'text');
  }

  /**
   * The field's plaintext, or ERASED when the subject was erased. A field that is malformed, altered, or
   * encrypted for another subject or field throws PersonalDataDecryptionError; so does a subject without a key.
   * (For a field written with fmt 'json', this is the JSON text; decryptFields parses it.)
   */
  async decryptField(subjectId: string, field: string, encrypted: EncryptedField): Promise<string | Erased> {
    assertSubjectId(subjectId);
    assertFieldName(field);
    assertEncryptedField(subjectId, field, encrypted);
    const state = await this.keyForReading(subjectId);
    if (state === null) throw new PersonalDataDecryptionError(subjectId, field, 'no_data_key');
    if (state.kind === 'erased') return ERASED;
    return openField(state.key, subjectId, field, encrypted);
  }

  /**
   * A copy of `value` with each listed field encrypted: strings as they are, other JSON values (an address
   * object) as JSON text marked `fmt: "json"`. Null and undefined fields stay as they are.
   */
  async encryptFields<T extends object, K extends keyof T & string>(
    subjectId: string,
    value: T,
    fields: readonly K[],
  ): Promise<WithEncryptedFields<T, K>> {
    const source = value as Record<string, unknown>;
    const result: Record<string, unknown> = { ...source };
    for (const field of fields) {
      const plain = source[field];
      if (plain === undefined || plain === null) continue;
      if (isEncryptedField(plain)) throw new TypeError(`Field '${field}' is already encrypted`);
      if (typeof plain === 'string') {
        result[field] = await this.encrypt(subjectId, field, plain, 'text');
        continue;
      }
      const json = JSON.stringify(plain);
      if (json === undefined) throw new TypeError(`Field '${field}' is neither a string nor a JSON value`);
      result[field] = await this.encrypt(subjectId, field, json, 'json');
    }
    return result as WithEncryptedFields<T, K>;
  }

  /** The reverse of encryptFields: each listed field decrypted (JSON ones parsed), or ERASED. */
  async decryptFields<T extends object, K extends keyof T & string>(
    subjectId: string,
    value: T,
    fields: readonly K[],
  ): Promise<WithDecryptedFields<T, K>> {
    const source = value as Record<string, unknown>;
    const result: Record<string, unknown> = { ...source };
    for (const field of fields) {
      const encrypted = source[field];
      if (encrypted === undefined || encrypted === null) continue;
      assertEncryptedField(subjectId, field, encrypted);
      const text = await this.decryptField(subjectId, field, encrypted);
      result[field] = text === ERASED || encrypted.fmt !== 'json' ? text : (JSON.parse(text) as PersonalDataJsonValue);
    }
    return result as WithDecryptedFields<T, K>;
  }

  /**
   * Destroys the subject's data key: every field ever encrypted for it now reads as ERASED, here at once and in
   * other processes within cacheTtlMs (or at once where forget() is called). Idempotent; no new key is ever
   * made for the subject afterwards. `by` is the actor's id; `reason` must not itself hold personal data.
   */
  async erase(subjectId: string, by: string, reason: string): Promise<DestroyDataKeyOutcome> {
    assertSubjectId(subjectId);
    this.forget(subjectId);
    const outcome = await this.store.destroy(subjectId, { by, reason, at: this.now().toISOString() });
    this.forget(subjectId);
    this.cache.set(subjectId, { kind: 'erased' });
    return outcome;
  }

  /** True once the subject's personal data was erased. */
  async isErased(subjectId: string): Promise<boolean> {
    assertSubjectId(subjectId);
    return (await this.keyForReading(subjectId))?.kind === 'erased';
  }

  /** Drops what this process holds of the subject's key (e.g. on seeing another process's erasure event). */
  forget(subjectId: string): void {
    this.generation += 1;
    this.cache.delete(subjectId);
    this.loading.delete(subjectId);
    this.creating.delete(subjectId);
  }

  /** The ids of the master key ring (never key material): `current` wraps new data keys, `older` only unwrap. */
  get masterKeyIds(): { readonly current: string; readonly older: readonly string[] } {
    return { current: this.ring.currentId, older: this.ring.olderIds };
  }

  /** How many data keys are still wrapped under an older master key of the ring (erased subjects not counted). */
  async countKeysToRotate(): Promise<number> {
    let total = 0;
    for (const masterKeyId of this.ring.olderIds) total += await this.store.countWrappedUnder(masterKeyId);
    return total;
  }

  /**
   * Rewraps every data key still wrapped under an older master key of the ring with the current one, page by
   * page, after counting them (countKeysToRotate), so that each progress report carries the `total`. Events are
   * never touched: they hold data-key ciphertext only. Resumable and idempotent: a rerun lists only keys still
   * under an older master key, so after a crash just run it again. When it reports no failures
   * and `ring.olderIds` list nothing more (listWrappedUnder is empty for each), the older keys can be removed
   * from PII_MASTER_KEY. Keys wrapped under ids the ring does not hold at all are not found by it.
   */
  async rotateMasterKey(onProgress?: (progress: RotationProgress) => void, pageSize = DEFAULT_ROTATION_PAGE_SIZE): Promise<RotationReport> {
    const toMasterKeyId = this.ring.currentId;
    const total = await this.countKeysToRotate();
    let rewrapped = 0;
    const skipped = { erased: 0, conflict: 0, missing: 0 };
    const failed: RotationFailure[] = [];
    let failedCount = 0;
    for (const fromMasterKeyId of this.ring.olderIds) {
      let after: string | undefined;
      for (;;) {
        const page = await this.store.listWrappedUnder(fromMasterKeyId, pageSize, after);
        if (page.length === 0) break;
        for (const { subjectId, wrapped } of page) {
          let rewrappedKey: WrappedKey;
          try {
            const dataKey = this.ring.unwrap(subjectId, wrapped);
            rewrappedKey = this.ring.wrap(subjectId, dataKey, wrapped.createdAt);
            dataKey.fill(0);
          } catch (error) {
            failedCount += 1;
            if (failed.length < MAX_LISTED_FAILURES) {
              const { code, message } = error as { code?: string; message?: string };
              failed.push({ subjectId, masterKeyId: fromMasterKeyId, error: `${code ?? 'ERROR'}: ${message ?? String(error)}` });
            }
            continue;
          }
          const outcome = await this.store.rewrap(subjectId, fromMasterKeyId, rewrappedKey);
          if (outcome === 'rewrapped') rewrapped += 1;
          else skipped[outcome] += 1;
        }
        after = page[page.length - 1].subjectId;
        onProgress?.({
          fromMasterKeyId,
          toMasterKeyId,
          total,
          rewrapped,
          skipped: skipped.erased + skipped.conflict + skipped.missing,
          failed: failedCount,
          lastSubjectId: after,
        });
        if (page.length < pageSize) break;
      }
    }
    return { toMasterKeyId, total, rewrapped, skipped, failed, failedCount };
  }

  private async encrypt(subjectId: string, field: string, plaintext: string, format: PlaintextFormat): Promise<EncryptedField> {
    assertSubjectId(subjectId);
    assertFieldName(field);
    if (typeof plaintext !== 'string') throw new TypeError(`The plaintext of field '${field}' must be a string`);
    const state = await this.keyForWriting(subjectId);
    if (state.kind === 'erased') throw new PersonalDataErasedError(subjectId);
    return sealField(state.key, subjectId, field, plaintext, format);
  }

  /** The cached or stored key of the subject; null when it has none. */
  private async keyForReading(subjectId: string): Promise<KeyState | null> {
    const cached = this.cache.get(subjectId);
    if (cached !== undefined && (cached.kind === 'erased' || cached.expiresAt > this.now().getTime())) return cached;
    let pending = this.loading.get(subjectId);
    if (pending === undefined) {
      pending = this.load(subjectId);
      this.loading.set(subjectId, pending);
      const settled = pending;
      void settled
        .finally(() => {
          if (this.loading.get(subjectId) === settled) this.loading.delete(subjectId);
        })
        .catch(() => undefined);
    }
    return pending;
  }

  private async load(subjectId: string): Promise<KeyState | null> {
    const generation = this.generation;
    const stored = await this.store.get(subjectId);
    if (stored === null) return null;
    const state = stored === 'erased' ? ({ kind: 'erased' } as const) : this.unwrapped(subjectId, stored);
    if (generation === this.generation) this.cache.set(subjectId, state);
    return state;
  }

  /** The subject's key, created when it has none yet: one per subject, however many callers race. */
  private async keyForWriting(subjectId: string): Promise<KeyState> {
    const existing = await this.keyForReading(subjectId);
    if (existing !== null) return existing;
    let pending = this.creating.get(subjectId);
    if (pending === undefined) {
      pending = this.create(subjectId);
      this.creating.set(subjectId, pending);
      const settled = pending;
      void settled
        .finally(() => {
          if (this.creating.get(subjectId) === settled) this.creating.delete(subjectId);
        })
        .catch(() => undefined);
    }
    return pending;
  }

  /**
   * Stores a new data key for the subject, relying on the store's create: exactly one key wins, in this process
   * or any other; a loser reads the winner's key and uses that.
   */
  private async create(subjectId: string): Promise<KeyState> {
    const generation = this.generation;
    for (let attempt = 1; ; attempt += 1) {
      const dataKey = randomBytes(DATA_KEY_BYTES);
      let state: KeyState | null;
      try {
        const wrapped = this.ring.wrap(subjectId, dataKey, this.now().toISOString());
        await this.store.create(subjectId, wrapped);
        state = { kind: 'key', key: createSecretKey(dataKey), expiresAt: this.expiry() };
      } catch (error) {
        if (error instanceof PersonalDataErasedError) {
          state = { kind: 'erased' };
        } else if (error instanceof DataKeyConflictError) {
          const stored = await this.store.get(subjectId);
          state = stored === null ? null : stored === 'erased' ? { kind: 'erased' } : this.unwrapped(subjectId, stored);
        } else {
          throw error;
        }
      } finally {
        dataKey.fill(0);
      }
      if (state !== null) {
        if (generation === this.generation) this.cache.set(subjectId, state);
        return state;
      }
      if (attempt >= CREATE_ATTEMPTS) {
        throw new Error(`The data key of subject ${subjectId} is being created elsewhere but cannot be read yet; try again`);
      }
      await new Promise((resolve) => setTimeout(resolve, CREATE_RETRY_DELAY_MS * attempt));
    }
  }

  private unwrapped(subjectId: string, wrapped: WrappedKey): KeyState {
    const dataKey = this.ring.unwrap(subjectId, wrapped);
    try {
      return { kind: 'key', key: createSecretKey(dataKey), expiresAt: this.expiry() };
    } finally {
      dataKey.fill(0);
    }
  }

  private expiry(): number {
    return this.now().getTime() + this.ttlMs;
  }
}
