/**
 * Translates the port's filters, sorts and cursors into SQL over the `documents` table.
 *
 * Values are always bound parameters. Collection and field names are validated identifiers (read-store-rules)
 * and are written into the SQL text on purpose: a partial index (`WHERE collection = 'cards'`) and an
 * expression index (`json_extract(body, '$.status')`) are only used by a query that spells the very same
 * collection literal and expressions, which a bound parameter would not.
 *
 * Types follow MongoDB's rules, so both adapters agree: a comparison only matches values of the bound value's
 * JSON type (json_extract gives 1/0 for true/false and compares numbers below strings, so a type test is added
 * beside each comparison, where the index can still serve the comparison itself); an absent field equals null.
 */
import { assertCollectionName, assertFindOptions, effectiveSort, ID_FIELD, parseFilter, type FieldTests, type FieldTest } from '../read-store-rules';
import type { FieldValue, Filter, FindOptions, SortKey } from '../read-store.port';

export type SqlValue = string | number | bigint | null;

export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

const TRUE_SQL: SqlCondition = { sql: '1', params: [] };
const FALSE_SQL: SqlCondition = { sql: '0', params: [] };

/** The SQL expression for a field's value: the `id` column for `_id`, else the JSON field of the body. */
export function fieldExpression(field: string): string {
  return field === ID_FIELD ? 'id' : `json_extract(body, '$.${field}')`;
}

/** json_type: 'null' for a JSON null, SQL NULL when the field is absent. */
function jsonType(field: string): string {
  return `json_type(body, '$.${field}')`;
}

type ValueKind = 'string' | 'number' | 'boolean';

function kindOf(value: string | number | boolean): ValueKind {
  return typeof value as ValueKind;
}

/** SQL that is true when the field holds a JSON value of this kind. */
function holdsKind(field: string, kind: ValueKind): string {
  if (field === ID_FIELD) return kind === 'string' ? '1' : '0';
  switch (kind) {
    case 'string':
      return `${jsonType(field)} = 'text'`;
    case 'number':
      return `${jsonType(field)} IN ('integer', 'real')`;
    case 'boolean':
      return `${jsonType(field)} IN ('true', 'false')`;
  }
}

/**
 * The check a comparison needs so that it matches only values of the filter value's kind (MongoDB's type
 * bracketing), as cheap as it can be while exact; null when the comparison alone already is. json_type reads the
 * JSON again for every row; the comparison of json_extract's value often decides by itself, because SQLite orders
 * numbers before text and never finds a number equal to a text, json_extract gives JSON true/false as 1/0, and an
 * object or array as its JSON text, which starts with '[' or '{':
 * - a string equal to (or in) values that start with neither '[' nor '{' can only be a string: no check;
 * - a string below a bound that sorts before '[' is a string or a number: `typeof` (which an index on the
 *   expression can answer) tells them apart;
 * - a number equal to (or in) values other than 0 and 1 can only be a number: no check;
 * - anything else (ranges above a bound, numbers 0 and 1, booleans): json_type.
 */
function kindCheck(field: string, test: { op: '$eq' | '$in' | '$gte' | '$gt' | '$lte' | '$lt'; kind: ValueKind; values: readonly (string | number | boolean)[] }): string | null {
  if (field === ID_FIELD) return test.kind === 'string' ? null : '0';
  const { op, kind, values } = test;
  if (kind === 'string') {
    const strings = values as readonly string[];
    if ((op === '$eq' || op === '$in') && !strings.some((v) => v.startsWith('[') || v.startsWith('{'))) return null;
    if ((op === '$lt' || op === '$lte') && strings.every((v) => v < '[')) return `typeof(${fieldExpression(field)}) = 'text'`;
  }
  if (kind === 'number' && (op === '$eq' || op === '$in') && !values.some((v) => v === 0 || v === 1)) return null;
  return holdsKind(field, kind);
}

function withCheck(comparison: string, check: string | null): string {
  return check === null ? comparison : `${comparison} AND ${check}`;
}

/** better-sqlite3 binds no booleans; json_extract reads JSON true/false as 1/0. */
export function toSqlValue(value: FieldValue): SqlValue {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

function and(parts: readonly SqlCondition[]): SqlCondition {
  if (parts.length === 0) return TRUE_SQL;
  if (parts.length === 1) return parts[0];
  return { sql: parts.map((part) => `(${part.sql})`).join(' AND '), params: parts.flatMap((part) => part.params) };
}

function or(parts: readonly SqlCondition[]): SqlCondition {
  if (parts.length === 0) return FALSE_SQL;
  if (parts.length === 1) return parts[0];
  return { sql: parts.map((part) => `(${part.sql})`).join(' OR '), params: parts.flatMap((part) => part.params) };
}

/** Equality; may evaluate to NULL (not true) when the field is absent, which WHERE treats as false. */
function equals(field: string, value: FieldValue): SqlCondition {
  const expression = fieldExpression(field);
  if (value === null) return { sql: `${expression} IS NULL`, params: [] };
  return { sql: withCheck(`${expression} = ?`, kindCheck(field, { op: '$eq', kind: kindOf(value), values: [value] })), params: [toSqlValue(value)] };
}

function isIn(field: string, values: readonly FieldValue[]): SqlCondition {
  const expression = fieldExpression(field);
  const parts: SqlCondition[] = [];
  if (values.includes(null)) parts.push({ sql: `${expression} IS NULL`, params: [] });
  for (const kind of ['string', 'number', 'boolean'] as const) {
    const ofKind = values.filter((value): value is string | number | boolean => value !== null && kindOf(value) === kind);
    if (ofKind.length === 0) continue;
    parts.push({
      sql: withCheck(`${expression} IN (${ofKind.map(() => '?').join(', ')})`, kindCheck(field, { op: '$in', kind, values: ofKind })),
      params: ofKind.map(toSqlValue),
    });
  }
  return or(parts);
}

const SQL_COMPARISON = { $gte: '>=', $gt: '>', $lte: '<=', $lt: '<' } as const;

function fieldTest(field: string, test: FieldTest): SqlCondition {
  const expression = fieldExpression(field);
  switch (test.op) {
    case '$eq':
      return equals(field, test.value);
    case '$in':
      return isIn(field, test.values);
    case '$ne':
      // NOT of a possibly-NULL equality would be NULL for an absent field, which must match.
      return test.value === null
        ? { sql: `${expression} IS NOT NULL`, params: [] }
        : { sql: `NOT coalesce(${equals(field, test.value).sql}, 0)`, params: equals(field, test.value).params };
    case '$exists':
      if (field === ID_FIELD) return test.value ? TRUE_SQL : FALSE_SQL;
      return { sql: `${jsonType(field)} IS ${test.value ? 'NOT ' : ''}NULL`, params: [] };
    case '$gte':
    case '$gt':
    case '$lte':
    case '$lt': {
      if (test.value === null) {
        // As in MongoDB: null is only equal to itself (and to absence), and nothing is above or below it.
        return test.op === '$gte' || test.op === '$lte' ? { sql: `${expression} IS NULL`, params: [] } : FALSE_SQL;
      }
      return {
        sql: withCheck(`${expression} ${SQL_COMPARISON[test.op]} ?`, kindCheck(field, { op: test.op, kind: kindOf(test.value), values: [test.value] })),
        params: [toSqlValue(test.value)],
      };
    }
  }
}

/** The WHERE conditions of a parsed filter (TRUE_SQL when empty). */
export function filterCondition(filter: readonly FieldTests[]): SqlCondition {
  return and(filter.flatMap(({ field, tests }) => tests.map((test) => fieldTest(field, test))));
}

function directionOperator(direction: SortKey['direction']): '>' | '<' {
  return direction === 'asc' ? '>' : '<';
}

/**
 * "Comes after this document in this order": (k1 > a1) OR (k1 = a1 AND k2 > a2) OR … ending with the id, with
 * `<` for descending keys, so mixed directions page correctly. A leading `k1 >= a1` (or `<=`) repeats the
 * first term in a form the planner can turn into an index range, so a deep page seeks instead of scanning.
 */
export function keysetCondition(keys: readonly SortKey[], after: readonly FieldValue[]): SqlCondition {
  const values = after.map(toSqlValue);
  const chain: SqlCondition[] = keys.map((key, index) => {
    const equalities = keys.slice(0, index).map((previous) => `${fieldExpression(previous.field)} = ?`);
    const comparison = `${fieldExpression(key.field)} ${directionOperator(key.direction)} ?`;
    return { sql: [...equalities, comparison].join(' AND '), params: values.slice(0, index + 1) };
  });
  const first = keys[0];
  const seek: SqlCondition = { sql: `${fieldExpression(first.field)} ${directionOperator(first.direction)}= ?`, params: [values[0]] };
  return keys.length === 1 ? chain[0] : and([seek, or(chain)]);
}

export function orderBy(keys: readonly SortKey[]): string {
  return keys.map((key) => `${fieldExpression(key.field)} ${key.direction === 'asc' ? 'ASC' : 'DESC'}`).join(', ');
}

/** The name of the index of a collection on these keys, e.g. ix_cards_status_issuedAt_desc. */
export function indexName(collection: string, keys: readonly SortKey[]): string {
  return ['ix', collection, ...keys.map((key) => (key.direction === 'desc' ? `${key.field}_desc` : key.field))].join('_');
}

/**
 * A partial expression index of one collection: the keys (each with its direction), then `id` in the
 * direction of the last key, the order `find` sorts by, so a sorted and filtered page is read off the index.
 */
export function createIndexStatement(collection: string, keys: readonly SortKey[]): string {
  const columns = ['collection', ...effectiveSort(keys).map((key) => `${fieldExpression(key.field)}${key.direction === 'desc' ? ' DESC' : ''}`)];
  return `CREATE INDEX IF NOT EXISTS "${indexName(collection, keys)}" ON documents (${columns.join(', ')}) WHERE collection = '${collection}'`;
}

/** The condition selecting one collection, spelled as the partial indexes spell it. */
export function collectionCondition(collection: string): string {
  return `collection = '${collection}'`;
}

export interface SqlQuery {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/**
 * `LIMIT n` with the number written into the SQL text (the caller has checked it is a positive integer). SQLite
 * (3.53 here) lets the value bound to `LIMIT ?` guide the plan, and so prepares such a statement again at every
 * run: 20–25 µs a query, five times the lookup itself for a card's few notices. A literal is planned once per
 * statement, with the same knowledge of the limit. Distinct limits are few (page sizes, batch sizes); a value
 * beyond the exact integers stays a parameter, refused by SQLite as before.
 */
function limitClause(limit: number): SqlCondition {
  return Number.isSafeInteger(limit) ? { sql: `LIMIT ${limit}`, params: [] } : { sql: 'LIMIT ?', params: [limit] };
}

/** `WHERE` of one collection: the collection literal (for the partial indexes), then each condition. */
function whereClause(collection: string, conditions: readonly SqlCondition[]): SqlQuery {
  const parts = conditions.filter((condition) => condition !== TRUE_SQL);
  return {
    sql: [collectionCondition(collection), ...parts.map((part) => `(${part.sql})`)].join(' AND '),
    params: parts.flatMap((part) => part.params),
  };
}

/** The query of a `find`, validated; its rows are `id, body`. */
export function findQuery(collection: string, options: FindOptions): SqlQuery {
  assertCollectionName(collection);
  const keys = assertFindOptions(options);
  const conditions = [filterCondition(parseFilter(options.filter))];
  if (options.after !== undefined) conditions.push(keysetCondition(keys, options.after));
  const where = whereClause(collection, conditions);
  const limit = limitClause(options.limit);
  return {
    sql: `SELECT id, body FROM documents WHERE ${where.sql} ORDER BY ${orderBy(keys)} ${limit.sql}`,
    params: [...where.params, ...limit.params],
  };
}

/** The query of a `count`, validated; it returns one integer. */
export function countQuery(collection: string, filter: Filter | undefined): SqlQuery {
  assertCollectionName(collection);
  const where = whereClause(collection, [filterCondition(parseFilter(filter))]);
  return { sql: `SELECT count(*) FROM documents WHERE ${where.sql}`, params: where.params };
}

/** One page of a `scan`: matching documents after `afterId` in id order (the first page when undefined). */
export function scanQuery(collection: string, filter: Filter | undefined, afterId: string | undefined, batchSize: number): SqlQuery {
  assertCollectionName(collection);
  const conditions = [filterCondition(parseFilter(filter))];
  if (afterId !== undefined) conditions.push({ sql: 'id > ?', params: [afterId] });
  const where = whereClause(collection, conditions);
  const limit = limitClause(batchSize);
  return { sql: `SELECT id, body FROM documents WHERE ${where.sql} ORDER BY id ${limit.sql}`, params: [...where.params, ...limit.params] };
}
