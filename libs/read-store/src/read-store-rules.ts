/**
 * Rules both adapters enforce the same way, so a projection or query that works on SQLite works on MongoDB.
 * Names become SQL text in the SQLite adapter (index names, JSON paths) and field paths in MongoDB, where a dot
 * or a leading `$` would mean something else: only plain identifiers are accepted.
 */
import type { FieldCondition, FieldValue, Filter, FindOptions, Position, SortKey, WriteOp } from './read-store.port';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The MongoDB adapter keeps checkpoints in a collection of this name, so no projection may use it. */
export const CHECKPOINTS_COLLECTION = 'checkpoints';

export const ID_FIELD = '_id';

/** Positions are stored as signed 64-bit integers (SQLite INTEGER, BSON Int64). */
const MAX_POSITION = 2n ** 63n - 1n;

export function assertCollectionName(name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new Error(`Not a valid collection name: ${JSON.stringify(name)} (letters, digits and _, not starting with a digit)`);
  }
  if (name === CHECKPOINTS_COLLECTION) {
    throw new Error(`The collection name "${CHECKPOINTS_COLLECTION}" is reserved for the read store's own checkpoints`);
  }
  if (name === LEASES_COLLECTION) {
    throw new Error(`The collection name "${LEASES_COLLECTION}" is reserved for the read store's own leases`);
  }
  if (name === PROJECTION_VERSIONS_COLLECTION) {
    throw new Error(`The collection name "${PROJECTION_VERSIONS_COLLECTION}" is reserved for the read store's own projection versions`);
  }
}

/** The MongoDB adapter keeps each projection's recorded version in a collection of this name (and SQLite a table). */
export const PROJECTION_VERSIONS_COLLECTION = 'projection_versions';

/** A projection's version: a whole number from 1 (the default) up. */
export function assertProjectionVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new Error(`Not a valid projection version: ${String(version)} (a whole number from 1)`);
  }
}

/** The MongoDB adapter keeps leases in a collection of this name, so no projection may use it. */
export const LEASES_COLLECTION = 'leases';

/** Longest lease a store grants: a day (a lease is meant to be renewed every few seconds). */
const MAX_LEASE_TTL_MS = 86_400_000;

export function assertLeaseArguments(name: string, holder: string, ttlMs?: number): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new Error(`Not a valid lease name: ${JSON.stringify(name)} (1 to 200 characters)`);
  }
  if (typeof holder !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(holder)) {
    throw new Error(`Not a valid lease holder: ${JSON.stringify(holder)} (1 to 255 visible ASCII characters)`);
  }
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_LEASE_TTL_MS)) {
    throw new Error(`Not a valid lease duration: ${String(ttlMs)} (whole milliseconds from 1 to ${MAX_LEASE_TTL_MS})`);
  }
}

export function assertFieldName(name: string): void {
  // __proto__ would reach the prototype of a plain object when a document is merged in JavaScript.
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name === '__proto__') {
    throw new Error(`Not a valid field name: ${JSON.stringify(name)} (top-level fields only: letters, digits and _)`);
  }
}

/** A field a write may touch: any valid name except `_id`, which is the document's identity. */
function assertWritableField(name: string, op: WriteOp): void {
  assertFieldName(name);
  if (name === ID_FIELD) {
    throw new Error(`A ${op.kind} of ${op.collection}/${op.id} cannot change ${ID_FIELD}`);
  }
}

export function assertProjectionName(projection: string): void {
  if (typeof projection !== 'string' || projection.length === 0) {
    throw new Error(`Not a valid projection name: ${JSON.stringify(projection)} (a non-empty string)`);
  }
}

export function assertDocumentId(id: string): void {
  if (typeof id !== 'string' || id.length === 0) {
    throw new Error(`Not a valid document id: ${JSON.stringify(id)} (a non-empty string)`);
  }
}

/**
 * The sort keys a query really orders by: the caller's keys, then `_id` in the direction of the last key,
 * unless the caller already ends with `_id`. The result always ends with `_id`, so the order is total.
 */
export function effectiveSort(sort: readonly SortKey[] | undefined): SortKey[] {
  const keys = sort ?? [];
  keys.forEach((key, index) => {
    assertFieldName(key.field);
    if (key.direction !== 'asc' && key.direction !== 'desc') {
      throw new Error(`Sort direction of ${key.field} must be 'asc' or 'desc', not ${JSON.stringify(key.direction)}`);
    }
    if (key.field === ID_FIELD && index !== keys.length - 1) {
      throw new Error(`${ID_FIELD} can only be the last sort key: it is unique, so keys after it would never apply`);
    }
  });
  if (keys.length > 0 && keys[keys.length - 1].field === ID_FIELD) return [...keys];
  const lastDirection = keys.length > 0 ? keys[keys.length - 1].direction : 'asc';
  return [...keys, { field: ID_FIELD, direction: lastDirection }];
}

/** Checks the shape of `after` against the effective sort: one value per key, the last one the `_id`. */
export function assertAfter(after: readonly FieldValue[], keys: readonly SortKey[]): void {
  if (after.length !== keys.length) {
    throw new Error(
      `"after" must hold ${keys.length} values (${keys.map((key) => key.field).join(', ')}), but holds ${after.length}`,
    );
  }
  if (typeof after[after.length - 1] !== 'string') {
    throw new Error(`The last value of "after" must be the ${ID_FIELD} (a string) of the last document returned`);
  }
  after.forEach((value, index) => {
    if (value === null) {
      throw new Error(`"after" cannot hold null (for ${keys[index].field}): sort fields must be present on every document`);
    }
  });
}

/** One condition on one field, in the few forms the port allows. */
export type FieldTest =
  | { readonly op: '$eq'; readonly value: FieldValue }
  | { readonly op: '$in'; readonly values: readonly FieldValue[] }
  | { readonly op: '$gte' | '$gt' | '$lte' | '$lt' | '$ne'; readonly value: FieldValue }
  | { readonly op: '$exists'; readonly value: boolean };

export interface FieldTests {
  readonly field: string;
  /** All of them must hold. */
  readonly tests: readonly FieldTest[];
}

const COMPARISONS = ['$gte', '$gt', '$lte', '$lt', '$ne'] as const;

function assertFieldValue(value: unknown, where: string): asserts value is FieldValue {
  const ok = value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
  if (!ok) throw new Error(`${where}: a filter compares strings, finite numbers, booleans or null, not ${JSON.stringify(value)}`);
}

function parseCondition(field: string, condition: FieldCondition): FieldTest[] {
  if (condition === null || typeof condition !== 'object') {
    assertFieldValue(condition, field);
    return [{ op: '$eq', value: condition }];
  }
  if (Array.isArray(condition)) throw new Error(`${field}: use { $in: [...] } to match one of several values`);
  const entries = Object.entries(condition);
  if (entries.length === 0) throw new Error(`${field}: an empty condition object matches nothing useful`);
  return entries.map(([op, value]): FieldTest => {
    if (op === '$in') {
      if (!Array.isArray(value)) throw new Error(`${field}: $in takes an array`);
      value.forEach((item: unknown) => assertFieldValue(item, `${field} $in`));
      return { op: '$in', values: value as FieldValue[] };
    }
    if (op === '$exists') {
      if (typeof value !== 'boolean') throw new Error(`${field}: $exists takes true or false`);
      return { op: '$exists', value };
    }
    const comparison = COMPARISONS.find((known) => known === op);
    if (comparison === undefined) {
      throw new Error(`${field}: unknown filter operator ${op} (use $in, $gte, $gt, $lte, $lt, $ne or $exists)`);
    }
    assertFieldValue(value, `${field} ${op}`);
    return { op: comparison, value };
  });
}

/** Validates a filter and spells out its tests; both adapters translate from this form. */
export function parseFilter(filter: Filter | undefined): FieldTests[] {
  if (filter === undefined) return [];
  return Object.entries(filter).map(([field, condition]) => {
    assertFieldName(field);
    return { field, tests: parseCondition(field, condition) };
  });
}

export function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`limit must be a positive integer, not ${String(limit)}`);
  }
}

export function assertBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a positive integer, not ${String(batchSize)}`);
  }
}

export function assertFindOptions(options: FindOptions): SortKey[] {
  assertLimit(options.limit);
  const keys = effectiveSort(options.sort);
  if (options.after !== undefined) assertAfter(options.after, keys);
  return keys;
}

export function assertPosition(position: Position): void {
  for (const part of [position.commit, position.prepare]) {
    if (typeof part !== 'bigint' || part < 0n || part > MAX_POSITION) {
      throw new RangeError(`Not a storable log position part: ${String(part)} (a bigint from 0 to 2^63-1)`);
    }
  }
}

export function assertEventsInBatch(eventsInBatch: number): void {
  if (!Number.isInteger(eventsInBatch) || eventsInBatch < 0) {
    throw new Error(`eventsInBatch must be a non-negative integer, not ${String(eventsInBatch)}`);
  }
}

/** Validates a batch before it touches the store, so a malformed op never starts a transaction. */
export function assertWriteOps(ops: readonly WriteOp[]): void {
  for (const op of ops) {
    assertCollectionName(op.collection);
    assertDocumentId(op.id);
    switch (op.kind) {
      case 'upsert': {
        for (const field of Object.keys(op.set)) assertWritableField(field, op);
        for (const field of op.unset ?? []) {
          assertWritableField(field, op);
          if (Object.prototype.hasOwnProperty.call(op.set, field)) {
            throw new Error(`An upsert of ${op.collection}/${op.id} both sets and unsets ${field}`);
          }
        }
        break;
      }
      case 'increment': {
        for (const [field, by] of Object.entries(op.by)) {
          assertWritableField(field, op);
          if (typeof by !== 'number' || !Number.isFinite(by)) {
            throw new Error(`An increment of ${op.collection}/${op.id} must add a finite number to ${field}, not ${String(by)}`);
          }
        }
        break;
      }
      case 'delete':
        break;
      default: {
        const unknown: never = op;
        throw new Error(`Unknown write op: ${JSON.stringify(unknown)}`);
      }
    }
  }
}

/**
 * The error an increment of a field holding something other than a number raises on SQLite; on MongoDB the
 * server reports the same condition (TypeMismatch), and the adapter re-raises it as this error too.
 */
export class NonNumericIncrementError extends Error {
  readonly code = 'NON_NUMERIC_INCREMENT';
  constructor(
    readonly collection: string,
    readonly id: string,
    readonly field: string,
    detail: string,
    override readonly cause?: unknown,
  ) {
    super(`Cannot increment ${field} of ${collection}/${id}: ${detail}`);
    this.name = 'NonNumericIncrementError';
  }
}
