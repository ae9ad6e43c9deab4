import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { mapSqliteFailures, settleGroupCommit, writeEachOf, type GroupCommitItem, type GroupCommitOutcome } from '@cards/event-store';
import {
  assertErasure,
  assertListArguments,
  assertMasterKeyId,
  assertSubjectId,
  assertWrappedKey,
  pickWrappedKey,
  sameWrappedKey,
} from './data-key-rules';
import { DataKeyConflictError, DataKeyStoreUnavailableError, PersonalDataErasedError } from './errors';
import type {
  CreateDataKeyOutcome,
  DataKeyStore,
  DestroyDataKeyOutcome,
  Erasure,
  RewrapOutcome,
  WrappedKey,
  WrappedKeyEntry,
} from './key-store.port';

/** The schema this code reads and writes, kept in SQLite's `user_version`. */
export const DATA_KEY_SCHEMA_VERSION = 1;

/**
 * One row per subject. An 'active' row holds the wrapped key (bytes as BLOBs); an 'erased' row (the tombstone)
 * holds only who erased it, why and when. The CHECKs make a row that is both, or neither, impossible.
 */
const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS data_keys (
    subject_id     TEXT PRIMARY KEY,
    state          TEXT NOT NULL CHECK (state IN ('active', 'erased')),
    master_key_id  TEXT,
    iv             BLOB,
    ciphertext     BLOB,
    tag            BLOB,
    created_at     TEXT,
    rewrapped_at   TEXT,
    erased_at      TEXT,
    erased_by      TEXT,
    erasure_reason TEXT,
    CHECK (state <> 'active' OR (master_key_id IS NOT NULL AND iv IS NOT NULL AND ciphertext IS NOT NULL
                                 AND tag IS NOT NULL AND created_at IS NOT NULL AND erased_at IS NULL)),
    CHECK (state <> 'erased' OR (master_key_id IS NULL AND iv IS NULL AND ciphertext IS NULL AND tag IS NULL
                                 AND erased_at IS NOT NULL AND erased_by IS NOT NULL AND erasure_reason IS NOT NULL))
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS data_keys_by_master_key ON data_keys (master_key_id, subject_id) WHERE state = 'active';
`;

interface KeyRow {
  state: 'active' | 'erased';
  master_key_id: string | null;
  iv: Buffer | null;
  ciphertext: Buffer | null;
  tag: Buffer | null;
  created_at: string | null;
  erased_at: string | null;
  erased_by: string | null;
  erasure_reason: string | null;
}

interface ListedRow extends KeyRow {
  subject_id: string;
}

const ROW_COLUMNS = 'state, master_key_id, iv, ciphertext, tag, created_at, erased_at, erased_by, erasure_reason';

function toWrappedKey(row: KeyRow): WrappedKey {
  return {
    masterKeyId: row.master_key_id!,
    iv: row.iv!.toString('base64'),
    ciphertext: row.ciphertext!.toString('base64'),
    tag: row.tag!.toString('base64'),
    createdAt: row.created_at!,
  };
}

/**
 * The embedded key store: its own SQLite file (the service's plan is `DATA_DIR/keys.db`), apart from the events,
 * so that erasing a key never touches the event log and a copy of the events alone holds no readable personal data.
 *
 * Leaving nothing behind after destroy. SQLite does not erase deleted bytes by itself: a deleted or rewritten row
 * leaves its old bytes in the page's free space, on free-list pages, and in old frames of the WAL file, where a
 * copy of the file would still show them. So:
 * - `PRAGMA secure_delete = ON`: SQLite overwrites with zeros the space a deleted or shrunk row leaves, and the
 *   pages it frees;
 * - destroy first overwrites the key's bytes in place with zeros of the same length (an equal-sized update is
 *   written over the old cell), then turns the row into a tombstone without key columns, in one transaction;
 * - after the commit, `PRAGMA wal_checkpoint(TRUNCATE)` copies the zeroed pages into the main file and empties the
 *   WAL, whose older frames still held the page with the key. If another connection keeps the WAL busy, the
 *   checkpoint is tried again after the next destroy and at close.
 * What this cannot reach: copies made before the destroy (backups, file-system snapshots) and blocks the file
 * system or the disk keep after a file shrinks. Those hold the key only wrapped under the master key, so they are
 * harmless while the master keys stay secret; keep backup retention short, and rotate the master key after a leak.
 * Every connection to the file must be this adapter's: secure_delete is a setting of the connection.
 */
export class SqliteDataKeyStore implements DataKeyStore {
  readonly kind = 'sqlite';

  private closed = false;
  /** A destroy's checkpoint could not finish: old WAL frames may still hold a destroyed key. */
  private wipePending = false;

  private readonly selectRow: Database.Statement<[string], KeyRow>;
  private readonly insertKey: Database.Statement<[string, string, Buffer, Buffer, Buffer, string]>;
  private readonly zeroKeyBytes: Database.Statement<[string]>;
  private readonly writeTombstone: Database.Statement<[string, string, string, string]>;
  private readonly insertTombstone: Database.Statement<[string, string, string, string]>;
  private readonly updateWrapped: Database.Statement<[string, Buffer, Buffer, Buffer, string, string, string]>;
  private readonly selectUnder: Database.Statement<[string, string, number], ListedRow>;
  private readonly countUnder: Database.Statement<[string], { n: number }>;
  private readonly createInTransaction: (subjectId: string, wrapped: WrappedKey) => CreateDataKeyOutcome;
  private readonly createGroupInTransaction: (group: readonly QueuedCreate[]) => GroupCommitOutcome<CreateDataKeyOutcome>[];
  /** Creates asked for since the last flush: written together at the next turn of the event loop (group commit). */
  private pendingCreates: QueuedCreate[] = [];
  private createsScheduled = false;
  private readonly destroyInTransaction: (subjectId: string, erasure: Erasure) => DestroyDataKeyOutcome;
  private readonly rewrapInTransaction: (subjectId: string, expected: string, wrapped: WrappedKey, at: string) => RewrapOutcome;

  /**
   * Opens (and if needed creates, with its parent directories) the key store at `filePath`; a new file is made
   * readable by its owner only (0600), which SQLite carries over to its -wal and -shm files. ':memory:' gives a
   * private in-memory store for tests.
   */
  static open(filePath: string): SqliteDataKeyStore {
    const db = mapped('open the file', filePath, () => {
      if (filePath !== ':memory:') {
        mkdirSync(dirname(filePath), { recursive: true, mode: 0o700 });
        if (!existsSync(filePath)) createOwnerOnlyFile(filePath);
      }
      const connection = new Database(filePath, { timeout: 5000 });
      try {
        connection.pragma('busy_timeout = 5000');
        connection.pragma('secure_delete = ON');
        connection.pragma('synchronous = FULL');
        connection.pragma('journal_mode = WAL');
        ensureSchema(connection, filePath);
      } catch (error) {
        connection.close();
        throw error;
      }
      return connection;
    });
    return new SqliteDataKeyStore(db, filePath);
  }

  private constructor(
    private readonly db: Database.Database,
    private readonly filePath: string,
  ) {
    this.selectRow = db.prepare(`SELECT ${ROW_COLUMNS} FROM data_keys WHERE subject_id = ?`);
    this.insertKey = db.prepare(
      `INSERT INTO data_keys (subject_id, state, master_key_id, iv, ciphertext, tag, created_at)
       VALUES (?, 'active', ?, ?, ?, ?, ?) ON CONFLICT (subject_id) DO NOTHING`,
    );
    this.zeroKeyBytes = db.prepare(
      `UPDATE data_keys SET iv = zeroblob(length(iv)), ciphertext = zeroblob(length(ciphertext)), tag = zeroblob(length(tag))
       WHERE subject_id = ? AND state = 'active'`,
    );
    this.writeTombstone = db.prepare(
      `UPDATE data_keys SET state = 'erased', master_key_id = NULL, iv = NULL, ciphertext = NULL, tag = NULL,
         rewrapped_at = NULL, erased_at = ?, erased_by = ?, erasure_reason = ?
       WHERE subject_id = ? AND state = 'active'`,
    );
    this.insertTombstone = db.prepare(
      `INSERT INTO data_keys (subject_id, state, erased_at, erased_by, erasure_reason) VALUES (?, 'erased', ?, ?, ?)`,
    );
    this.updateWrapped = db.prepare(
      `UPDATE data_keys SET master_key_id = ?, iv = ?, ciphertext = ?, tag = ?, rewrapped_at = ?
       WHERE subject_id = ? AND state = 'active' AND master_key_id = ?`,
    );
    this.selectUnder = db.prepare(
      `SELECT subject_id, ${ROW_COLUMNS} FROM data_keys
       WHERE state = 'active' AND master_key_id = ? AND subject_id > ? ORDER BY subject_id LIMIT ?`,
    );
    // Answered from the partial index data_keys_by_master_key, which holds active rows only.
    this.countUnder = db.prepare(`SELECT count(*) AS n FROM data_keys WHERE state = 'active' AND master_key_id = ?`);

    // IMMEDIATE takes the write lock before the read, so two processes cannot both see "no key" and both write.
    const createOne = (subjectId: string, wrapped: WrappedKey): CreateDataKeyOutcome => {
      const inserted = this.insertKey.run(
        subjectId,
        wrapped.masterKeyId,
        Buffer.from(wrapped.iv, 'base64'),
        Buffer.from(wrapped.ciphertext, 'base64'),
        Buffer.from(wrapped.tag, 'base64'),
        wrapped.createdAt,
      );
      if (inserted.changes === 1) return 'created';
      const stored = this.selectRow.get(subjectId)!;
      if (stored.state === 'erased') throw new PersonalDataErasedError(subjectId);
      if (sameWrappedKey(toWrappedKey(stored), wrapped)) return 'unchanged';
      throw new DataKeyConflictError(subjectId);
    };
    const create = db.transaction(createOne);
    this.createInTransaction = (subjectId, wrapped) => create.immediate(subjectId, wrapped);
    // The creates of one turn in one transaction, one fsync. A create writes its one INSERT or nothing (a refusal is
    // decided after an INSERT that changed nothing, and SQLite undoes a failed INSERT on its own): no savepoints.
    const createGroup = db.transaction((group: readonly QueuedCreate[]) => writeEachOf(db, group, (item) => createOne(item.subjectId, item.wrapped)));
    this.createGroupInTransaction = (group) => createGroup.immediate(group);

    const destroy = db.transaction((subjectId: string, erasure: Erasure): DestroyDataKeyOutcome => {
      const stored = this.selectRow.get(subjectId);
      if (stored?.state === 'erased') return 'already_erased';
      if (stored === undefined) {
        this.insertTombstone.run(subjectId, erasure.at, erasure.by, erasure.reason);
        return 'no_key';
      }
      this.zeroKeyBytes.run(subjectId);
      this.writeTombstone.run(erasure.at, erasure.by, erasure.reason, subjectId);
      return 'destroyed';
    });
    this.destroyInTransaction = (subjectId, erasure) => destroy.immediate(subjectId, erasure);

    const rewrap = db.transaction((subjectId: string, expected: string, wrapped: WrappedKey, at: string): RewrapOutcome => {
      const updated = this.updateWrapped.run(
        wrapped.masterKeyId,
        Buffer.from(wrapped.iv, 'base64'),
        Buffer.from(wrapped.ciphertext, 'base64'),
        Buffer.from(wrapped.tag, 'base64'),
        at,
        subjectId,
        expected,
      );
      if (updated.changes === 1) return 'rewrapped';
      const stored = this.selectRow.get(subjectId);
      if (stored === undefined) return 'missing';
      return stored.state === 'erased' ? 'erased' : 'conflict';
    });
    this.rewrapInTransaction = (subjectId, expected, wrapped, at) => rewrap.immediate(subjectId, expected, wrapped, at);
  }

  /**
   * Stores a subject's new data key, durably. The creates asked for while the event loop is busy (customers
   * registering at once) are written together at its next turn, one transaction and one fsync for them all, like the
   * event store's appends; each promise settles once that COMMIT has returned, with its own outcome or refusal.
   */
  async create(subjectId: string, wrapped: WrappedKey): Promise<CreateDataKeyOutcome> {
    assertSubjectId(subjectId);
    assertWrappedKey(wrapped);
    const picked = pickWrappedKey(wrapped);
    return new Promise<CreateDataKeyOutcome>((resolve, reject) => {
      this.pendingCreates.push({ subjectId, wrapped: picked, resolve, reject });
      if (!this.createsScheduled) {
        this.createsScheduled = true;
        setImmediate(() => this.flushCreates());
      }
    });
  }

  /** Writes the creates asked for since the last flush. Anything else that writes calls it first: calls keep their order. */
  private flushCreates(): void {
    this.createsScheduled = false;
    const group = this.pendingCreates;
    this.pendingCreates = [];
    settleGroupCommit<QueuedCreate, CreateDataKeyOutcome>(
      group,
      (work) => mapped('store a data key', this.filePath, work),
      (item) => this.createInTransaction(item.subjectId, item.wrapped),
      (items) => this.createGroupInTransaction(items),
    );
  }

  async get(subjectId: string): Promise<WrappedKey | null | 'erased'> {
    assertSubjectId(subjectId);
    const row = mapped('read', this.filePath, () => this.selectRow.get(subjectId));
    if (row === undefined) return null;
    return row.state === 'erased' ? 'erased' : toWrappedKey(row);
  }

  async destroy(subjectId: string, erasure: Erasure): Promise<DestroyDataKeyOutcome> {
    assertSubjectId(subjectId);
    assertErasure(erasure);
    this.flushCreates();
    const outcome = mapped('destroy a data key', this.filePath, () => this.destroyInTransaction(subjectId, erasure));
    if (outcome === 'destroyed' || this.wipePending) this.wipeWal();
    return outcome;
  }

  async erasureOf(subjectId: string): Promise<Erasure | null> {
    assertSubjectId(subjectId);
    const row = mapped('read', this.filePath, () => this.selectRow.get(subjectId));
    if (row?.state !== 'erased') return null;
    return { by: row.erased_by!, reason: row.erasure_reason!, at: row.erased_at! };
  }

  async listWrappedUnder(masterKeyId: string, limit: number, after?: string): Promise<WrappedKeyEntry[]> {
    assertListArguments(masterKeyId, limit, after);
    // '' sorts before every subject id (they are never empty).
    const rows = mapped('read', this.filePath, () => this.selectUnder.all(masterKeyId, after ?? '', limit));
    return rows.map((row) => ({ subjectId: row.subject_id, wrapped: toWrappedKey(row) }));
  }

  async countWrappedUnder(masterKeyId: string): Promise<number> {
    assertMasterKeyId(masterKeyId);
    return mapped('read', this.filePath, () => this.countUnder.get(masterKeyId)!.n);
  }

  async rewrap(subjectId: string, expectedOldMasterKeyId: string, newWrapped: WrappedKey): Promise<RewrapOutcome> {
    assertSubjectId(subjectId);
    assertMasterKeyId(expectedOldMasterKeyId);
    assertWrappedKey(newWrapped);
    const at = new Date().toISOString();
    this.flushCreates();
    return mapped('rewrap a data key', this.filePath, () =>
      this.rewrapInTransaction(subjectId, expectedOldMasterKeyId, pickWrappedKey(newWrapped), at),
    );
  }

  async ping(): Promise<void> {
    mapped('answer', this.filePath, () => this.db.prepare('SELECT count(*) FROM data_keys WHERE 0').pluck().get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Creates already asked for are written first (their callers were told nothing yet).
    this.flushCreates();
    this.closed = true;
    if (!this.db.open) return;
    if (this.wipePending) this.wipeWal();
    this.db.close();
  }

  /**
   * Moves everything into the main file and empties the WAL, whose older frames may hold a destroyed key's page.
   * Waits up to busy_timeout for other connections; if they still hold the WAL, tries again later. The destroy
   * itself is committed either way, so a failure here is not the caller's.
   */
  private wipeWal(): void {
    if (this.filePath === ':memory:') return;
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      this.wipePending = result === undefined || result.busy !== 0;
    } catch {
      this.wipePending = true;
    }
  }
}

/** A data key waiting for the next group commit (SqliteDataKeyStore.create). */
interface QueuedCreate extends GroupCommitItem<CreateDataKeyOutcome> {
  readonly subjectId: string;
  readonly wrapped: WrappedKey;
}

function mapped<T>(what: string, file: string, work: () => T): T {
  return mapSqliteFailures(
    `SQLite data key store (${file}) cannot ${what}`,
    (message, cause) => new DataKeyStoreUnavailableError(message, cause),
    work,
  );
}

/** An empty file is an empty SQLite database; made first so that its mode is 0600 from the start. */
function createOwnerOnlyFile(filePath: string): void {
  try {
    closeSync(openSync(filePath, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Creates the schema in a new file, accepts a file already at our version, refuses anything else. */
function ensureSchema(db: Database.Database, file: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version === DATA_KEY_SCHEMA_VERSION) return;
  if (version === 0) {
    db.transaction(() => {
      db.exec(SCHEMA_V1);
      db.pragma(`user_version = ${DATA_KEY_SCHEMA_VERSION}`);
    }).immediate();
    return;
  }
  throw new Error(`SQLite data key store ${file} has schema version ${version}; this build reads version ${DATA_KEY_SCHEMA_VERSION}`);
}
