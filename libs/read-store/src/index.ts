export * from './read-store.port';
export { NonNumericIncrementError } from './read-store-rules';
export { SqliteReadStore } from './sqlite/sqlite-read-store';
export { MongoReadStore, type MongoReadStoreOptions } from './mongodb/mongodb-read-store';
// The contract suite is test-only: import it from '@cards/read-store/testing/read-store.contract'.
// projections
export * from './projections';
export * from './runner/projection-runner';
export * from './runner/wait-for-position';
export * from './lease/lease-keeper';
export { isMongoUnavailable } from './mongodb/mongodb-translation';
