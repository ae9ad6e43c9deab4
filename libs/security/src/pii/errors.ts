/**
 * Errors of the personal-data library. Each has a stable `code` the HTTP layer can map to problem+json, and a
 * message a person can act on. No message ever holds a key, a plaintext or a ciphertext.
 */

/** The key store could not be reached or refused to work (disk full, read-only, server down). Retry later (HTTP 503). */
export class DataKeyStoreUnavailableError extends Error {
  readonly code = 'DATA_KEY_STORE_UNAVAILABLE';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'DataKeyStoreUnavailableError';
  }
}

/** A different data key is already stored for the subject: the first one stays (see DataKeyStore.create). */
export class DataKeyConflictError extends Error {
  readonly code = 'DATA_KEY_CONFLICT';
  constructor(readonly subjectId: string) {
    super(`A different data key is already stored for subject ${subjectId}; the stored one is kept`);
    this.name = 'DataKeyConflictError';
  }
}

/**
 * The subject's personal data was erased: its data key is gone for good, and no new one is ever made for it, so
 * that personal data cannot quietly be collected again under the erased id (HTTP 410 Gone suits it).
 */
export class PersonalDataErasedError extends Error {
  readonly code = 'PERSONAL_DATA_ERASED';
  constructor(readonly subjectId: string) {
    super(`The personal data of subject ${subjectId} was erased; no new personal data can be stored for it`);
    this.name = 'PersonalDataErasedError';
  }
}

/** PII_MASTER_KEY is missing, malformed or inconsistent. The message names the problem, never a key. */
export class MasterKeyConfigError extends Error {
  readonly code = 'MASTER_KEY_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyConfigError';
  }
}

/** A data key is wrapped under a master key the ring does not hold. */
export class MasterKeyNotFoundError extends Error {
  readonly code = 'MASTER_KEY_NOT_FOUND';
  constructor(
    readonly masterKeyId: string,
    readonly subjectId: string,
    /** The ids the ring holds, current first. */
    readonly available: readonly string[],
  ) {
    super(
      `The data key of subject ${subjectId} is wrapped under master key '${masterKeyId}', which PII_MASTER_KEY does not hold ` +
        `(it holds: ${available.map((id) => `'${id}'`).join(', ')}). Add '${masterKeyId}' back as an older key ` +
        `(PII_MASTER_KEY="<current id>:<hex>,${masterKeyId}:<hex>") and run the master-key rotation before removing it.`,
    );
    this.name = 'MasterKeyNotFoundError';
  }
}

/** A wrapped data key failed authentication: wrong master key material, moved to another subject, or altered. */
export class DataKeyUnwrapError extends Error {
  readonly code = 'DATA_KEY_UNWRAP_FAILED';
  constructor(
    readonly subjectId: string,
    readonly masterKeyId: string,
  ) {
    super(
      `The data key of subject ${subjectId} cannot be unwrapped with master key '${masterKeyId}': the key material under ` +
        `that id is not the one it was wrapped with, or the wrapped key was altered or belongs to another subject`,
    );
    this.name = 'DataKeyUnwrapError';
  }
}

export type DecryptionFailure =
  /** Not an encrypted field of a format this library knows (wrong shape, bad base64, wrong lengths). */
  | 'malformed'
  /** Encrypted under another data key than the subject's: it belongs to another subject. */
  | 'wrong_data_key'
  /** AES-GCM authentication failed: altered, or moved between fields (or subjects). */
  | 'authentication_failed'
  /** The subject has no data key at all (never created, or the key store was lost). */
  | 'no_data_key';

const FAILURE_TEXT: Record<DecryptionFailure, string> = {
  malformed: 'it is not an encrypted field in a known format',
  wrong_data_key: "it was encrypted under another data key than the subject's (it belongs to another subject)",
  authentication_failed: 'it fails authentication: it was altered, or it belongs to another field or subject',
  no_data_key: 'the subject has no data key (never created, or the key store does not hold it)',
};

/** An encrypted field cannot be decrypted. Never returns garbage instead: this is thrown. */
export class PersonalDataDecryptionError extends Error {
  readonly code = 'PERSONAL_DATA_UNREADABLE';
  constructor(
    readonly subjectId: string,
    readonly field: string,
    readonly reason: DecryptionFailure,
    detail?: string,
  ) {
    super(`Field '${field}' of subject ${subjectId} cannot be decrypted: ${FAILURE_TEXT[reason]}${detail ? ` (${detail})` : ''}`);
    this.name = 'PersonalDataDecryptionError';
  }
}
