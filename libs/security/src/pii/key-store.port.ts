/**
 * Where the data keys of the subjects (customers) live, wrapped by a master key, apart from the events.
 * Two adapters: SQLite (embedded default, `DATA_DIR/keys.db`) and MongoDB (collection `pii_data_keys`), both
 * proven by `testing/data-key-store.contract.ts`.
 */

/**
 * A subject's 32-byte data key encrypted (AES-256-GCM) under a master key. The byte fields are base64
 * (standard alphabet, with padding, canonical: exactly what Buffer#toString('base64') gives).
 */
export interface WrappedKey {
  /** Which master key wrapped it (an id of the MasterKeyRing). */
  readonly masterKeyId: string;
  /** 12 bytes. */
  readonly iv: string;
  /** 32 bytes: the encrypted data key. */
  readonly ciphertext: string;
  /** 16 bytes: the GCM authentication tag. */
  readonly tag: string;
  /** ISO-8601: when the data key was made. A rewrap keeps it. */
  readonly createdAt: string;
}

/** Who erased a subject's personal data, why, and when (ISO-8601). Kept in the tombstone. Never personal data. */
export interface Erasure {
  /** The actor's id (e.g. the admin's user id). */
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

/** A wrapped key found by listWrappedUnder. */
export interface WrappedKeyEntry {
  readonly subjectId: string;
  readonly wrapped: WrappedKey;
}

/** 'created': stored now; 'unchanged': the identical key was already stored (a retry). */
export type CreateDataKeyOutcome = 'created' | 'unchanged';

/**
 * 'destroyed': a key was there and is gone; 'no_key': there was none, the tombstone is written all the same;
 * 'already_erased': the subject was erased before (the first erasure's record is kept).
 */
export type DestroyDataKeyOutcome = 'destroyed' | 'no_key' | 'already_erased';

/**
 * 'rewrapped': done; 'conflict': the stored key is no longer wrapped under the expected master key (someone
 * else rewrapped it); 'missing': no key for the subject; 'erased': the subject was erased meanwhile.
 */
export type RewrapOutcome = 'rewrapped' | 'conflict' | 'missing' | 'erased';

export interface DataKeyStore {
  /** 'sqlite' | 'mongodb' | … (for logs and health). */
  readonly kind: string;

  /**
   * Stores the subject's first and only data key. Resolves 'unchanged' when the identical wrapped key (same
   * master key id, iv, ciphertext and tag) is already stored, so a retry is harmless. Throws
   * DataKeyConflictError when a different key is stored (two first encrypts raced: the loser reads the winner's
   * key and uses it), and PersonalDataErasedError when the subject was erased. Durable when it resolves.
   */
  create(subjectId: string, wrapped: WrappedKey): Promise<CreateDataKeyOutcome>;

  /** The subject's wrapped key; null when it never had one; 'erased' after destroy. */
  get(subjectId: string): Promise<WrappedKey | null | 'erased'>;

  /**
   * Destroys the subject's data key for good and leaves a tombstone holding only `erasure`: the wrapped key's
   * bytes are not kept anywhere the store controls. Idempotent. Writes a tombstone even when there was no key,
   * so no key is ever created for the subject afterwards.
   */
  destroy(subjectId: string, erasure: Erasure): Promise<DestroyDataKeyOutcome>;

  /** The tombstone's record, or null when the subject is not erased. */
  erasureOf(subjectId: string): Promise<Erasure | null>;

  /**
   * Up to `limit` keys wrapped under `masterKeyId`, in ascending order of subject id (binary order of the UTF-8
   * bytes), starting after the subject id `after` (exclusive). Tombstones are never listed. For rotation.
   */
  listWrappedUnder(masterKeyId: string, limit: number, after?: string): Promise<WrappedKeyEntry[]>;

  /**
   * How many keys are wrapped under `masterKeyId` now: what listWrappedUnder would list, page after page.
   * Tombstones are never counted. For rotation's progress (the total to rewrap) and its final check.
   */
  countWrappedUnder(masterKeyId: string): Promise<number>;

  /**
   * Replaces the subject's wrapped key by `newWrapped` (the same data key wrapped under another master key) if
   * and only if it is still wrapped under `expectedOldMasterKeyId` (compare and set). The stored `createdAt` is
   * kept; `newWrapped.createdAt` is ignored.
   */
  rewrap(subjectId: string, expectedOldMasterKeyId: string, newWrapped: WrappedKey): Promise<RewrapOutcome>;

  /** Resolves when the store can read and write; throws DataKeyStoreUnavailableError otherwise. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** Nest DI token for the DataKeyStore. */
export const DATA_KEY_STORE = Symbol('DATA_KEY_STORE');
