export * from './read-store.port';
export { NonNumericIncrementError } from './read-store-rules';
export { SqliteReadStore, type SqliteReadStoreOptions } from './sqlite/sqlite-read-store';
// The MongoDB adapter is loaded on demand (connectMongoReadStore): with the EventStoreDB client, its driver cost
// card-api on SQLite some 10 MiB of live heap and 13 MiB of resident memory at rest for nothing (docs/performance.md,
// row 9). Import the class itself from '@cards/read-store/mongodb/mongodb-read-store' (tests).
export type { MongoReadStore, MongoReadStoreOptions } from './mongodb/mongodb-read-store';
export { connectMongoReadStore } from './mongodb/connect';
// The contract suite is test-only: import it from '@cards/read-store/testing/read-store.contract'.
// projections
export * from './projections';
export * from './runner/projection-runner';
export * from './runner/wait-for-position';
export * from './lease/lease-keeper';
export { isMongoUnavailable } from './mongodb/mongodb-translation';
