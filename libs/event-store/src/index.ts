export * from './event-store.port';
export { DuplicateEventIdError, EventStoreUnavailableError, StreamRevisionConflictError } from './errors';
export { comparePositions, formatPosition, parsePosition, positionsEqual } from './position';
export { canonicalize } from './integrity/jcs';
export {
  type ChainFailure,
  type ChainLink,
  type ChainProblem,
  type ChainProblemCode,
  type ChainVerification,
  ChainVerifier,
  chainEvents,
  type EventHashInput,
  eventHash,
  GENESIS_HASH,
  HASH_FIELD,
  isEventHash,
  PREV_HASH_FIELD,
  prevHashAfter,
  verifyChain,
} from './integrity/hash-chain';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
export { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventstoredb/eventstoredb-event-store';
// The contract suite is test-only: import it from '@cards/event-store/testing/event-store.contract'.
export { assertSqliteWritable, isSqliteUnavailable, mapSqliteFailures, MIN_FREE_BYTES, sqliteWriteBlocker } from './sqlite/sqlite-failures';
export * from './integrity/checkpoint';
