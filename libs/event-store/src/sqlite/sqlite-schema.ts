import type { Database } from 'better-sqlite3';

/** The schema this code reads and writes, kept in SQLite's `user_version`. */
export const SQLITE_SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    stream_id   TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    UNIQUE (stream_id, revision)
  );
  CREATE TABLE IF NOT EXISTS streams (
    stream_id TEXT    PRIMARY KEY,
    revision  INTEGER NOT NULL
  );
`;

/**
 * Durability first: WAL lets readers (subscriptions, other processes) work while one writer appends;
 * synchronous=FULL syncs the WAL on every commit, so an acknowledged append survives a power cut.
 */
export function applyPragmas(db: Database, readonly: boolean): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = FULL');
  // Switching the journal mode writes to the file, which a read-only connection cannot do.
  if (!readonly) db.pragma('journal_mode = WAL');
}

/** Creates the schema in a new file, accepts a file already at our version, refuses anything else. */
export function ensureSchema(db: Database, file: string, readonly: boolean): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version === SQLITE_SCHEMA_VERSION) return;
  if (version === 0 && !readonly) {
    db.transaction(() => {
      db.exec(SCHEMA_V1);
      db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
    }).immediate();
    return;
  }
  throw new Error(
    `SQLite event store ${file} has schema version ${version}; this build reads version ${SQLITE_SCHEMA_VERSION}` +
      (version === 0 ? ' and cannot create it on a read-only connection' : ''),
  );
}
