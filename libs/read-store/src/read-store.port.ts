/**
 * The ReadStore port: documents that projections write and queries read. Both adapters (SQLite, the embedded
 * default; MongoDB in production) pass `describeReadStoreContract`. Projections are written once, against this.
 *
 * Writes arrive only through `commit`, which applies a projection's writes and moves its checkpoint in one
 * atomic step (one SQLite transaction; one MongoDB transaction): a crash never applies half a batch, and a batch
 * at or behind the stored checkpoint is ignored, so a replayed or duplicated event changes nothing.
 */
import type { JsonObject, JsonValue, Position } from '@cards/event-store';

export type { JsonObject, JsonValue, Position };

/** A value a filter or sort can compare: documents keep times as ISO-8601 strings, which sort correctly. */
export type FieldValue = string | number | boolean | null;

export type FieldCondition =
  | FieldValue
  | { readonly $in: readonly FieldValue[] }
  | {
      readonly $gte?: FieldValue;
      readonly $gt?: FieldValue;
      readonly $lte?: FieldValue;
      readonly $lt?: FieldValue;
      readonly $ne?: FieldValue;
    }
  | { readonly $exists: boolean };

/** Conditions on top-level fields, all of which must hold. A field that is absent equals null. */
export type Filter = Readonly<Record<string, FieldCondition>>;

export interface SortKey {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}

export interface FindOptions {
  readonly filter?: Filter;
  /**
   * Sort order. `_id` is always appended as the final tie-breaker (in the direction of the last key), so an
   * order is total and paging is stable. Sort fields must be present (not null) on every matching document.
   */
  readonly sort?: readonly SortKey[];
  readonly limit: number;
  /** Resume after this document: the values of the sort fields of the last one returned, then its `_id`. */
  readonly after?: readonly FieldValue[];
}

/** A stored document: its id is `_id`. */
export type ReadDocument = JsonObject & { readonly _id: string };

export type WriteOp =
  /** Creates the document if needed, then sets (merges) these top-level fields and removes `unset` ones. */
  | {
      readonly kind: 'upsert';
      readonly collection: string;
      readonly id: string;
      readonly set: JsonObject;
      readonly unset?: readonly string[];
    }
  /** Creates the document if needed, then adds to numeric top-level fields (absent counts as 0). */
  | { readonly kind: 'increment'; readonly collection: string; readonly id: string; readonly by: Readonly<Record<string, number>> }
  | { readonly kind: 'delete'; readonly collection: string; readonly id: string };

export interface Checkpoint {
  readonly projection: string;
  /** Position of the last event the projection has applied; null before the first one. */
  readonly position: Position | null;
  /** How many events it has applied since it was last reset. */
  readonly eventsApplied: number;
  /** When the checkpoint last moved (ISO-8601). */
  readonly updatedAt: string;
}

/**
 * A lease: only its holder does the work it guards (the projections and the loops beside them) until `expiresAt`.
 * Times are ISO-8601; the store's clock decides expiry (SQLite: the machine's; MongoDB: the server's).
 */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** When the current holder took it (a renewal keeps it). */
  readonly acquiredAt: string;
  /** When the current holder last renewed it. */
  readonly renewedAt: string;
  readonly expiresAt: string;
}

export interface LeaseAttempt {
  /** True when `holder` holds the lease now (taken or renewed). */
  readonly acquired: boolean;
  /** The lease as it stands after the attempt: the caller's when acquired, else the other holder's. */
  readonly lease: Lease;
}

/** Declares a collection's indexes once, at start-up, for both adapters. */
export interface CollectionDefinition {
  readonly name: string;
  /** Each index is a list of fields; `_id` is always indexed. */
  readonly indexes: readonly (readonly SortKey[])[];
}

export interface ReadStore {
  readonly kind: string;

  /** Creates collections and indexes (idempotent). Call once at start-up. */
  ensureCollections(definitions: readonly CollectionDefinition[]): Promise<void>;

  get(collection: string, id: string): Promise<ReadDocument | null>;
  find(collection: string, options: FindOptions): Promise<ReadDocument[]>;
  count(collection: string, filter?: Filter): Promise<number>;
  /** Streams every matching document in `_id` order, for reports that must look at all of them. */
  scan(collection: string, filter?: Filter, batchSize?: number): AsyncIterable<ReadDocument>;

  /**
   * Applies `ops` in order, sets the projection's checkpoint to `position` and adds `eventsInBatch` to its count, atomically. If the stored
   * checkpoint is already at or past `position`, nothing is applied and it returns false.
   */
  commit(projection: string, position: Position, eventsInBatch: number, ops: readonly WriteOp[]): Promise<boolean>;

  checkpoint(projection: string): Promise<Checkpoint | null>;

  /**
   * Empties the collections and the checkpoint of one projection (a rebuild starts from position zero). With
   * `version`, records it as the projection's version in the same atomic step; without, the recorded version
   * stays as it was (a rebuild by hand of the same code).
   */
  reset(projection: string, collections: readonly string[], version?: number): Promise<void>;

  /**
   * The version of the projection's code that wrote its documents (see `Projection.version`), or null when none
   * was recorded: a projection that never started, or a store written before versions existed.
   */
  projectionVersion(projection: string): Promise<number | null>;

  /**
   * Records the projection's version and touches nothing else: for a projection starting on an empty store, or a
   * store from before versions whose documents are already those of `version`. A version that changes the
   * documents is recorded by `reset`, with the documents emptied.
   */
  recordProjectionVersion(projection: string, version: number): Promise<void>;

  /**
   * Takes the lease `name` for `holder` for `ttlMs` from now, atomically: granted when nobody holds it, when its
   * holder let it expire, or when `holder` already holds it (a renewal, which keeps `acquiredAt`). Otherwise it
   * changes nothing. Either way it answers the lease as it now stands. See `LeaseKeeper`.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseAttempt>;

  /** Gives the lease up if `holder` holds it (so another process may take it at once); true if it did. */
  releaseLease(name: string, holder: string): Promise<boolean>;

  /** The lease as stored (possibly expired), or null when nobody took it or it was released. */
  lease(name: string): Promise<Lease | null>;

  /** Throws unless the store answers. Used by readiness checks. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

export const READ_STORE = Symbol('READ_STORE');

/** The read store could not be reached or refused to work. Retry later (HTTP 503). */
export class ReadStoreUnavailableError extends Error {
  readonly code = 'READ_STORE_UNAVAILABLE';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'ReadStoreUnavailableError';
  }
}
