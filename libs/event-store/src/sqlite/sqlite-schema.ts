import type { Database } from 'better-sqlite3';

/**
 * The schema this code reads and writes, kept in SQLite's `user_version`. Version 2 dropped version 1's `streams`
 * table (each stream's last revision): the (stream_id, revision) index answers that as fast, and writing the table
 * cost every append two more B-tree pages in the WAL (−40% appends/s at one fsync per append; docs/performance.md).
 */
export const SQLITE_SCHEMA_VERSION = 2;

const SCHEMA_V2 = `
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

/**
 * Creates the schema in a new file, accepts a file already at our version, upgrades a version 1 file (drops the
 * `streams` table, in one transaction; a build that reads version 1 then refuses the file instead of writing a
 * table nobody reads), reads a version 1 file as it is on a read-only connection, refuses anything else.
 */
export function ensureSchema(db: Database, file: string, readonly: boolean): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version === SQLITE_SCHEMA_VERSION) return;
  if (version === 1 && readonly) return;
  if ((version === 0 || version === 1) && !readonly) {
    db.transaction(() => {
      if (version === 0) db.exec(SCHEMA_V2);
      else db.exec('DROP TABLE IF EXISTS streams');
      db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
    }).immediate();
    return;
  }
  throw new Error(
    `SQLite event store ${file} has schema version ${version}; this build reads version ${SQLITE_SCHEMA_VERSION}` +
      (version === 0 ? ' and cannot create it on a read-only connection' : ''),
  );
}
