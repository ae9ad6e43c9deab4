export * from './event-store.port';
export { DuplicateEventIdError, EventStoreUnavailableError, StreamRevisionConflictError } from './errors';
export { eventIdGenerator, formatUuid, newEventId } from './event-ids';
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
export { WalCheckpointer, type WalCheckpointerOptions, type WalCheckpointerStats } from './sqlite/wal-checkpointer';
// The EventStoreDB adapter is loaded on demand (connectEventStoreDb): with the MongoDB driver, its gRPC client cost
// card-api on SQLite some 10 MiB of live heap and 13 MiB of resident memory at rest for nothing (docs/performance.md,
// row 9). Import the class itself from '@cards/event-store/eventstoredb/eventstoredb-event-store' (tests).
export type { EventStoreDbEventStore, EventStoreDbEventStoreOptions } from './eventstoredb/eventstoredb-event-store';
export { connectEventStoreDb } from './eventstoredb/connect';
// The contract suite is test-only: import it from '@cards/event-store/testing/event-store.contract'.
export { assertSqliteWritable, errorAsMapped, isSqliteUnavailable, mapSqliteFailures, MIN_FREE_BYTES, sqliteWriteBlocker } from './sqlite/sqlite-failures';
export { settleGroupCommit, writeEachOf, type GroupCommitItem, type GroupCommitOutcome } from './sqlite/group-commit';
export * from './integrity/checkpoint';
