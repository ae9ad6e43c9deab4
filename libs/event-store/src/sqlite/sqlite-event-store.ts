import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuplicateEventIdError, EventStoreUnavailableError, StreamRevisionConflictError } from '../errors';
import type {
  AllSubscription,
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  JsonObject,
  LogCount,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoredEvent,
  SubscribeToAllOptions,
} from '../event-store.port';
import { normaliseEventsToAppend } from '../event-validation';
import { type CurrentRevision, expectationHolds, NO_STREAM_REVISION } from '../expected-revision';
import { chainEvents, GENESIS_HASH, HASH_FIELD, prevHashAfter } from '../integrity/hash-chain';
import { assertSqliteWritable, errorAsMapped, withSqliteFailuresMapped } from './sqlite-failures';
import { writeEachOf, type GroupCommitItem, type GroupCommitOutcome } from './group-commit';
import { applyPragmas, ensureSchema } from './sqlite-schema';
import { WalCheckpointer } from './wal-checkpointer';
import { SqliteAllSubscription, type LogPage } from './sqlite-subscription';
import { StatementPerLimit } from './statement-per-limit';

export interface SqliteEventStoreOptions {
  /**
   * How often the store looks whether another process appended to the file, while it has subscriptions (default
   * 10 ms). Appends of this process wake them at once; card-projector, beside card-api on one file, hears of
   * card-api's only this way: at 200 ms its projections' lag p99 under the bench's mix was 303 ms, at 50 ms 120 ms.
   * One look for all the subscriptions (`PRAGMA data_version`, some 3 µs; 100 looks a second, 0.03 % of a core);
   * they read the log only when it says the file changed, and once in `idleReadMs` anyway. Looking every 10 ms rather
   * than reading every 50 made idle subscriptions cheaper; the lag with card-projector apart did not measurably move
   * (docs/performance.md, row 7): card-projector's own work, on cores it shares, is most of it.
   */
  readonly pollIntervalMs?: number;
  /**
   * How long a live subscription with nothing to do waits before it reads the log anyway (default 1,000 ms, never less
   * than `pollIntervalMs`): the look at the file wakes it when another process appends, so this only bounds what a
   * missed wake-up, or a look that failed, costs.
   */
  readonly idleReadMs?: number;
  /** Open the file read-only (a reporting replica, or tests of a store that cannot write). Default false. */
  readonly readonly?: boolean;
  /**
   * Copy the write-ahead log into the database from a worker thread (WalCheckpointer) instead of inside the commit that
   * fills it, which stops the event loop for the copy and its fsyncs. The service turns it on; default false (a test's
   * or a tool's short-lived store needs no thread). Ignored for ':memory:' and read-only stores.
   */
  readonly checkpointInBackground?: boolean;
}

const DEFAULT_POLL_INTERVAL_MS = 10;
const DEFAULT_IDLE_READ_MS = 1_000;
const DEFAULT_READ_ALL_MAX_COUNT = 1000;
const SUBSCRIPTION_PAGE_SIZE = 500;
/**
 * A subscription's page also ends once its events hold this much JSON text (data and metadata, in characters), after
 * at least one event: a page of 500 imports of 1,000 SIM numbers was 40 MB of text and half a million parsed objects
 * at once, more than card-projector's heap limit leaves room for. Events of a few hundred bytes never reach it.
 */
export const SUBSCRIPTION_PAGE_TEXT = 4 * 1024 * 1024;
/** At most this many appends share one transaction (and one fsync); more wait for the next. */
const MAX_APPENDS_PER_COMMIT = 512;
/** Streams whose last revision and hash an append remembers (about 200 bytes each). */
const REMEMBERED_STREAM_HEADS = 10_000;
const APPENDED = 'appended';
/** Position reported by an empty append to a stream that does not exist: nothing was written anywhere. */
const NO_POSITION: Position = { commit: 0n, prepare: 0n };

/**
 * A row of EVENT_COLUMNS as an array, in that order (`raw` statements): better-sqlite3 builds an array faster than
 * an object with named keys, which shows on every read of the log (docs/performance.md, "3. Reads").
 */
type EventRow = [position: bigint, eventId: string, streamId: string, revision: bigint, type: string, data: string, metadata: string, recordedAt: string];

/** A row of STORED_COLUMNS, as an array. */
type StoredRow = [position: bigint, streamId: string, revision: bigint, type: string, data: string, metadata: string];

/** An append waiting for the next group commit. */
interface QueuedAppend extends GroupCommitItem<AppendResult> {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
}

/** What an append wrote: its result, and the stream's new head (null when it wrote nothing: a retry, an empty append). */
interface AppendWritten {
  readonly result: AppendResult;
  readonly head: StreamHead | null;
}

/** A stream's last event as an append left it: its revision and hash, for the next append to chain on. */
interface StreamHead {
  readonly streamId: string;
  readonly revision: bigint;
  readonly hash: string;
}

interface StoredPlace {
  stream_id: string;
  revision: bigint;
  position: bigint;
}

const EVENT_COLUMNS = 'position, event_id, stream_id, revision, type, data, metadata, recorded_at';
/** What readAllStored reads: what the hash chain covers, and where the event is. */
const STORED_COLUMNS = 'position, stream_id, revision, type, data, metadata';

/**
 * The embedded event store: one SQLite file in WAL mode. Positions are the `events.position` sequence
 * (commit = prepare). Several processes may share the file: appends serialise on SQLite's write lock
 * (BEGIN IMMEDIATE + busy_timeout), and subscriptions poll for appends made by other processes.
 * Each append chains its events (metadata `prevHash`/`hash`, integrity/hash-chain.ts) inside its transaction.
 *
 * Group commit: appends that arrive while the event loop is busy (concurrent requests, concurrent writers) are
 * queued and written together at the next turn, in one transaction with one fsync (synchronous=FULL), each inside
 * its own savepoint so that one refused append (a revision conflict) changes nothing for the others. Every append is
 * resolved only after the COMMIT that holds it returned: nothing is acknowledged before it is durable. A single
 * writer waiting for each append pays one extra turn of the event loop.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite';

  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<SqliteAllSubscription>();
  private readonly pollIntervalMs: number;
  private closed = false;
  /** The look for other processes' appends, while there are subscriptions (see `pollIntervalMs`). */
  private otherWriters: { timer: NodeJS.Timeout; dataVersion: bigint | null } | null = null;
  private readonly selectDataVersion: Database.Statement<[], bigint>;

  private readonly selectStreamRevision: Database.Statement<[string], bigint | null>;
  private readonly selectPlaceOfEvent: Database.Statement<[string], StoredPlace>;
  private readonly selectPositionAtRevision: Database.Statement<[string, bigint], bigint>;
  private readonly selectHashAtRevision: Database.Statement<[string, bigint], unknown>;
  private readonly insertEvent: Database.Statement<[string, string, bigint, string, string, string, string]>;
  private readonly selectStreamWindow: Database.Statement<[string, bigint, bigint], EventRow>;
  private readonly selectEventsAfter: StatementPerLimit<Database.Statement<[bigint], EventRow>>;
  private readonly selectStoredAfter: StatementPerLimit<Database.Statement<[bigint], StoredRow>>;
  private readonly selectHeadPosition: Database.Statement<[], bigint | null>;
  private readonly countAfter: StatementPerLimit<Database.Statement<[bigint], bigint>>;
  private readonly selectFirstRecordedAtAfter: Database.Statement<[bigint], string>;
  private readonly appendBatchInTransaction: (batch: readonly QueuedAppend[]) => GroupCommitOutcome<AppendWritten>[];
  private queue: QueuedAppend[] = [];
  /**
   * The last revision and hash of the streams this store appended to lately, set once the append's COMMIT returned.
   * An append still reads the stream's revision from the file (another process may have appended since); when it is
   * the one remembered, the event there is the one this store wrote (events are never changed), and its hash need
   * not be read back. Oldest first, at most REMEMBERED_STREAM_HEADS.
   */
  private readonly streamHeads = new Map<string, StreamHead>();
  private flushScheduled = false;

  /**
   * Opens (and if needed creates, with its parent directories) the store at `filePath`.
   * ':memory:' gives a private in-memory store for tests.
   */
  static open(filePath: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const readonly = options.readonly ?? false;
    const db = withSqliteFailuresMapped('open the file', filePath, () => {
      if (filePath !== ':memory:' && !readonly) mkdirSync(dirname(filePath), { recursive: true });
      const connection = new Database(filePath, { readonly, fileMustExist: readonly, timeout: 5000 });
      try {
        connection.defaultSafeIntegers(true);
        applyPragmas(connection, readonly);
        ensureSchema(connection, filePath, readonly);
      } catch (error) {
        connection.close();
        throw error;
      }
      return connection;
    });
    const checkpointer =
      options.checkpointInBackground && !readonly && filePath !== ':memory:' ? WalCheckpointer.start(filePath, { synchronous: 'FULL' }) : null;
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const idleReadMs = Math.max(options.idleReadMs ?? DEFAULT_IDLE_READ_MS, pollIntervalMs);
    return new SqliteEventStore(db, filePath, pollIntervalMs, idleReadMs, checkpointer);
  }

  private constructor(
    private readonly db: Database.Database,
    private readonly filePath: string,
    pollIntervalMs: number,
    private readonly idleReadMs: number,
    /** The background checkpoints of this file, when asked for (`checkpointInBackground`). */
    readonly checkpointer: WalCheckpointer | null = null,
  ) {
    this.pollIntervalMs = pollIntervalMs;
    this.appended.setMaxListeners(0);
    // max() over the (stream_id, revision) index: one seek to the stream's last entry.
    this.selectStreamRevision = db.prepare<[string], bigint | null>('SELECT max(revision) FROM events WHERE stream_id = ?').pluck();
    this.selectPlaceOfEvent = db.prepare<[string], StoredPlace>('SELECT stream_id, revision, position FROM events WHERE event_id = ?');
    this.selectPositionAtRevision = db
      .prepare<[string, bigint], bigint>('SELECT position FROM events WHERE stream_id = ? AND revision = ?')
      .pluck();
    this.selectHashAtRevision = db
      .prepare<[string, bigint], unknown>("SELECT json_extract(metadata, '$.hash') FROM events WHERE stream_id = ? AND revision = ?")
      .pluck();
    this.insertEvent = db.prepare(
      'INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectStreamWindow = db
      .prepare<[string, bigint, bigint], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision BETWEEN ? AND ? ORDER BY revision`)
      .raw(true);
    this.selectEventsAfter = new StatementPerLimit((limit) =>
      db.prepare<[bigint], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ${limit}`).raw(true),
    );
    this.selectStoredAfter = new StatementPerLimit((limit) =>
      db.prepare<[bigint], StoredRow>(`SELECT ${STORED_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ${limit}`).raw(true),
    );
    this.selectHeadPosition = db.prepare<[], bigint | null>('SELECT max(position) FROM events').pluck();
    // Changes when another connection (another process, or another store on the file) has committed since the last look.
    this.selectDataVersion = db.prepare<[], bigint>('PRAGMA data_version').pluck();
    // Positions only: a walk of the table b-tree by rowid (the position), no column decoded, no event built.
    this.countAfter = new StatementPerLimit((limit) =>
      db.prepare<[bigint], bigint>(`SELECT count(*) FROM (SELECT position FROM events WHERE position > ? ORDER BY position LIMIT ${limit})`).pluck(),
    );
    this.selectFirstRecordedAtAfter = db
      .prepare<[bigint], string>('SELECT recorded_at FROM events WHERE position > ? ORDER BY position LIMIT 1')
      .pluck();

    // Called inside the batch's transaction, a transaction function runs in a savepoint: rolled back alone on a throw.
    const appendInSavepoint = db.transaction((streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision) =>
      this.appendWithinTransaction(streamId, events, expected),
    );
    // An append writes nothing but its INSERTs, one per event, after every check, and nothing after them can fail.
    // One INSERT that fails is undone by SQLite on its own (the statement is rolled back, the transaction goes on),
    // so an append of one event needs no savepoint (a savepoint and its release were some 10 % of an append's CPU);
    // only the earlier INSERTs of an append of several need one, to be undone with it.
    const appendOne = (streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision) =>
      events.length > 1 ? appendInSavepoint(streamId, events, expected) : this.appendWithinTransaction(streamId, events, expected);
    // An append's own failure is its outcome; one that rolled the whole transaction back fails the batch (writeEachOf).
    const appendBatch = db.transaction((batch: readonly QueuedAppend[]) =>
      writeEachOf(db, batch, (item) => appendOne(item.streamId, item.events, item.expected)),
    );
    // IMMEDIATE takes the write lock before reading the stream's revision, so two processes cannot both pass the check.
    this.appendBatchInTransaction = (batch) => appendBatch.immediate(batch);
  }

  async appendToStream(
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    const normalised = normaliseEventsToAppend(streamId, events);
    if (this.closed) throw new EventStoreUnavailableError(`SQLite event store (${this.filePath}) cannot append now: the store is closed`);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, events: normalised, expected, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Writes the queued appends: one transaction, one fsync; each settled once the COMMIT returned. */
  private flush(): void {
    this.flushScheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_APPENDS_PER_COMMIT);
      let outcomes: GroupCommitOutcome<AppendWritten>[];
      try {
        outcomes = withSqliteFailuresMapped('append', this.filePath, () => this.appendBatchInTransaction(batch));
      } catch (error) {
        // The COMMIT (or BEGIN) failed: nothing of the batch was written.
        for (const item of batch) item.reject(error);
        continue;
      }
      let wrote = false;
      outcomes.forEach((outcome, index) => {
        if ('error' in outcome) {
          batch[index].reject(mapAppendError(this.filePath, outcome.error));
        } else {
          const { result, head } = outcome.value;
          if (head) {
            wrote = true;
            this.rememberHead(head);
          }
          batch[index].resolve(result);
        }
      });
      if (wrote) this.appended.emit(APPENDED);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = options.fromRevision ?? 0n;
    // SQLite integers are signed 64-bit: the largest one stands for "to the end".
    const to = options.toRevision ?? 9_223_372_036_854_775_807n;
    if (to < from) return [];
    return withSqliteFailuresMapped('read', this.filePath, () =>
      this.selectStreamWindow.all(streamId, from, to).map(toRecordedEvent),
    );
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const from = options.from ?? 'start';
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT;
    return this.readAfter(from === 'start' ? 0n : from.commit, maxCount);
  }

  /** readAll's pages as the rows hold them: the canonical text the hash chain hashes, nothing parsed. */
  async readAllStored(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const from = options.from ?? 'start';
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT;
    if (maxCount <= 0) return [];
    return withSqliteFailuresMapped('read', this.filePath, () =>
      this.selectStoredAfter.for(maxCount).all(from === 'start' ? 0n : from.commit).map(toStoredEvent),
    );
  }

  async countAll(options: ReadAllOptions = {}): Promise<LogCount> {
    const from = options.from ?? 'start';
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT;
    if (maxCount <= 0) return { count: 0, firstRecordedAt: null };
    const after = from === 'start' ? 0n : from.commit;
    return withSqliteFailuresMapped('read', this.filePath, () => {
      const count = Number(this.countAfter.for(maxCount).get(after));
      const first = count === 0 ? undefined : this.selectFirstRecordedAtAfter.get(after);
      return { count, firstRecordedAt: first === undefined ? null : new Date(first) };
    });
  }

  async headPosition(): Promise<Position | null> {
    const head = withSqliteFailuresMapped('read', this.filePath, () => this.selectHeadPosition.get());
    return head === null || head === undefined ? null : sqlitePosition(head);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    if (this.closed) throw new Error('SqliteEventStore is closed');
    const subscription = new SqliteAllSubscription(
      {
        readPage: (position, maxCount) => this.readPage(position, maxCount, SUBSCRIPTION_PAGE_TEXT),
        onAppended: (listener) => {
          this.appended.on(APPENDED, listener);
          return () => this.appended.off(APPENDED, listener);
        },
      },
      {
        from: options.from ?? 'start',
        onCaughtUp: options.onCaughtUp,
        idleReadMs: this.idleReadMs,
        retryDelayMs: this.pollIntervalMs,
        pageSize: SUBSCRIPTION_PAGE_SIZE,
        onClosed: (closed) => {
          this.subscriptions.delete(closed);
          if (this.subscriptions.size === 0) this.stopLookingForOtherWriters();
        },
      },
    );
    this.subscriptions.add(subscription);
    this.lookForOtherWriters();
    return subscription;
  }

  /**
   * Wakes the subscriptions when another connection has committed to the file since the last look. A private
   * in-memory store has no other connection. A look that fails (the file unreadable for a moment) is skipped: the
   * subscriptions' own reads meet the failure and retry.
   */
  private lookForOtherWriters(): void {
    if (this.otherWriters !== null || this.filePath === ':memory:') return;
    const look = () => {
      if (this.otherWriters === null) return;
      let version: bigint;
      try {
        version = this.selectDataVersion.get()!;
      } catch {
        return;
      }
      const seen = this.otherWriters.dataVersion;
      this.otherWriters.dataVersion = version;
      if (seen !== null && version !== seen) this.appended.emit(APPENDED);
    };
    this.otherWriters = { timer: setInterval(look, this.pollIntervalMs), dataVersion: null };
    look();
  }

  private stopLookingForOtherWriters(): void {
    if (this.otherWriters === null) return;
    clearInterval(this.otherWriters.timer);
    this.otherWriters = null;
  }

  /** Ready when the file answers and could take an append now (writable, and its disk not full). */
  async ping(): Promise<void> {
    withSqliteFailuresMapped('answer', this.filePath, () => this.db.prepare('SELECT 1').pluck().get());
    if (!this.db.readonly) {
      assertSqliteWritable(`SQLite event store (${this.filePath})`, this.filePath, (message) => new EventStoreUnavailableError(message));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted are written before the file closes.
    this.flush();
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.stopLookingForOtherWriters();
    this.appended.removeAllListeners();
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  /**
   * A subscription's page: up to `maxCount` events after `position`, ending early once they hold `maxText` characters
   * of JSON. Rows are taken one at a time (`iterate`, some 20 % slower per event than `all`) so that the page stops
   * before the rest is read; `full` says whether more may follow at once.
   */
  private readPage(position: bigint, maxCount: number, maxText: number): LogPage {
    return withSqliteFailuresMapped('read', this.filePath, () => {
      const events: RecordedEvent[] = [];
      let text = 0;
      // readAll uses the same statement for the same limit: both read to the end (or stop) before returning, so neither
      // finds it busy.
      for (const row of this.selectEventsAfter.for(maxCount).iterate(position)) {
        events.push(toRecordedEvent(row));
        text += row[5].length + row[6].length;
        if (text >= maxText) return { events, full: true };
      }
      return { events, full: events.length === maxCount };
    });
  }

  private readAfter(position: bigint, maxCount: number): RecordedEvent[] {
    if (maxCount <= 0) return [];
    return withSqliteFailuresMapped('read', this.filePath, () => this.selectEventsAfter.for(maxCount).all(position).map(toRecordedEvent));
  }

  private rememberHead(head: StreamHead): void {
    this.streamHeads.delete(head.streamId);
    this.streamHeads.set(head.streamId, head);
    if (this.streamHeads.size > REMEMBERED_STREAM_HEADS) {
      this.streamHeads.delete(this.streamHeads.keys().next().value!);
    }
  }

  /** The hash of the stream's event at `revision`, its last: remembered when this store wrote it, else read. */
  private hashAt(streamId: string, revision: bigint): string {
    const remembered = this.streamHeads.get(streamId);
    if (remembered !== undefined && remembered.revision === revision) return remembered.hash;
    return prevHashAfter(this.selectHashAtRevision.get(streamId, revision));
  }

  private appendWithinTransaction(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): AppendWritten {
    const current: CurrentRevision = this.selectStreamRevision.get(streamId) ?? undefined;
    const holds = expectationHolds(expected, current);

    if (events.length === 0) {
      if (!holds) throw new StreamRevisionConflictError(streamId, expected, current ?? 'no_stream');
      return { result: this.currentState(streamId, current), head: null };
    }

    if (!holds) {
      // A retry of an append that already went through expected the stream as it was *before* that append.
      const firstRevision = expected === 'no_stream' ? 0n : typeof expected === 'bigint' ? expected + 1n : undefined;
      const retried = firstRevision === undefined ? null : this.findEarlierAppend(streamId, events, firstRevision);
      if (retried) return { result: retried, head: null };
      throw new StreamRevisionConflictError(streamId, expected, current ?? 'no_stream');
    }

    const alreadyStored = this.firstStoredEvent(events);
    if (alreadyStored) {
      // 'any' and 'stream_exists' still hold after the first attempt: recognise it as the block at the tail.
      if (current !== undefined && (expected === 'any' || expected === 'stream_exists')) {
        const retried = this.findEarlierAppend(streamId, events, current - BigInt(events.length) + 1n);
        if (retried) return { result: retried, head: null };
      }
      const [eventId, place] = alreadyStored;
      throw new DuplicateEventIdError(eventId, streamId, { streamId: place.stream_id, revision: place.revision });
    }

    // The store owns prevHash and hash: chained here, under the write lock, on the stream's last stored event.
    const prevHash = current === undefined ? GENESIS_HASH : this.hashAt(streamId, current);
    const chained = chainEvents(streamId, (current ?? NO_STREAM_REVISION) + 1n, prevHash, events);

    const recordedAt = new Date().toISOString();
    let revision = current ?? NO_STREAM_REVISION;
    let position = 0n;
    for (const event of chained) {
      revision += 1n;
      const inserted = this.insertEvent.run(
        event.id,
        streamId,
        revision,
        event.type,
        // The canonical text the hash covers: the verifier can hash it as stored (readAllStored).
        event.dataText,
        event.metadataText,
        recordedAt,
      );
      position = BigInt(inserted.lastInsertRowid);
    }
    const hash = chained[chained.length - 1].metadata[HASH_FIELD] as string;
    return { result: { nextExpectedRevision: revision, position: sqlitePosition(position) }, head: { streamId, revision, hash } };
  }

  /** The result of an earlier append of exactly these ids at revisions firstRevision.., or null. */
  private findEarlierAppend(streamId: string, events: readonly EventToAppend[], firstRevision: bigint): AppendResult | null {
    let last: StoredPlace | undefined;
    for (const [index, event] of events.entries()) {
      const place = this.selectPlaceOfEvent.get(event.id);
      if (!place || place.stream_id !== streamId || place.revision !== firstRevision + BigInt(index)) return null;
      last = place;
    }
    return last ? { nextExpectedRevision: last.revision, position: sqlitePosition(last.position) } : null;
  }

  private firstStoredEvent(events: readonly EventToAppend[]): [string, StoredPlace] | undefined {
    for (const event of events) {
      const place = this.selectPlaceOfEvent.get(event.id);
      if (place) return [event.id, place];
    }
    return undefined;
  }

  /** What an empty append reports: the stream as it is (revision -1 and position 0 when it does not exist). */
  private currentState(streamId: string, current: CurrentRevision): AppendResult {
    if (current === undefined) return { nextExpectedRevision: NO_STREAM_REVISION, position: NO_POSITION };
    const position = this.selectPositionAtRevision.get(streamId, current);
    return { nextExpectedRevision: current, position: position === undefined ? NO_POSITION : sqlitePosition(position) };
  }
}

/** One append's own failure inside a batch: "cannot write now" becomes EventStoreUnavailableError, the rest as thrown. */
function mapAppendError(file: string, error: unknown): unknown {
  return errorAsMapped((work) => withSqliteFailuresMapped('append', file, work), error);
}

function sqlitePosition(sequence: bigint): Position {
  return { commit: sequence, prepare: sequence };
}

/**
 * A row as a RecordedEvent. `metadata` (the larger JSON column: hashes, correlation ids) and `recordedAt` are
 * enumerable own getters that parse on first read and return the same value after: a reader of the log that never
 * looks at them does not pay for them (docs/performance.md, "3. Reads"). Every other field is a plain data property.
 * Object.keys, spread, JSON.stringify, structuredClone and jest's toEqual see the eight fields of a plain event.
 *
 * What is not parsed yet lives in a private field: invisible to all of those, and still writable when the event is
 * frozen (SharedLog freezes every event it hands out). A class rather than an object literal given a non-enumerable
 * symbol property: V8 gives the instances one shape from the start, and the read costs some 0.3 µs an event less
 * (3.7 → 3.4 µs, of which the bare row is 2.35).
 */
class SqliteRecordedEvent implements RecordedEvent {
  readonly id: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly type: string;
  readonly data: JsonObject;
  declare readonly metadata: JsonObject;
  declare readonly recordedAt: Date;
  #metadataText: string | null;
  #metadata: JsonObject | undefined;
  #recordedAtText: string | null;
  #recordedAt: Date | undefined;

  constructor(row: EventRow) {
    this.id = row[1];
    this.streamId = row[2];
    this.revision = row[3];
    this.position = sqlitePosition(row[0]);
    this.type = row[4];
    this.data = JSON.parse(row[5]) as JsonObject;
    this.#metadataText = row[6];
    this.#metadata = undefined;
    this.#recordedAtText = row[7];
    this.#recordedAt = undefined;
    Object.defineProperty(this, 'metadata', METADATA_PROPERTY);
    Object.defineProperty(this, 'recordedAt', RECORDED_AT_PROPERTY);
  }

  static metadataOf(event: SqliteRecordedEvent): JsonObject {
    if (event.#metadataText !== null) {
      event.#metadata = JSON.parse(event.#metadataText) as JsonObject;
      event.#metadataText = null;
    }
    return event.#metadata!;
  }

  static recordedAtOf(event: SqliteRecordedEvent): Date {
    if (event.#recordedAtText !== null) {
      event.#recordedAt = new Date(event.#recordedAtText);
      event.#recordedAtText = null;
    }
    return event.#recordedAt!;
  }
}

// One getter function per field, shared by every event: V8 keeps the events on one hidden class (a getter created
// per event, a closure, makes each event's shape its own and costs more than the parse it saves).
const METADATA_PROPERTY: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: SqliteRecordedEvent) {
    return SqliteRecordedEvent.metadataOf(this);
  },
};
const RECORDED_AT_PROPERTY: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: SqliteRecordedEvent) {
    return SqliteRecordedEvent.recordedAtOf(this);
  },
};

function toRecordedEvent(row: EventRow): RecordedEvent {
  return new SqliteRecordedEvent(row) as RecordedEvent;
}

function toStoredEvent(row: StoredRow): StoredEvent {
  return { streamId: row[1], revision: row[2], position: sqlitePosition(row[0]), type: row[3], dataText: row[4], metadataText: row[5] };
}
