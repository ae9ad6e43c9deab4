import type { Database } from 'better-sqlite3';

/** The schema this code reads and writes, kept in SQLite's `user_version`. */
export const SQLITE_READ_STORE_SCHEMA_VERSION = 1;

/**
 * One table holds every collection: a document is its JSON `body` (without `_id`, which is the `id` column).
 * Filters and sorts read fields with json_extract, and each declared index is a partial expression index on
 * exactly those expressions (see sqlite-query.ts). Positions are INTEGERs, read back as bigint.
 */
const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (collection, id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS checkpoints (
    projection       TEXT    PRIMARY KEY,
    commit_position  INTEGER NOT NULL,
    prepare_position INTEGER NOT NULL,
    events_applied   INTEGER NOT NULL,
    updated_at       TEXT    NOT NULL
  );
`;

/**
 * Each projection's version (`Projection.version`): which code wrote its documents. Added beside the tables of
 * schema version 1 without changing the version, like `leases`: created when missing, so a file written before
 * versions opens and gains it in place (its projections then have checkpoints and no version: version 1), and a
 * build without versions still opens a file that has it, and never reads it.
 */
const PROJECTION_VERSIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS projection_versions (
    projection  TEXT    PRIMARY KEY,
    version     INTEGER NOT NULL,
    recorded_at TEXT    NOT NULL
  );
`;

/**
 * WAL lets queries read while a projector writes. synchronous=NORMAL: a commit is atomic (documents and checkpoint
 * together) and survives a crash of the process; a power cut may undo the last commits, and then documents and
 * checkpoint go back together, so the projection applies those batches again from the event store: never skipped,
 * never twice. Read models are derived data, so they do not pay an fsync per batch as the events do (the fsync was
 * 28% of a rebuild and a quarter of card-api's time under load; docs/performance.md).
 *
 * The WAL is copied back into the database (a checkpoint, with an fsync) once it holds WAL_AUTOCHECKPOINT_PAGES
 * pages (40 MB) instead of SQLite's 1,000 (4 MB): index pages that every batch touches are then copied once for
 * many batches, not once per batch (inserting numbers with their five indexes ran at 39,000/s with the default and
 * 57,000/s with this, transactions of 20,000). journal_size_limit trims the file back after a checkpoint.
 * The service copies the WAL from a worker thread long before that (`checkpointInBackground`, WalCheckpointer): this
 * is then the bound that holds when the worker cannot keep up or has stopped.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

export function applyPragmas(db: Database): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('journal_mode = WAL');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
}

/** Creates the schema in a new file, accepts a file already at our version, refuses anything else. */
export function ensureSchema(db: Database, file: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version === SQLITE_READ_STORE_SCHEMA_VERSION) {
    const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('documents', 'checkpoints')").pluck().get();
    // Another program's file at the same version number (the event store also starts at 1).
    if (Number(tables) !== 2) throw new Error(`${file} is not a read store: it has no documents and checkpoints tables`);
    db.exec(PROJECTION_VERSIONS_TABLE);
    return;
  }
  if (version === 0) {
    db.transaction(() => {
      db.exec(SCHEMA_V1);
      db.exec(PROJECTION_VERSIONS_TABLE);
      db.pragma(`user_version = ${SQLITE_READ_STORE_SCHEMA_VERSION}`);
    }).immediate();
    return;
  }
  throw new Error(
    `SQLite read store ${file} has schema version ${version}; this build reads version ${SQLITE_READ_STORE_SCHEMA_VERSION}`,
  );
}
