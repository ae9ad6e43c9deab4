/**
 * The EventStore port: the only way the application touches stored events.
 *
 * It follows EventStoreDB's own model so that the EventStoreDB adapter stays thin and the SQLite adapter
 * (the embedded default) behaves identically. Both pass `describeEventStoreContract`.
 */

/** A JSON value as it is stored: events carry JSON only (no bigint, no Date, no undefined inside arrays). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A place in the global log ($all). `commit` orders events; `prepare` separates events written in one
 * transaction on EventStoreDB. On SQLite both equal the event's sequence number.
 */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** Where to start reading or subscribing to the whole log. A Position is exclusive: reading starts after it. */
export type ReadAllFrom = 'start' | Position;

/**
 * What an append expects the stream to be:
 * - 'any': no check;
 * - 'no_stream': the stream must not exist yet;
 * - 'stream_exists': the stream must have at least one event;
 * - a bigint: the revision of the stream's last event (revisions start at 0n).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface EventToAppend {
  /** A UUID. Resending the same ids with the same expected revision is an idempotent retry. */
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

export interface RecordedEvent {
  readonly id: string;
  readonly streamId: string;
  /** 0-based revision of the event within its stream. */
  readonly revision: bigint;
  /** Position in the global log. */
  readonly position: Position;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  /** When the store recorded it (set by the store, not by the caller). */
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** The revision of the stream's last event after the append: pass it as `expectedRevision` next time. */
  readonly nextExpectedRevision: bigint;
  /** The global position of the last event written. */
  readonly position: Position;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0n. */
  readonly fromRevision?: bigint;
  /** Last revision to return (inclusive). Default: the end of the stream. */
  readonly toRevision?: bigint;
}

export interface ReadAllOptions {
  readonly from?: ReadAllFrom;
  /** At most this many events (default 1000). Page by passing the last event's position as `from`. */
  readonly maxCount?: number;
}

/**
 * An event as a store that keeps JSON text holds it (readAllStored): its data and metadata as the text written, not
 * parsed. The SQLite store writes that text in RFC 8785 canonical form, the form the hash chain hashes, so a verifier
 * can hash it as it is (hash-chain.ts, ChainVerifier.checkStored).
 */
export interface StoredEvent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly type: string;
  /** The JSON text of `data` as stored. */
  readonly dataText: string;
  /** The JSON text of `metadata` as stored, `prevHash` and `hash` included. */
  readonly metadataText: string;
}

/** What `readAll({ from, maxCount })` would return, counted rather than read (EventStore.countAll). */
export interface LogCount {
  /** How many events; at most `maxCount`. */
  readonly count: number;
  /** When the first of them was recorded; null when there is none. */
  readonly firstRecordedAt: Date | null;
}

export interface SubscribeToAllOptions {
  readonly from?: ReadAllFrom;
  /** Called once when the subscription has delivered every event that existed when it caught up. */
  readonly onCaughtUp?: () => void;
}

/**
 * A catch-up subscription to the whole log, excluding the store's own system events. Iterate it with
 * `for await`; the loop applies back-pressure. It first delivers stored events after `from`, then follows
 * new ones live. `close()` ends the iteration.
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  /** Which adapter this is: 'sqlite' | 'eventstoredb'. */
  readonly kind: string;

  /**
   * Appends events atomically. Throws `StreamRevisionConflictError` when `expectedRevision` does not hold,
   * except for an idempotent retry (same event ids at the same place), which resolves with the original
   * result and writes nothing. Throws `EventStoreUnavailableError` when the store cannot be reached.
   */
  appendToStream(
    streamId: string,
    events: readonly EventToAppend[],
    options?: { readonly expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;

  /** Reads a stream forwards. A stream that does not exist reads as `[]`. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads the global log forwards, one page at a time, without the store's system events. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * Optional. The same pages as readAll, each event as the text the store keeps (StoredEvent): for a reader that
   * hashes events rather than uses them, the full verification, which then builds no RecordedEvent and parses no
   * data (docs/performance.md, row 8). Only a store that keeps JSON text has it (SQLite; EventStoreDB's client hands
   * over parsed JSON): readers fall back to readAll.
   */
  readAllStored?(options?: ReadAllOptions): Promise<StoredEvent[]>;

  /**
   * Optional. How many events `readAll(options)` would return and when the first was recorded, without reading them:
   * a projection's lag (ProjectionRunner.status), which otherwise reads and parses up to `lagCap` events of each
   * projection on every GET /v1/projections. SQLite counts positions in its index; EventStoreDB has no count of a
   * range of $all, and readers fall back to readAll.
   */
  countAll?(options?: ReadAllOptions): Promise<LogCount>;

  /** The position of the newest event in the log, or null when the log is empty. */
  headPosition(): Promise<Position | null>;

  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription;

  /** Throws `EventStoreUnavailableError` unless the store answers. Used by readiness checks. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** DI token for the EventStore port. */
export const EVENT_STORE = Symbol('EVENT_STORE');
