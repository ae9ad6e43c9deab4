// Personal data protection: envelope encryption of personal-data fields under per-subject data keys, the key
// stores, masking and lookup hashes. See README.md in this folder.
export {
  DATA_KEY_STORE,
  type CreateDataKeyOutcome,
  type DataKeyStore,
  type DestroyDataKeyOutcome,
  type Erasure,
  type RewrapOutcome,
  type WrappedKey,
  type WrappedKeyEntry,
} from './key-store.port';
export {
  DataKeyConflictError,
  DataKeyStoreUnavailableError,
  DataKeyUnwrapError,
  MasterKeyConfigError,
  MasterKeyNotFoundError,
  PersonalDataDecryptionError,
  PersonalDataErasedError,
  type DecryptionFailure,
} from './errors';
export { SqliteDataKeyStore } from './sqlite-data-key-store';
// Loaded on demand (connectMongoDataKeyStore), like the MongoDB read store, so that a process on SQLite never loads
// the MongoDB driver (docs/performance.md, row 9). The class itself: './mongodb-data-key-store'.
export type { MongoDataKeyStore, MongoDataKeyStoreOptions } from './mongodb-data-key-store';
export { connectMongoDataKeyStore } from './connect-mongodb-data-key-store';
export {
  MasterKeyRing,
  MAX_FIELD_PLAINTEXT_BYTES,
  deriveMasterKeyId,
  generateMasterKeyHex,
  isEncryptedField,
  type EncryptedField,
} from './envelope';
export {
  ERASED,
  PersonalDataCipher,
  type Erased,
  type PersonalDataJsonValue,
  type PersonalDataCipherOptions,
  type RotationFailure,
  type RotationProgress,
  type RotationReport,
  type WithDecryptedFields,
  type WithEncryptedFields,
} from './personal-data-cipher';
export { maskBirthDate, maskEmail, maskIdNumber, maskName, maskPhone, normaliseIdNumber } from './masking';
export { normalisePhone } from './phone-number';
export { keyedHash, LookupHasher, normaliseForLookup, type LookupKind } from './keyed-hash';
// Test-only: the contract suite and the in-memory store are imported from '@cards/security/pii/testing/…'.
