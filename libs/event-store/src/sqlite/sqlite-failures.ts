import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventStoreUnavailableError } from '../errors';

/**
 * SQLite result codes that mean "the file cannot be read or written right now" (locked by another process for
 * longer than busy_timeout, disk full, read-only file or mount, I/O error, file missing or not openable).
 * Extended codes such as SQLITE_IOERR_WRITE or SQLITE_READONLY_DBMOVED are matched by their prefix.
 */
const UNAVAILABLE_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL'];

/**
 * better-sqlite3 reports a closed connection, and a database directory that does not exist, with a plain
 * TypeError carrying one of these messages.
 */
const UNAVAILABLE_MESSAGES = ['The database connection is not open', 'Cannot open database because the directory does not exist'];

/**
 * Errors are recognised by shape, not `instanceof`: the native addon creates them in the realm and with the
 * SqliteError class of its first load, which under Jest (one module registry per test file) is not ours.
 */
function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

export function isSqliteUnavailable(error: unknown): boolean {
  const code = sqliteCode(error);
  if (code !== undefined) {
    return UNAVAILABLE_CODES.some((unavailable) => code === unavailable || code.startsWith(`${unavailable}_`));
  }
  if (typeof error !== 'object' || error === null) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return name === 'TypeError' && typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/**
 * Runs `work`, turning "cannot read/write now" failures into the error `unavailable` makes of a description.
 * Anything else (constraint violations, SQL mistakes, typed errors of our own) passes through. Shared by every
 * SQLite store of the service (events here, read models in libs/read-store).
 */
export function mapSqliteFailures<T>(describe: string, unavailable: (message: string, cause: unknown) => Error, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (isSqliteUnavailable(error)) {
      const code = sqliteCode(error);
      throw unavailable(`${describe} now: ${code ? `${code}: ` : ''}${(error as Error).message}`, error);
    }
    throw error;
  }
}

/**
 * What `mapping` (a store's mapSqliteFailures wrapper) makes of `error` when it is thrown inside it: for the items of a
 * group commit, whose own failures are caught inside the transaction and each rejected on its own afterwards.
 */
export function errorAsMapped(mapping: (work: () => never) => unknown, error: unknown): unknown {
  try {
    mapping(() => {
      throw error;
    });
  } catch (mapped) {
    return mapped;
  }
  return error;
}

/** The event store's use: "cannot read/write now" becomes EventStoreUnavailableError (HTTP 503). */
export function withSqliteFailuresMapped<T>(what: string, file: string, work: () => T): T {
  return mapSqliteFailures(`SQLite event store (${file}) cannot ${what}`, (message, cause) => new EventStoreUnavailableError(message, cause), work);
}

/**
 * Below this much free space on its file system a SQLite store is not ready: an append or a projection commit
 * (a few pages of WAL each, and the checkpoint that copies them into the database) would soon fail with SQLITE_FULL.
 */
export const MIN_FREE_BYTES = 1024 * 1024;

/**
 * Why a SQLite file could not take a write now, or undefined when it could: its directory or the file is not
 * writable (a read-only mount, permissions), or its file system has less than MIN_FREE_BYTES free. Cheap enough for
 * a readiness probe (two access() and one statfs() calls, no write): a `SELECT 1` alone answers on a full or
 * read-only disk, where every command would fail. ':memory:' always can.
 */
export function sqliteWriteBlocker(filePath: string): string | undefined {
  if (filePath === ':memory:' || filePath === '') return undefined;
  const directory = dirname(filePath);
  for (const target of [directory, filePath]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The file may not exist yet (created on the first write); its directory decides then.
      if (code === 'ENOENT' && target === filePath) continue;
      return `${target} is not writable (${code === 'EROFS' ? 'read-only file system' : code ?? (error as Error).message})`;
    }
  }
  try {
    const fsStats = statfsSync(directory);
    const free = Number(fsStats.bavail) * Number(fsStats.bsize);
    if (free < MIN_FREE_BYTES) return `the disk of ${directory} is full (${free} bytes free, at least ${MIN_FREE_BYTES} needed)`;
  } catch {
    // statfs is not available everywhere: the access checks above and the writes themselves still tell.
  }
  return undefined;
}

/** Throws what `unavailable` makes of the reason the SQLite file at `filePath` cannot be written now, if there is one. */
export function assertSqliteWritable(describe: string, filePath: string, unavailable: (message: string) => Error): void {
  const blocker = sqliteWriteBlocker(filePath);
  if (blocker !== undefined) throw unavailable(`${describe} cannot write now: ${blocker}`);
}
