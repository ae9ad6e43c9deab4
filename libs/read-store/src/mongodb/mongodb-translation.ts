/**
 * Pure translations between the port and the MongoDB driver: filters, sorts, cursors, write ops, checkpoints
 * and errors. Kept apart from the adapter so they are tested without a server.
 */
import type { AnyBulkWriteOperation, Document, IndexDescription, MongoClientOptions } from 'mongodb';
import { effectiveSort, NonNumericIncrementError, type FieldTests } from '../read-store-rules';
import {
  ReadStoreUnavailableError,
  type Checkpoint,
  type CollectionDefinition,
  type FieldValue,
  type SortKey,
  type WriteOp,
} from '../read-store.port';

/** The checkpoint of one projection, as stored in the `checkpoints` collection. */
export interface CheckpointDocument {
  _id: string;
  /** BSON Int64, so positions compare numerically. */
  commit: bigint;
  prepare: bigint;
  eventsApplied: number | bigint;
  updatedAt: string;
}

/** A read document as stored: `_id` is the document's id, the other fields are stored as they are. */
export type StoredDocument = Document & { _id: string };

export const APP_NAME = 'card-lifecycle';
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;

/**
 * Our defaults, unless the connection string sets them: options given to MongoClient override the URL's, and
 * an operator who writes `?serverSelectionTimeoutMS=…` or `?appName=…` into MONGODB_URL means it.
 */
export function defaultClientOptions(url: string): MongoClientOptions {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const given = new Set(
    query
      .split('&')
      .map((pair) => pair.split('=')[0].toLowerCase())
      .filter((name) => name.length > 0),
  );
  const defaults: MongoClientOptions = {};
  if (!given.has('appname')) defaults.appName = APP_NAME;
  if (!given.has('serverselectiontimeoutms')) defaults.serverSelectionTimeoutMS = DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  return defaults;
}

/**
 * MongoDB's own semantics are the port's: `{f: null}` matches absent or null, comparisons only match values of
 * the bound value's type, `$exists` tests presence. So each test passes through as it is.
 */
export function toMongoFilter(filter: readonly FieldTests[]): Document {
  const mongo: Document = {};
  for (const { field, tests } of filter) {
    const only = tests[0];
    if (tests.length === 1 && only.op === '$eq') {
      mongo[field] = only.value;
      continue;
    }
    const operators: Document = {};
    for (const test of tests) {
      // '$eq' only ever comes alone (a plain value), but spell it out rather than drop it.
      operators[test.op] = test.op === '$in' ? [...test.values] : test.value;
    }
    mongo[field] = operators;
  }
  return mongo;
}

export function toMongoSort(keys: readonly SortKey[]): Record<string, 1 | -1> {
  const sort: Record<string, 1 | -1> = {};
  for (const key of keys) sort[key.field] = key.direction === 'asc' ? 1 : -1;
  return sort;
}

function directionOperator(direction: SortKey['direction']): '$gt' | '$lt' {
  return direction === 'asc' ? '$gt' : '$lt';
}

/**
 * "Comes after this document in this order": {$or: [{k1 > a1}, {k1 = a1, k2 > a2}, …, {…, _id > id}]}, `$lt` for
 * descending keys. A leading `k1 >= a1` (or `<=`) gives the planner index bounds for the first key.
 */
export function keysetFilter(keys: readonly SortKey[], after: readonly FieldValue[]): Document {
  const chain = keys.map((key, index) => {
    const clause: Document = {};
    keys.slice(0, index).forEach((previous, previousIndex) => {
      clause[previous.field] = after[previousIndex];
    });
    clause[key.field] = { [directionOperator(key.direction)]: after[index] };
    return clause;
  });
  if (keys.length === 1) return chain[0];
  const first = keys[0];
  return { [first.field]: { [`${directionOperator(first.direction)}e`]: after[0] }, $or: chain };
}

/** The filter of a find: the caller's filter and, when paging, the keyset condition, both of which must hold. */
export function findFilter(filter: readonly FieldTests[], keys: readonly SortKey[], after?: readonly FieldValue[]): Document {
  const matching = toMongoFilter(filter);
  if (after === undefined) return matching;
  const keyset = keysetFilter(keys, after);
  // $and keeps a filter on a sort field (say issuedAt >= X) from colliding with the keyset's own issuedAt term.
  return Object.keys(matching).length === 0 ? keyset : { $and: [matching, keyset] };
}

/** Index specs of a collection: the declared keys in order, then `_id` as the tie-breaker `find` sorts by. */
export function indexDescriptions(definition: CollectionDefinition): IndexDescription[] {
  return definition.indexes
    .filter((keys) => keys.length > 0)
    .map((keys) => ({ key: toMongoSort(effectiveSort(keys)) }));
}

/** The ops of one collection, in the batch's order; `source[i]` is the port op behind `operations[i]`. */
export interface CollectionWrites {
  readonly collection: string;
  readonly operations: AnyBulkWriteOperation<StoredDocument>[];
  readonly source: WriteOp[];
}

function toBulkOperation(op: WriteOp): AnyBulkWriteOperation<StoredDocument> {
  switch (op.kind) {
    case 'upsert': {
      const update: Document = {};
      const unset = op.unset ?? [];
      // An empty $set still creates the document on upsert (accepted by MongoDB 5.0 and later).
      if (Object.keys(op.set).length > 0 || unset.length === 0) update.$set = { ...op.set };
      if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((field) => [field, '']));
      return { updateOne: { filter: { _id: op.id }, update, upsert: true } };
    }
    case 'increment':
      return { updateOne: { filter: { _id: op.id }, update: { $inc: { ...op.by } }, upsert: true } };
    case 'delete':
      return { deleteOne: { filter: { _id: op.id } } };
  }
}

/**
 * Groups a batch by collection, keeping each collection's ops in the batch's order (ops on different
 * collections touch different documents, so their relative order changes nothing), one bulkWrite each.
 */
export function toCollectionWrites(ops: readonly WriteOp[]): CollectionWrites[] {
  const byCollection = new Map<string, CollectionWrites>();
  for (const op of ops) {
    let writes = byCollection.get(op.collection);
    if (writes === undefined) {
      writes = { collection: op.collection, operations: [], source: [] };
      byCollection.set(op.collection, writes);
    }
    writes.operations.push(toBulkOperation(op));
    writes.source.push(op);
  }
  return [...byCollection.values()];
}

/** The update that moves a checkpoint: the new position (as Int64), the time, and the count added to. */
export function checkpointUpdate(position: { commit: bigint; prepare: bigint }, eventsInBatch: number, now: string): Document {
  return {
    $set: { commit: position.commit, prepare: position.prepare, updatedAt: now },
    $inc: { eventsApplied: eventsInBatch },
  };
}

function toBigInt(value: unknown, field: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  // A bson Long, should the document have been read without useBigInt64.
  if (typeof value === 'object' && value !== null && typeof (value as { toBigInt?: unknown }).toBigInt === 'function') {
    return (value as { toBigInt: () => bigint }).toBigInt();
  }
  throw new Error(`Checkpoint field ${field} is not an integer: ${String(value)}`);
}

export function toCheckpoint(document: Document): Checkpoint {
  return {
    projection: String(document._id),
    position: { commit: toBigInt(document.commit, 'commit'), prepare: toBigInt(document.prepare, 'prepare') },
    eventsApplied: Number(toBigInt(document.eventsApplied ?? 0, 'eventsApplied')),
    updatedAt: String(document.updatedAt),
  };
}

/** Driver errors meaning "no server to talk to right now" (recognised by name: see isMongoUnavailable). */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoClientClosedError',
  'MongoServerClosedError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
]);

/** Server codes of a node that is unreachable, stepping down, shutting down or not (yet) able to serve. */
const UNAVAILABLE_SERVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  64, // WriteConcernTimeout / WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  133, // FailedToSatisfyReadPreference
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Labels the driver puts on errors a later retry can overcome. */
const UNAVAILABLE_LABELS = ['TransientTransactionError', 'UnknownTransactionCommitResult', 'RetryableWriteError', 'SystemOverloadedError'];

const ILLEGAL_OPERATION = 20;
const TYPE_MISMATCH = 14;

interface MongoErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  errorLabels?: unknown;
  writeErrors?: unknown;
}

function shapeOf(error: unknown): MongoErrorShape | undefined {
  return typeof error === 'object' && error !== null ? (error as MongoErrorShape) : undefined;
}

/**
 * By shape, not `instanceof`, as the SQLite adapter does: a driver loaded twice (Jest's module registry per
 * test file, or two copies in node_modules) makes classes that differ from the ones imported here.
 */
export function isMongoUnavailable(error: unknown): boolean {
  const shape = shapeOf(error);
  if (shape === undefined) return false;
  if (typeof shape.name === 'string' && UNAVAILABLE_ERROR_NAMES.has(shape.name)) return true;
  if (typeof shape.code === 'number' && UNAVAILABLE_SERVER_CODES.has(shape.code)) return true;
  const labels = Array.isArray(shape.errorLabels) ? (shape.errorLabels as unknown[]) : [];
  return labels.some((label) => typeof label === 'string' && UNAVAILABLE_LABELS.includes(label));
}

/**
 * A standalone mongod answers the first command of a transaction with IllegalOperation ("Transaction numbers
 * are only allowed on a replica set member or mongos"); when that command is a write, the driver replaces the
 * error with its own advice to set retryWrites=false (keeping the server's as `originalError`), which would
 * not help here.
 */
function refusesTransactions(shape: MongoErrorShape, message: string): boolean {
  const original = shapeOf((shape as { originalError?: unknown }).originalError);
  const code = shape.code ?? original?.code;
  return code === ILLEGAL_OPERATION && /transaction|retryable writes/i.test(`${message} ${String(original?.message ?? '')}`);
}

interface WriteErrorShape {
  code?: unknown;
  index?: unknown;
  errmsg?: unknown;
}

function firstWriteError(shape: MongoErrorShape): WriteErrorShape | undefined {
  const errors = shape.writeErrors;
  const first = Array.isArray(errors) ? (errors[0] as unknown) : errors;
  return typeof first === 'object' && first !== null ? (first as WriteErrorShape) : undefined;
}

/**
 * A `$inc` of a non-numeric field (TypeMismatch), named after the op of `writing` that caused it: by the write
 * error's index, or, should the server report it as a command error without one, by the field and id in its
 * message.
 */
function failedIncrement(
  error: unknown,
  shape: MongoErrorShape,
  message: string,
  writing: CollectionWrites | undefined,
): NonNumericIncrementError | undefined {
  if (writing === undefined) return undefined;
  const writeError = firstWriteError(shape);
  if ((writeError?.code ?? shape.code) !== TYPE_MISMATCH) return undefined;
  const errmsg = typeof writeError?.errmsg === 'string' ? writeError.errmsg : message;
  const field = /field '([^']+)'/.exec(errmsg)?.[1];
  let op = typeof writeError?.index === 'number' ? writing.source[writeError.index] : undefined;
  if (op === undefined) {
    const candidates = writing.source.filter((candidate) => candidate.kind === 'increment' && (field === undefined || field in candidate.by));
    op = candidates.find((candidate) => errmsg.includes(`"${candidate.id}"`)) ?? (candidates.length === 1 ? candidates[0] : undefined);
  }
  if (op?.kind !== 'increment') return undefined;
  return new NonNumericIncrementError(op.collection, op.id, field ?? Object.keys(op.by).join(', '), errmsg, error);
}

/**
 * The error a caller sees for a driver error thrown while doing `what`:
 * - unavailable (see isMongoUnavailable) → ReadStoreUnavailableError;
 * - a `$inc` of a non-numeric field in the bulk write of `writing` → NonNumericIncrementError, as on SQLite;
 * - transactions refused by a standalone server → an Error saying what the deployment needs;
 * - anything else passes through unchanged.
 */
export function mapMongoError(error: unknown, what: string, writing?: CollectionWrites): unknown {
  if (error instanceof ReadStoreUnavailableError) return error;
  const shape = shapeOf(error);
  if (shape === undefined) return error;
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  if (isMongoUnavailable(error)) {
    return new ReadStoreUnavailableError(`MongoDB read store cannot ${what} now: ${message}`, error);
  }
  const increment = failedIncrement(error, shape, message, writing);
  if (increment !== undefined) return increment;
  if (refusesTransactions(shape, message)) {
    return new Error(
      `MongoDB read store cannot ${what}: the server refuses transactions (${message}). ` +
        'It needs a replica set (one node is enough) or a sharded cluster, not a standalone mongod.',
      { cause: error },
    );
  }
  return error;
}
