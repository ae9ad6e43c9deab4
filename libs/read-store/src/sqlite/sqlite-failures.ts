import { mapSqliteFailures } from '@cards/event-store';
import { ReadStoreUnavailableError } from '../read-store.port';

/**
 * Runs `work`, turning "cannot read/write now" failures (locked, disk full, read-only, closed) into
 * ReadStoreUnavailableError. Anything else (SQL mistakes, invalid arguments, a non-numeric increment) is a
 * programming or data error and passes through.
 */
export function withSqliteFailuresMapped<T>(what: string, file: string, work: () => T): T {
  return mapSqliteFailures(`SQLite read store (${file}) cannot ${what}`, (message, cause) => new ReadStoreUnavailableError(message, cause), work);
}
