import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { assertSqliteWritable, comparePositions, settleGroupCommit, WalCheckpointer, writeEachOf, type GroupCommitItem, type GroupCommitOutcome } from '@cards/event-store';
import {
  assertBatchSize,
  assertCollectionName,
  assertDocumentId,
  assertEventsInBatch,
  assertLeaseArguments,
  assertPosition,
  assertProjectionName,
  assertProjectionVersion,
  assertWriteOps,
  effectiveSort,
  NonNumericIncrementError,
} from '../read-store-rules';
import type {
  Checkpoint,
  CollectionDefinition,
  FindOptions,
  Filter,
  JsonObject,
  Lease,
  LeaseAttempt,
  Position,
  ReadDocument,
  ReadStore,
  WriteOp,
} from '../read-store.port';
import { ReadStoreUnavailableError } from '../read-store.port';
import { withSqliteFailuresMapped } from './sqlite-failures';
import { SqliteLeases } from './sqlite-leases';
import { collectionCondition, countQuery, createIndexStatement, findQuery, indexName, scanQuery } from './sqlite-query';
import { applyPragmas, ensureSchema } from './sqlite-schema';

const DEFAULT_SCAN_BATCH_SIZE = 500;
/** Trips through the microtask queue without a new commit after which a group commit is written (flushWhenSettled). */
const SETTLE_ROUNDS = 3;
/**
 * The planner's statistics are set, not measured: one row saying that a collection is large (the primary key's
 * `collection = ?` selects a million documents, an id one). All collections share one table, each index covering one
 * collection; without statistics SQLite takes `collection = ?` to be as selective as an index's equalities and may
 * walk a whole collection by primary key and sort it (287 ms for one suggestion draw over 300,000 numbers, 0.2 ms off
 * its index), and sampled ones (ANALYZE with analysis_limit) were worse (a collection of 300,000 counted as 334
 * documents). With this row alone, the declared indexes keep the planner's defaults, and each query this store builds
 * is planned on the index that fits its filter and sort. Whatever ANALYZE left in the file is replaced.
 */
const DOCUMENTS_STATISTICS = '10000000 1000000 1';

function setStatistics(db: Database.Database): void {
  try {
    db.transaction(() => {
      db.exec('ANALYZE checkpoints'); // creates sqlite_stat1 when the file has none (a tiny table: instant)
      db.prepare('DELETE FROM sqlite_stat1').run();
      db.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('documents', 'documents', ?)").run(DOCUMENTS_STATISTICS);
    }).immediate();
    db.exec('ANALYZE sqlite_schema'); // loads them into the planner
  } catch {
    // A file that cannot be written now (full, read-only) keeps the statistics it has: slower plans, same answers.
  }
}
/**
 * Distinct query shapes are few (one per filter/sort shape a query handler uses, times the limits it asks for: the
 * limit is part of the SQL text, sqlite-query.ts `limitClause`); this only bounds a runaway.
 */
const STATEMENT_CACHE_SIZE = 256;

export interface SqliteReadStoreOptions {
  /**
   * Copy the write-ahead log into the database from a worker thread (WalCheckpointer, @cards/event-store) instead of
   * inside the commit that fills it (WAL_AUTOCHECKPOINT_PAGES, 40 MB here: some 150 ms of a stopped event loop on this
   * machine's disk). The service turns it on; default false. Ignored for ':memory:'.
   */
  readonly checkpointInBackground?: boolean;
}

interface DocumentRow {
  id: string;
  body: string;
}

interface CheckpointRow {
  commit_position: bigint;
  prepare_position: bigint;
  events_applied: bigint;
  updated_at: string;
}

/** A document as a batch leaves it: null when deleted (or never there). */
interface TouchedDocument {
  readonly collection: string;
  readonly id: string;
  body: Record<string, unknown> | null;
}

/** A projection's batch waiting for the next group commit (SqliteReadStore.commit); settled with "applied". */
interface QueuedCommit extends GroupCommitItem<boolean> {
  readonly projection: string;
  readonly position: Position;
  readonly eventsInBatch: number;
  readonly ops: readonly WriteOp[];
}

function toDocument(row: DocumentRow): ReadDocument {
  // The parsed body is a fresh object nobody else holds: give it its id in place rather than copy it.
  const document = JSON.parse(row.body) as Record<string, unknown>;
  document._id = row.id;
  return document as ReadDocument;
}

function hasOwn(body: Record<string, unknown>, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(body, field);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The embedded read store: one SQLite file in WAL mode holding every collection in one `documents` table
 * (JSON bodies, partial expression indexes per collection), every projection's checkpoint and recorded version
 * (`projection_versions`, reset together with the documents when a version changes). A commit is one
 * IMMEDIATE transaction, so the documents and the checkpoint always move together.
 */
export class SqliteReadStore implements ReadStore {
  readonly kind = 'sqlite';

  private readonly statements = new Map<string, Database.Statement>();
  private readonly commitInTransaction: (projection: string, position: Position, eventsInBatch: number, ops: readonly WriteOp[], now: string) => boolean;
  private readonly commitGroupInTransaction: (group: readonly QueuedCommit[], now: string) => GroupCommitOutcome<boolean>[];
  /** Commits asked for and not written yet: written together by the next flushCommits (group commit). */
  private pendingCommits: QueuedCommit[] = [];
  private commitsScheduled = false;
  private readonly resetInTransaction: (projection: string, collections: readonly string[], version: number | undefined, now: string) => void;
  private readonly leases: SqliteLeases;

  /**
   * Opens (and if needed creates, with its parent directories) the store at `filePath`.
   * ':memory:' gives a private in-memory store for tests.
   */
  static open(filePath: string, options: SqliteReadStoreOptions = {}): SqliteReadStore {
    const db = withSqliteFailuresMapped('open the file', filePath, () => {
      if (filePath !== ':memory:') mkdirSync(dirname(filePath), { recursive: true });
      const connection = new Database(filePath, { timeout: 5000 });
      try {
        connection.defaultSafeIntegers(true);
        applyPragmas(connection);
        ensureSchema(connection, filePath);
        setStatistics(connection);
      } catch (error) {
        connection.close();
        throw error;
      }
      return connection;
    });
    const checkpointer =
      options.checkpointInBackground && filePath !== ':memory:' ? WalCheckpointer.start(filePath, { synchronous: 'NORMAL' }) : null;
    return new SqliteReadStore(db, filePath, checkpointer);
  }

  private constructor(
    private readonly db: Database.Database,
    private readonly filePath: string,
    /** The background checkpoints of this file, when asked for (`checkpointInBackground`). */
    readonly checkpointer: WalCheckpointer | null = null,
  ) {
    const commit = db.transaction(
      (projection: string, position: Position, eventsInBatch: number, ops: readonly WriteOp[], now: string): boolean => {
        const stored = this.readCheckpoint(projection);
        if (stored?.position && comparePositions(stored.position, position) >= 0) return false;
        this.applyOps(ops);
        this.statement(
          `INSERT INTO checkpoints (projection, commit_position, prepare_position, events_applied, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (projection) DO UPDATE SET
             commit_position = excluded.commit_position,
             prepare_position = excluded.prepare_position,
             events_applied = events_applied + excluded.events_applied,
             updated_at = excluded.updated_at`,
        ).run(projection, position.commit, position.prepare, eventsInBatch, now);
        return true;
      },
    );
    // IMMEDIATE takes the write lock before the checkpoint is read, so two processes cannot both apply a batch.
    this.commitInTransaction = (...args) => commit.immediate(...args);
    // Several projections' batches in one transaction, each in a savepoint of its own (the transaction function
    // called inside another): one that fails is rolled back alone, the others are written by the one COMMIT.
    const commitGroup = db.transaction((group: readonly QueuedCommit[], now: string) =>
      writeEachOf(db, group, (item) => commit(item.projection, item.position, item.eventsInBatch, item.ops, now)),
    );
    this.commitGroupInTransaction = (group, now) => commitGroup.immediate(group, now);

    const reset = db.transaction((projection: string, collections: readonly string[], version: number | undefined, now: string) => {
      for (const collection of collections) this.statement('DELETE FROM documents WHERE collection = ?').run(collection);
      this.statement('DELETE FROM checkpoints WHERE projection = ?').run(projection);
      if (version !== undefined) this.writeProjectionVersion(projection, version, now);
    });
    this.resetInTransaction = (...args) => reset.immediate(...args);
    this.leases = withSqliteFailuresMapped('create the leases table', filePath, () => new SqliteLeases(db));
  }

  /**
   * Creates the declared indexes of each collection and drops the ones it no longer declares (an index a
   * projection stopped using would otherwise cost every write to that collection forever).
   */
  async ensureCollections(definitions: readonly CollectionDefinition[]): Promise<void> {
    const statements = definitions.flatMap((definition) => {
      assertCollectionName(definition.name);
      return definition.indexes.filter((keys) => keys.length > 0).map((keys) => {
        effectiveSort(keys); // validates the names and directions before they become SQL text
        return { name: indexName(definition.name, keys), sql: createIndexStatement(definition.name, keys) };
      });
    });
    withSqliteFailuresMapped('create indexes', this.filePath, () => {
      this.db
        .transaction(() => {
          const declared = new Set(statements.map((statement) => statement.name));
          const existing = this.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string; sql: string }[];
          for (const definition of definitions) {
            const partOfCollection = ` WHERE ${collectionCondition(definition.name)}`;
            for (const index of existing) {
              if (index.sql.endsWith(partOfCollection) && !declared.has(index.name)) this.db.exec(`DROP INDEX "${index.name}"`);
            }
          }
          statements.forEach((statement) => this.db.exec(statement.sql));
        })
        .immediate();
    });
  }

  async get(collection: string, id: string): Promise<ReadDocument | null> {
    assertCollectionName(collection);
    assertDocumentId(id);
    const row = withSqliteFailuresMapped('read', this.filePath, () =>
      this.statement<DocumentRow>('SELECT id, body FROM documents WHERE collection = ? AND id = ?').get(collection, id),
    );
    return row === undefined ? null : toDocument(row);
  }

  async find(collection: string, options: FindOptions): Promise<ReadDocument[]> {
    const query = findQuery(collection, options);
    const rows = withSqliteFailuresMapped('read', this.filePath, () => this.statement<DocumentRow>(query.sql).all(...query.params));
    return rows.map(toDocument);
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    const query = countQuery(collection, filter);
    const count = withSqliteFailuresMapped('read', this.filePath, () =>
      this.statement<bigint>(query.sql).pluck().get(...query.params),
    );
    return Number(count);
  }

  /** Pages by id, each page its own short read, so a long report never holds a read transaction open. */
  async *scan(collection: string, filter?: Filter, batchSize = DEFAULT_SCAN_BATCH_SIZE): AsyncIterable<ReadDocument> {
    assertBatchSize(batchSize);
    let lastId: string | undefined;
    for (;;) {
      const query = scanQuery(collection, filter, lastId, batchSize);
      const rows = withSqliteFailuresMapped('read', this.filePath, () => this.statement<DocumentRow>(query.sql).all(...query.params));
      for (const row of rows) yield toDocument(row);
      if (rows.length < batchSize) return;
      lastId = rows[rows.length - 1].id;
    }
  }

  /**
   * Applies a batch and moves the projection's checkpoint, atomically. The batches of the projections that commit
   * within one task (the projections of one process wake up together on the same events, see flushWhenSettled) are
   * written by one transaction, each in a savepoint of its own: one COMMIT instead of one per projection, and the
   * pages they share (the checkpoints, the upper levels of the documents' b-trees) written once. Each promise settles
   * once that COMMIT has returned; a batch that fails is rolled back alone, and fails only its own promise.
   */
  async commit(projection: string, position: Position, eventsInBatch: number, ops: readonly WriteOp[]): Promise<boolean> {
    assertProjectionName(projection);
    assertPosition(position);
    assertEventsInBatch(eventsInBatch);
    assertWriteOps(ops);
    return new Promise<boolean>((resolve, reject) => {
      this.pendingCommits.push({ projection, position, eventsInBatch, ops, resolve, reject });
      if (!this.commitsScheduled) {
        this.commitsScheduled = true;
        this.flushWhenSettled(this.pendingCommits.length, 0);
      }
    });
  }

  /**
   * Flushes once no commit has joined the group for SETTLE_ROUNDS trips through the microtask queue. The projections
   * of a process are woken by the same events in the same task and reach their commits a few promise turns apart; a
   * flush in a later task (setImmediate, a timer) would wait for the requests of a whole turn of the event loop in
   * between, and the projections' lag with it. Grouping is only a saving: a projection that commits after the flush
   * is written by the next one. The flush always comes: a projection waits for its commit before it commits again,
   * so at most one commit per projection can join a group.
   */
  private flushWhenSettled(seen: number, quietRounds: number): void {
    queueMicrotask(() => {
      const now = this.pendingCommits.length;
      if (now === seen && quietRounds + 1 >= SETTLE_ROUNDS) this.flushCommits();
      else this.flushWhenSettled(now, now === seen ? quietRounds + 1 : 0);
    });
  }

  /** Writes the commits asked for since the last flush: one alone as before, several in one transaction. */
  private flushCommits(): void {
    this.commitsScheduled = false;
    const group = this.pendingCommits;
    this.pendingCommits = [];
    if (group.length === 0) return;
    const now = new Date().toISOString();
    settleGroupCommit<QueuedCommit, boolean>(
      group,
      (work) => withSqliteFailuresMapped('commit', this.filePath, work),
      (item) => this.commitInTransaction(item.projection, item.position, item.eventsInBatch, item.ops, now),
      (items) => this.commitGroupInTransaction(items, now),
    );
  }

  async checkpoint(projection: string): Promise<Checkpoint | null> {
    assertProjectionName(projection);
    return withSqliteFailuresMapped('read', this.filePath, () => this.readCheckpoint(projection));
  }

  async reset(projection: string, collections: readonly string[], version?: number): Promise<void> {
    assertProjectionName(projection);
    collections.forEach(assertCollectionName);
    if (version !== undefined) assertProjectionVersion(version);
    const now = new Date().toISOString();
    withSqliteFailuresMapped('reset', this.filePath, () => this.resetInTransaction(projection, collections, version, now));
  }

  async projectionVersion(projection: string): Promise<number | null> {
    assertProjectionName(projection);
    const version = withSqliteFailuresMapped('read', this.filePath, () =>
      this.statement<bigint>('SELECT version FROM projection_versions WHERE projection = ?').pluck().get(projection),
    );
    return version === undefined ? null : Number(version);
  }

  async recordProjectionVersion(projection: string, version: number): Promise<void> {
    assertProjectionName(projection);
    assertProjectionVersion(version);
    const now = new Date().toISOString();
    withSqliteFailuresMapped('record a projection version', this.filePath, () => this.writeProjectionVersion(projection, version, now));
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseAttempt> {
    assertLeaseArguments(name, holder, ttlMs);
    return withSqliteFailuresMapped('take a lease', this.filePath, () => this.leases.acquire(name, holder, ttlMs));
  }

  async releaseLease(name: string, holder: string): Promise<boolean> {
    assertLeaseArguments(name, holder);
    return withSqliteFailuresMapped('release a lease', this.filePath, () => this.leases.release(name, holder));
  }

  async lease(name: string): Promise<Lease | null> {
    assertLeaseArguments(name, 'any');
    return withSqliteFailuresMapped('read', this.filePath, () => this.leases.get(name));
  }

  /** Ready when the file answers and could take a projection commit now (writable, and its disk not full). */
  async ping(): Promise<void> {
    withSqliteFailuresMapped('answer', this.filePath, () => this.db.prepare('SELECT 1').pluck().get());
    if (!this.db.readonly) {
      assertSqliteWritable(`SQLite read store (${this.filePath})`, this.filePath, (message) => new ReadStoreUnavailableError(message));
    }
  }

  async close(): Promise<void> {
    // Commits already asked for are written first (their callers were told nothing yet).
    this.flushCommits();
    this.statements.clear();
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  private statement<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], Row>;
  }

  private writeProjectionVersion(projection: string, version: number, now: string): void {
    this.statement(
      `INSERT INTO projection_versions (projection, version, recorded_at) VALUES (?, ?, ?)
       ON CONFLICT (projection) DO UPDATE SET version = excluded.version, recorded_at = excluded.recorded_at`,
    ).run(projection, version, now);
  }

  private readCheckpoint(projection: string): Checkpoint | null {
    const row = this.statement<CheckpointRow>(
      'SELECT commit_position, prepare_position, events_applied, updated_at FROM checkpoints WHERE projection = ?',
    ).get(projection);
    if (row === undefined) return null;
    return {
      projection,
      position: { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) },
      eventsApplied: Number(row.events_applied),
      updatedAt: row.updated_at,
    };
  }

  /**
   * Applies the ops in order to the documents they touch, held in memory for the batch (so several ops on one
   * document read it once), then writes each touched document once. Runs inside the commit transaction: a
   * throw here rolls back the whole batch.
   */
  private applyOps(ops: readonly WriteOp[]): void {
    const touched = new Map<string, TouchedDocument>();
    const load = (collection: string, id: string): TouchedDocument => {
      const key = `${collection}\u0000${id}`;
      let document = touched.get(key);
      if (document === undefined) {
        const body = this.statement<string>('SELECT body FROM documents WHERE collection = ? AND id = ?').pluck().get(collection, id);
        document = { collection, id, body: body === undefined ? null : (JSON.parse(body) as Record<string, unknown>) };
        touched.set(key, document);
      }
      return document;
    };

    for (const op of ops) {
      const document = load(op.collection, op.id);
      switch (op.kind) {
        case 'upsert': {
          const body = document.body ?? {};
          for (const [field, value] of Object.entries(op.set)) body[field] = value;
          for (const field of op.unset ?? []) delete body[field];
          document.body = body;
          break;
        }
        case 'increment': {
          const body = document.body ?? {};
          for (const [field, by] of Object.entries(op.by)) {
            const current = hasOwn(body, field) ? body[field] : 0;
            if (typeof current !== 'number') {
              throw new NonNumericIncrementError(op.collection, op.id, field, `it holds ${describeValue(current)}, not a number`);
            }
            body[field] = current + by;
          }
          document.body = body;
          break;
        }
        case 'delete':
          document.body = null;
          break;
      }
    }

    for (const { collection, id, body } of touched.values()) {
      if (body === null) {
        this.statement('DELETE FROM documents WHERE collection = ? AND id = ?').run(collection, id);
      } else {
        this.statement(
          'INSERT INTO documents (collection, id, body) VALUES (?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body',
        ).run(collection, id, JSON.stringify(body));
      }
    }
  }
}
