/**
 * The one contract every ReadStore adapter passes. It runs against an embedded SQLite file and, when a server
 * is configured, against MongoDB, so it only relies on what both promise. Every test writes to collections
 * and projections of its own (random names), so the suite also runs against a database other tests use.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { NonNumericIncrementError } from '../read-store-rules';
import {
  ReadStoreUnavailableError,
  type FieldValue,
  type Filter,
  type JsonObject,
  type LeaseAttempt,
  type Position,
  type ReadDocument,
  type ReadStore,
  type SortKey,
  type WriteOp,
} from '../read-store.port';

export function newCollectionName(): string {
  return `c_${randomBytes(6).toString('hex')}`;
}

export function newProjectionName(): string {
  return `contract-${randomUUID()}`;
}

export function at(commit: number | bigint, prepare: number | bigint = commit): Position {
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
}

function upsert(collection: string, id: string, set: JsonObject, unset?: string[]): WriteOp {
  return unset === undefined ? { kind: 'upsert', collection, id, set } : { kind: 'upsert', collection, id, set, unset };
}

function increment(collection: string, id: string, by: Record<string, number>): WriteOp {
  return { kind: 'increment', collection, id, by };
}

function remove(collection: string, id: string): WriteOp {
  return { kind: 'delete', collection, id };
}

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function collect(iterable: AsyncIterable<ReadDocument>): Promise<ReadDocument[]> {
  const documents: ReadDocument[] = [];
  for await (const document of iterable) documents.push(document);
  return documents;
}

const ids = (documents: readonly ReadDocument[]): string[] => documents.map((document) => document._id);
const sortedIds = (documents: readonly ReadDocument[]): string[] => ids(documents).sort();

/** Orders like both stores do: by each key's value (numbers numerically, strings by code unit), then by id. */
function compareBy(keys: readonly SortKey[]): (a: ReadDocument, b: ReadDocument) => number {
  return (a, b) => {
    for (const key of keys) {
      const x = a[key.field] as string | number;
      const y = b[key.field] as string | number;
      if (x !== y) return (x < y ? -1 : 1) * (key.direction === 'asc' ? 1 : -1);
    }
    return 0;
  };
}

/** The keys a store really sorts by: the given ones, then _id in the last key's direction. */
function withIdTieBreak(sort: readonly SortKey[]): SortKey[] {
  return [...sort, { field: '_id', direction: sort.length > 0 ? sort[sort.length - 1].direction : 'asc' }];
}

function afterOf(document: ReadDocument, sort: readonly SortKey[]): FieldValue[] {
  return [...sort.map((key) => document[key.field] as FieldValue), document._id];
}

export function describeReadStoreContract(name: string, makeStore: () => Promise<ReadStore>): void {
  describe(`ReadStore contract: ${name}`, () => {
    let store: ReadStore;

    beforeAll(async () => {
      store = await makeStore();
    });

    afterAll(async () => {
      await store?.close();
    });

    /** Writes documents to a collection through a projection of their own, at position 1. */
    async function seed(collection: string, documents: readonly ReadDocument[]): Promise<void> {
      const ops = documents.map(({ _id, ...fields }) => upsert(collection, _id, fields));
      expect(await store.commit(newProjectionName(), at(1), documents.length, ops)).toBe(true);
    }

    describe('ensureCollections', () => {
      it('creates collections and indexes, and is idempotent', async () => {
        const collection = newCollectionName();
        const definitions = [
          {
            name: collection,
            indexes: [
              [{ field: 'status', direction: 'asc' as const }, { field: 'issuedAt', direction: 'desc' as const }],
              [{ field: 'customerId', direction: 'asc' as const }],
            ],
          },
          { name: newCollectionName(), indexes: [] },
        ];
        await store.ensureCollections(definitions);
        await store.ensureCollections(definitions);

        await seed(collection, [
          { _id: 'a', status: 'ACTIVE', issuedAt: '2024-01-01T00:00:00.000Z', customerId: 'c1' },
          { _id: 'b', status: 'ACTIVE', issuedAt: '2024-02-01T00:00:00.000Z', customerId: 'c2' },
        ]);
        const found = await store.find(collection, {
          filter: { status: 'ACTIVE' },
          sort: [{ field: 'issuedAt', direction: 'desc' }],
          limit: 10,
        });
        expect(ids(found)).toEqual(['b', 'a']);
      });

      it('rejects collection and field names that are not plain identifiers', async () => {
        await expect(store.ensureCollections([{ name: 'bad-name', indexes: [] }])).rejects.toThrow(/collection name/);
        await expect(
          store.ensureCollections([{ name: newCollectionName(), indexes: [[{ field: 'a.b', direction: 'asc' }]] }]),
        ).rejects.toThrow(/field name/);
        await expect(store.find("x'; DROP TABLE documents; --", { limit: 1 })).rejects.toThrow(/collection name/);
        await expect(store.find(newCollectionName(), { filter: { 'a.b': 1 }, limit: 1 })).rejects.toThrow(/field name/);
        await expect(store.find(newCollectionName(), { filter: { $where: 'true' }, limit: 1 })).rejects.toThrow(/field name/);
      });
    });

    describe('commit: the write ops', () => {
      it('creates a document with an upsert, merges top-level fields, and removes unset ones', async () => {
        const collection = newCollectionName();
        const projection = newProjectionName();
        const nested = { reasons: ['NAME_MISMATCH', 'EXPIRED'], limits: { daily: '5000.00', atm: null } };

        await store.commit(projection, at(1), 1, [upsert(collection, 'card-1', { status: 'ISSUED', note: 'first', ...nested })]);
        expect(await store.get(collection, 'card-1')).toEqual({ _id: 'card-1', status: 'ISSUED', note: 'first', ...nested });

        await store.commit(projection, at(2), 1, [
          upsert(collection, 'card-1', { status: 'ACTIVE', activatedAt: '2024-05-01T10:00:00.000Z', limits: { daily: '1.00' } }, ['note']),
        ]);
        expect(await store.get(collection, 'card-1')).toEqual({
          _id: 'card-1',
          status: 'ACTIVE',
          activatedAt: '2024-05-01T10:00:00.000Z',
          reasons: ['NAME_MISMATCH', 'EXPIRED'],
          // A top-level field is replaced as a whole, never merged deeper.
          limits: { daily: '1.00' },
        });
      });

      it('keeps null values, and stores booleans and numbers as they are', async () => {
        const collection = newCollectionName();
        const document = { _id: 'd', none: null, yes: true, no: false, zero: 0, negative: -12, fraction: 2.5, big: 9_007_199_254_740_991 };
        await seed(collection, [document]);
        expect(await store.get(collection, 'd')).toEqual(document);
      });

      it('increments numeric fields, counting an absent field (or document) as 0', async () => {
        const collection = newCollectionName();
        const projection = newProjectionName();

        await store.commit(projection, at(1), 1, [increment(collection, 'totals', { issued: 1, failures: 2 })]);
        expect(await store.get(collection, 'totals')).toEqual({ _id: 'totals', issued: 1, failures: 2 });

        await store.commit(projection, at(2), 2, [
          increment(collection, 'totals', { issued: 1 }),
          increment(collection, 'totals', { issued: 1, activated: 1, failures: -2 }),
        ]);
        expect(await store.get(collection, 'totals')).toEqual({ _id: 'totals', issued: 3, failures: 0, activated: 1 });

        await store.commit(projection, at(3), 1, [increment(collection, 'totals', { amount: 0.5 }), increment(collection, 'totals', { amount: 0.25 })]);
        expect((await store.get(collection, 'totals'))?.amount).toBe(0.75);
      });

      it('deletes documents, and ignores the delete of a missing one', async () => {
        const collection = newCollectionName();
        const projection = newProjectionName();
        await store.commit(projection, at(1), 1, [upsert(collection, 'a', { n: 1 }), upsert(collection, 'b', { n: 2 })]);

        await store.commit(projection, at(2), 1, [remove(collection, 'a'), remove(collection, 'never-there')]);

        expect(await store.get(collection, 'a')).toBeNull();
        expect(await store.get(collection, 'never-there')).toBeNull();
        expect(await store.get(collection, 'b')).toEqual({ _id: 'b', n: 2 });
      });

      it('applies the ops of one batch in order, across documents and collections', async () => {
        const cards = newCollectionName();
        const stats = newCollectionName();
        await store.commit(newProjectionName(), at(1), 5, [
          upsert(cards, 'x', { status: 'ISSUED', failures: 0 }),
          increment(cards, 'x', { failures: 1 }),
          increment(stats, 'daily', { issued: 1 }),
          upsert(cards, 'y', { status: 'ISSUED' }),
          remove(cards, 'y'),
          upsert(cards, 'z', { status: 'ISSUED' }),
          remove(cards, 'z'),
          upsert(cards, 'z', { status: 'REISSUED' }),
          increment(cards, 'x', { failures: 1 }),
          upsert(cards, 'x', { status: 'ACTIVE' }),
          increment(stats, 'daily', { issued: 1 }),
        ]);

        expect(await store.get(cards, 'x')).toEqual({ _id: 'x', status: 'ACTIVE', failures: 2 });
        expect(await store.get(cards, 'y')).toBeNull();
        expect(await store.get(cards, 'z')).toEqual({ _id: 'z', status: 'REISSUED' });
        expect(await store.get(stats, 'daily')).toEqual({ _id: 'daily', issued: 2 });
      });

      it('returns null for a missing document, and for an id of another collection', async () => {
        const collection = newCollectionName();
        await seed(collection, [{ _id: 'here' }]);
        expect(await store.get(collection, 'missing')).toBeNull();
        expect(await store.get(newCollectionName(), 'here')).toBeNull();
        expect(await store.get(collection, 'here')).toEqual({ _id: 'here' });
      });

      it('rejects ops that set _id, or set and unset one field', async () => {
        const collection = newCollectionName();
        const projection = newProjectionName();
        await expect(store.commit(projection, at(1), 1, [upsert(collection, 'a', { _id: 'b' })])).rejects.toThrow(/_id/);
        await expect(store.commit(projection, at(1), 1, [upsert(collection, 'a', { f: 1 }, ['f'])])).rejects.toThrow(/sets and unsets/);
        expect(await store.checkpoint(projection)).toBeNull();
      });
    });

    describe('commit: checkpoints', () => {
      it('has no checkpoint before the first commit', async () => {
        expect(await store.checkpoint(newProjectionName())).toBeNull();
      });

      it('stores the position, accumulates eventsApplied and records when it moved', async () => {
        const projection = newProjectionName();
        const collection = newCollectionName();
        const before = Date.now();

        expect(await store.commit(projection, at(10, 8), 3, [upsert(collection, 'a', { n: 1 })])).toBe(true);
        const first = await store.checkpoint(projection);
        expect(first).toMatchObject({ projection, position: at(10, 8), eventsApplied: 3 });
        expect(first?.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
        expect(Math.abs(Date.parse(first?.updatedAt ?? '') - before)).toBeLessThan(60_000);

        // A batch whose events wrote nothing still moves the checkpoint.
        expect(await store.commit(projection, at(12), 2, [])).toBe(true);
        expect(await store.checkpoint(projection)).toMatchObject({ position: at(12), eventsApplied: 5 });
        expect(Date.parse((await store.checkpoint(projection))?.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(first?.updatedAt ?? ''));
      });

      it('ignores a batch at or behind the checkpoint: returns false and changes nothing (a replay is a no-op)', async () => {
        const projection = newProjectionName();
        const collection = newCollectionName();
        await store.commit(projection, at(100), 1, [upsert(collection, 'a', { n: 1 }), increment(collection, 'count', { n: 1 })]);
        const stored = await store.checkpoint(projection);

        expect(await store.commit(projection, at(100), 1, [upsert(collection, 'a', { n: 2 }), increment(collection, 'count', { n: 1 })])).toBe(false);
        expect(await store.commit(projection, at(99), 1, [upsert(collection, 'b', { n: 1 }), remove(collection, 'a')])).toBe(false);
        expect(await store.commit(projection, at(100, 99), 1, [increment(collection, 'count', { n: 1 })])).toBe(false);

        expect(await store.get(collection, 'a')).toEqual({ _id: 'a', n: 1 });
        expect(await store.get(collection, 'b')).toBeNull();
        expect(await store.get(collection, 'count')).toEqual({ _id: 'count', n: 1 });
        expect(await store.checkpoint(projection)).toEqual(stored);
      });

      it('compares positions numerically, commit first, then prepare', async () => {
        const projection = newProjectionName();
        const big = 2n ** 62n + 7n;
        expect(await store.commit(projection, at(9), 1, [])).toBe(true);
        // 10 after 9: a text comparison would say otherwise.
        expect(await store.commit(projection, at(10), 1, [])).toBe(true);
        expect(await store.commit(projection, at(10, 11), 1, [])).toBe(true);
        expect(await store.commit(projection, at(10, 10), 1, [])).toBe(false);
        expect(await store.commit(projection, at(big, big - 5n), 1, [])).toBe(true);
        expect(await store.checkpoint(projection)).toMatchObject({ position: at(big, big - 5n), eventsApplied: 4 });
        expect(await store.commit(projection, at(big - 1n), 1, [])).toBe(false);
      });

      it('keeps the checkpoints of projections apart', async () => {
        const first = newProjectionName();
        const second = newProjectionName();
        await store.commit(first, at(50), 5, []);
        expect(await store.commit(second, at(3), 1, [])).toBe(true);
        expect(await store.checkpoint(first)).toMatchObject({ position: at(50), eventsApplied: 5 });
        expect(await store.checkpoint(second)).toMatchObject({ position: at(3), eventsApplied: 1 });
      });
    });

    describe('find: filters', () => {
      const collection = newCollectionName();
      const documents: ReadDocument[] = [
        { _id: 'a', name: 'alpha', n: 1, flag: true, at: '2024-01-01T00:00:00.000Z', note: null, tag: 'x' },
        { _id: 'b', name: 'beta', n: 2, flag: false, at: '2024-02-01T00:00:00.000Z', tag: 'y' },
        { _id: 'c', name: 'gamma', n: 3, flag: true, at: '2024-03-01T00:00:00.000Z' },
        { _id: 'd', name: 'delta', n: 2.5, flag: false, at: '2024-03-15T00:00:00.000Z', note: 'hi', tag: 'x' },
        // Same values as others, but of another type: a filter only matches values of its own type.
        { _id: 'e', name: 'epsilon', n: '2', flag: 1, at: 20240201, tag: 'z' },
      ];

      beforeAll(async () => {
        await store.ensureCollections([
          { name: collection, indexes: [[{ field: 'tag', direction: 'asc' }], [{ field: 'at', direction: 'desc' }]] },
        ]);
        await seed(collection, documents);
      });

      const cases: Array<[string, Filter, string[]]> = [
        ['no filter', {}, ['a', 'b', 'c', 'd', 'e']],
        ['equality on a string', { tag: 'x' }, ['a', 'd']],
        ['equality on an integer (not the string "2")', { n: 2 }, ['b']],
        ['equality on a fraction', { n: 2.5 }, ['d']],
        ['equality on true (not the number 1)', { flag: true }, ['a', 'c']],
        ['equality on false', { flag: false }, ['b', 'd']],
        ['equality on null: null or absent', { note: null }, ['a', 'b', 'c', 'e']],
        ['equality on null where the field is only ever absent', { tag: null }, ['c']],
        ['equality on _id', { _id: 'c' }, ['c']],
        ['$in of strings', { name: { $in: ['alpha', 'gamma', 'zeta'] } }, ['a', 'c']],
        ['$in of numbers', { n: { $in: [1, 3] } }, ['a', 'c']],
        ['$in with null (matching absent)', { tag: { $in: ['y', null] } }, ['b', 'c']],
        ['$in of booleans', { flag: { $in: [false] } }, ['b', 'd']],
        ['$in of ids', { _id: { $in: ['a', 'e', 'nope'] } }, ['a', 'e']],
        ['empty $in', { tag: { $in: [] } }, []],
        ['ISO time range $gte/$lt', { at: { $gte: '2024-02-01T00:00:00.000Z', $lt: '2024-03-15T00:00:00.000Z' } }, ['b', 'c']],
        ['$gt/$lte on strings', { at: { $gt: '2024-01-01T00:00:00.000Z', $lte: '2024-03-15T00:00:00.000Z' } }, ['b', 'c', 'd']],
        ['number range (numbers only)', { n: { $gt: 1, $lte: 2.5 } }, ['b', 'd']],
        ['number range that strings would satisfy as text', { n: { $lt: 100 } }, ['a', 'b', 'c', 'd']],
        ['string range that numbers would satisfy', { at: { $lt: '9' } }, ['a', 'b', 'c', 'd']],
        ['$ne on a string (absent fields included)', { tag: { $ne: 'x' } }, ['b', 'c', 'e']],
        ['$ne on a number', { n: { $ne: 2 } }, ['a', 'c', 'd', 'e']],
        ['$ne on true', { flag: { $ne: true } }, ['b', 'd', 'e']],
        ['$ne null: present and not null', { note: { $ne: null } }, ['d']],
        ['$exists true: present, even if null', { note: { $exists: true } }, ['a', 'd']],
        ['$exists false', { note: { $exists: false } }, ['b', 'c', 'e']],
        ['several fields, all of which must hold', { tag: 'x', flag: false }, ['d']],
        ['a range and $ne on one field', { n: { $gte: 1, $ne: 2 } }, ['a', 'c', 'd']],
      ];

      it.each(cases)('%s', async (_description, filter, expected) => {
        expect(sortedIds(await store.find(collection, { filter, limit: 100 }))).toEqual(expected);
        expect(await store.count(collection, filter)).toBe(expected.length);
      });

      it('returns whole documents', async () => {
        const found = await store.find(collection, { filter: { _id: 'a' }, limit: 1 });
        expect(found).toEqual([documents[0]]);
      });

      it('rejects unknown operators and values a filter cannot compare', async () => {
        const bad = [{ n: { $regex: 'a' } }, { n: {} }, { n: { $in: 'a' } }, { n: [1, 2] }, { n: { $exists: 1 } }, { n: { a: 1 } }];
        for (const filter of bad) {
          await expect(store.find(collection, { filter: filter as unknown as Filter, limit: 1 })).rejects.toThrow();
        }
      });
    });

    describe('find: filters never match a value of another kind', () => {
      const collection = newCollectionName();
      // Objects and arrays (SQLite reads them as their JSON text), booleans (read as 1 and 0), strings and numbers.
      const documents: ReadDocument[] = [
        { _id: 's', tag: 'x', at: '2024-01-01', n: 1, brace: '{"x":1}' },
        { _id: 'o', tag: { x: 1 }, at: { a: '2024' }, n: true, brace: { x: 1 } },
        { _id: 'r', tag: ['x'], at: ['2024'], n: [1], brace: ['x'] },
        { _id: 'b', tag: true, at: 20240101, n: false, brace: 1 },
      ];
      beforeAll(async () => {
        await store.ensureCollections([{ name: collection, indexes: [[{ field: 'tag', direction: 'asc' }], [{ field: 'at', direction: 'asc' }]] }]);
        await seed(collection, documents);
      });

      const cases: Array<[string, Filter, string[]]> = [
        ['a string, not an object or array holding it', { tag: 'x' }, ['s']],
        ['strings in $in', { tag: { $in: ['x', 'y'] } }, ['s']],
        ['a string that looks like JSON, not the object', { brace: '{"x":1}' }, ['s']],
        ['below a string bound: strings only, not numbers, objects or arrays', { at: { $lt: '9' } }, ['s']],
        ['at most a string bound', { at: { $lte: '2024-01-01' } }, ['s']],
        ['above a string bound: strings only', { at: { $gte: '' } }, ['s']],
        ['the number 1, not true', { n: 1 }, ['s']],
        ['the number 0 or 1 in $in, not false or true', { n: { $in: [0, 1] } }, ['s']],
        ['true, not the number 1', { n: true }, ['o']],
        ['a number range, not booleans', { n: { $gte: 0, $lte: 1 } }, ['s']],
      ];

      it.each(cases)('%s', async (_description, filter, expected) => {
        expect(sortedIds(await store.find(collection, { filter, limit: 100 }))).toEqual(expected);
        expect(await store.count(collection, filter)).toBe(expected.length);
      });
    });

    describe('find: sorting and cursor paging', () => {
      const collection = newCollectionName();
      const groups = ['north', 'south', 'east'];
      // Ids in an order unrelated to the sort fields, so ties really are broken by _id.
      const documents: ReadDocument[] = Array.from({ length: 57 }, (_, i) => ({
        _id: `doc-${((i * 37) % 57).toString().padStart(2, '0')}-${randomBytes(2).toString('hex')}`,
        group: groups[i % 3],
        score: i % 5,
        issuedAt: new Date(Date.UTC(2024, 0, 1 + (i % 11))).toISOString(),
        odd: i % 2 === 1,
      }));

      beforeAll(async () => {
        await store.ensureCollections([
          {
            name: collection,
            indexes: [
              [{ field: 'group', direction: 'asc' }, { field: 'score', direction: 'desc' }],
              [{ field: 'issuedAt', direction: 'desc' }],
            ],
          },
        ]);
        await seed(collection, documents);
      });

      const orders: Array<[string, SortKey[]]> = [
        ['_id only (no sort)', []],
        ['one string field ascending', [{ field: 'group', direction: 'asc' }]],
        ['one number field descending', [{ field: 'score', direction: 'desc' }]],
        ['ISO times descending', [{ field: 'issuedAt', direction: 'desc' }]],
        ['two fields ascending', [{ field: 'group', direction: 'asc' }, { field: 'score', direction: 'asc' }]],
        ['two fields descending', [{ field: 'issuedAt', direction: 'desc' }, { field: 'group', direction: 'desc' }]],
        ['mixed: asc then desc', [{ field: 'group', direction: 'asc' }, { field: 'score', direction: 'desc' }]],
        ['mixed: desc then asc', [{ field: 'score', direction: 'desc' }, { field: 'issuedAt', direction: 'asc' }]],
        ['three fields, mixed', [{ field: 'odd', direction: 'asc' }, { field: 'score', direction: 'asc' }, { field: 'group', direction: 'desc' }]],
      ];

      const expectedOrder = (sort: readonly SortKey[], keep: (document: ReadDocument) => boolean = () => true): string[] =>
        ids(documents.filter(keep).sort(compareBy(withIdTieBreak(sort))));

      it.each(orders)('sorts by %s, ties broken by _id in the last key’s direction', async (_description, sort) => {
        const found = await store.find(collection, { sort, limit: 100 });
        expect(ids(found)).toEqual(expectedOrder(sort));
      });

      it.each(orders)('pages by %s with `after`, every document exactly once, in order', async (_description, sort) => {
        const seen: string[] = [];
        let after: FieldValue[] | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.find(collection, after === undefined ? { sort, limit: 10 } : { sort, limit: 10, after });
          pages += 1;
          seen.push(...ids(page));
          if (page.length < 10) break;
          after = afterOf(page[page.length - 1], sort);
        }
        expect(pages).toBe(6);
        expect(seen).toEqual(expectedOrder(sort));
      });

      it('pages a filtered, sorted query', async () => {
        const sort: SortKey[] = [{ field: 'score', direction: 'desc' }];
        const filter: Filter = { group: { $in: ['north', 'east'] }, issuedAt: { $gte: '2024-01-03T00:00:00.000Z' } };
        const keep = (d: ReadDocument): boolean => d.group !== 'south' && (d.issuedAt as string) >= '2024-01-03T00:00:00.000Z';
        const seen: string[] = [];
        let after: FieldValue[] | undefined;
        for (;;) {
          const page = await store.find(collection, { filter, sort, limit: 4, ...(after ? { after } : {}) });
          seen.push(...ids(page));
          if (page.length < 4) break;
          after = afterOf(page[page.length - 1], sort);
        }
        expect(seen).toEqual(expectedOrder(sort, keep));
      });

      it('pages by a sort field that is also filtered on', async () => {
        const sort: SortKey[] = [{ field: 'issuedAt', direction: 'asc' }];
        const filter: Filter = { issuedAt: { $gte: '2024-01-05T00:00:00.000Z' } };
        const first = await store.find(collection, { filter, sort, limit: 5 });
        const second = await store.find(collection, { filter, sort, limit: 100, after: afterOf(first[4], sort) });
        expect([...ids(first), ...ids(second)]).toEqual(
          expectedOrder(sort, (d) => (d.issuedAt as string) >= '2024-01-05T00:00:00.000Z'),
        );
      });

      it('returns at most `limit` documents, and nothing after the last one', async () => {
        const sort: SortKey[] = [{ field: 'group', direction: 'asc' }];
        expect(await store.find(collection, { sort, limit: 3 })).toHaveLength(3);
        const all = expectedOrder(sort);
        const last = documents.find((d) => d._id === all[all.length - 1]) as ReadDocument;
        expect(await store.find(collection, { sort, limit: 10, after: afterOf(last, sort) })).toEqual([]);
      });

      it('rejects a malformed `after`, a bad limit and _id anywhere but last in the sort', async () => {
        const sort: SortKey[] = [{ field: 'group', direction: 'asc' }];
        await expect(store.find(collection, { sort, limit: 10, after: ['north'] })).rejects.toThrow(/after/);
        await expect(store.find(collection, { sort, limit: 10, after: ['north', 1] })).rejects.toThrow(/after/);
        await expect(store.find(collection, { limit: 0 })).rejects.toThrow(/limit/);
        await expect(
          store.find(collection, { sort: [{ field: '_id', direction: 'asc' }, { field: 'group', direction: 'asc' }], limit: 1 }),
        ).rejects.toThrow(/_id/);
      });

      it('accepts _id as the last sort key, as the tie-breaker itself', async () => {
        const sort: SortKey[] = [{ field: '_id', direction: 'desc' }];
        const found = await store.find(collection, { sort, limit: 100 });
        expect(ids(found)).toEqual(ids(documents).sort().reverse());
        const next = await store.find(collection, { sort, limit: 100, after: [found[9]._id] });
        expect(ids(next)).toEqual(ids(found).slice(10));
      });

      it('counts all documents, or those matching a filter', async () => {
        expect(await store.count(collection)).toBe(57);
        expect(await store.count(collection, { group: 'north' })).toBe(19);
        expect(await store.count(collection, { group: 'north', score: { $gte: 3 } })).toBe(
          documents.filter((d) => d.group === 'north' && (d.score as number) >= 3).length,
        );
        expect(await store.count(newCollectionName())).toBe(0);
      });

      it('scans every document once, in _id order, across batches', async () => {
        const scanned = await collect(store.scan(collection, undefined, 7));
        expect(ids(scanned)).toEqual(ids(documents).sort());
        expect(scanned.find((d) => d._id === documents[5]._id)).toEqual(documents[5]);
      });

      it('scans only matching documents, with the default batch size too', async () => {
        const filter: Filter = { score: { $in: [0, 4] } };
        const expected = ids(documents.filter((d) => d.score === 0 || d.score === 4)).sort();
        expect(ids(await collect(store.scan(collection, filter, 7)))).toEqual(expected);
        expect(ids(await collect(store.scan(collection, filter)))).toEqual(expected);
        expect(await collect(store.scan(newCollectionName(), undefined, 7))).toEqual([]);
      });

      it('lets a scan stop early', async () => {
        const firstThree: string[] = [];
        for await (const document of store.scan(collection, undefined, 2)) {
          firstThree.push(document._id);
          if (firstThree.length === 3) break;
        }
        expect(firstThree).toEqual(ids(documents).sort().slice(0, 3));
      });
    });

    describe('reset', () => {
      it("empties the projection's collections and checkpoint, and nothing of another projection", async () => {
        const [cards, stats, others] = [newCollectionName(), newCollectionName(), newCollectionName()];
        const projection = newProjectionName();
        const other = newProjectionName();
        await store.commit(projection, at(20), 3, [upsert(cards, 'a', { n: 1 }), upsert(cards, 'b', { n: 2 }), increment(stats, 's', { n: 1 })]);
        await store.commit(other, at(20), 1, [upsert(others, 'a', { n: 1 })]);

        await store.reset(projection, [cards, stats]);

        expect(await store.count(cards)).toBe(0);
        expect(await store.count(stats)).toBe(0);
        expect(await store.checkpoint(projection)).toBeNull();
        expect(await store.get(others, 'a')).toEqual({ _id: 'a', n: 1 });
        expect(await store.checkpoint(other)).toMatchObject({ position: at(20), eventsApplied: 1 });

        // A rebuild starts again from the beginning.
        expect(await store.commit(projection, at(1), 1, [increment(stats, 's', { n: 1 })])).toBe(true);
        expect(await store.get(stats, 's')).toEqual({ _id: 's', n: 1 });
        expect(await store.checkpoint(projection)).toMatchObject({ position: at(1), eventsApplied: 1 });
      });

      it('resets a projection that never committed', async () => {
        await expect(store.reset(newProjectionName(), [newCollectionName()])).resolves.toBeUndefined();
      });
    });

    describe('projection versions', () => {
      it('has no version before one is recorded, then the one recorded last, without touching documents or checkpoint', async () => {
        const collection = newCollectionName();
        const projection = newProjectionName();
        expect(await store.projectionVersion(projection)).toBeNull();
        await store.commit(projection, at(7), 2, [upsert(collection, 'a', { n: 1 })]);
        expect(await store.projectionVersion(projection)).toBeNull();

        await store.recordProjectionVersion(projection, 1);
        expect(await store.projectionVersion(projection)).toBe(1);
        await store.recordProjectionVersion(projection, 3);
        expect(await store.projectionVersion(projection)).toBe(3);

        expect(await store.get(collection, 'a')).toEqual({ _id: 'a', n: 1 });
        expect(await store.checkpoint(projection)).toMatchObject({ position: at(7), eventsApplied: 2 });
      });

      it('records the version a reset is given with the emptied documents and checkpoint, and only for that projection', async () => {
        const [cards, others] = [newCollectionName(), newCollectionName()];
        const projection = newProjectionName();
        const other = newProjectionName();
        await store.commit(projection, at(20), 2, [upsert(cards, 'a', { n: 1 }), upsert(cards, 'b', { n: 2 })]);
        await store.recordProjectionVersion(projection, 1);
        await store.commit(other, at(20), 1, [upsert(others, 'a', { n: 1 })]);
        await store.recordProjectionVersion(other, 1);

        await store.reset(projection, [cards], 2);

        expect(await store.projectionVersion(projection)).toBe(2);
        expect(await store.count(cards)).toBe(0);
        expect(await store.checkpoint(projection)).toBeNull();
        expect(await store.projectionVersion(other)).toBe(1);
        expect(await store.get(others, 'a')).toEqual({ _id: 'a', n: 1 });
        expect(await store.checkpoint(other)).toMatchObject({ position: at(20), eventsApplied: 1 });
      });

      it('records a version with the reset of a projection that never committed nor had one', async () => {
        const projection = newProjectionName();
        await store.reset(projection, [newCollectionName()], 4);
        expect(await store.projectionVersion(projection)).toBe(4);
      });

      it('keeps the recorded version through a reset without one (a rebuild of the same code)', async () => {
        const collection = newCollectionName();
        const projection = newProjectionName();
        await store.commit(projection, at(3), 1, [upsert(collection, 'a', { n: 1 })]);
        await store.recordProjectionVersion(projection, 2);

        await store.reset(projection, [collection]);

        expect(await store.projectionVersion(projection)).toBe(2);
        expect(await store.count(collection)).toBe(0);
        expect(await store.checkpoint(projection)).toBeNull();
      });

      it('rejects a version that is not a whole number from 1, and the reserved collection name', async () => {
        const projection = newProjectionName();
        for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(store.recordProjectionVersion(projection, bad)).rejects.toThrow(/projection version/);
          await expect(store.reset(projection, [newCollectionName()], bad)).rejects.toThrow(/projection version/);
        }
        expect(await store.projectionVersion(projection)).toBeNull();
        await expect(store.ensureCollections([{ name: 'projection_versions', indexes: [] }])).rejects.toThrow(/reserved/);
        await expect(store.get('projection_versions', projection)).rejects.toThrow(/reserved/);
      });
    });

    describe('atomicity', () => {
      it('commits a batch of 1,000 ops as one', async () => {
        const collection = newCollectionName();
        const projection = newProjectionName();
        const ops: WriteOp[] = [];
        for (let i = 0; i < 500; i += 1) {
          ops.push(upsert(collection, `doc-${i}`, { i, status: i % 2 === 0 ? 'even' : 'odd' }));
          ops.push(increment(collection, 'totals', { [i % 2 === 0 ? 'even' : 'odd']: 1 }));
        }

        expect(await store.commit(projection, at(1_000), 1_000, ops)).toBe(true);

        expect(await store.count(collection)).toBe(501);
        expect(await store.count(collection, { status: 'even' })).toBe(250);
        expect(await store.get(collection, 'totals')).toEqual({ _id: 'totals', even: 250, odd: 250 });
        expect(await store.checkpoint(projection)).toMatchObject({ position: at(1_000), eventsApplied: 1_000 });
      });

      it('applies nothing of a batch in which an op fails, and leaves the checkpoint where it was', async () => {
        const cards = newCollectionName();
        const stats = newCollectionName();
        const projection = newProjectionName();
        await store.commit(projection, at(5), 2, [upsert(cards, 'bad', { n: 'not a number', kept: true }), increment(stats, 's', { n: 1 })]);
        const before = await store.checkpoint(projection);

        const error = await rejectionOf(
          store.commit(projection, at(6), 4, [
            upsert(cards, 'new', { n: 1 }),
            increment(stats, 's', { n: 1 }),
            upsert(cards, 'bad', { kept: false }),
            increment(cards, 'bad', { n: 1 }),
            upsert(cards, 'later', { n: 1 }),
          ]),
        );

        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(ReadStoreUnavailableError);
        expect(error).toBeInstanceOf(NonNumericIncrementError);
        expect(error).toMatchObject({ code: 'NON_NUMERIC_INCREMENT', collection: cards, id: 'bad', field: 'n' });
        expect(await store.get(cards, 'new')).toBeNull();
        expect(await store.get(cards, 'later')).toBeNull();
        expect(await store.get(cards, 'bad')).toEqual({ _id: 'bad', n: 'not a number', kept: true });
        expect(await store.get(stats, 's')).toEqual({ _id: 's', n: 1 });
        expect(await store.checkpoint(projection)).toEqual(before);

        // The failed batch did not move the checkpoint, so a corrected one at the same position goes through.
        expect(await store.commit(projection, at(6), 4, [upsert(cards, 'new', { n: 1 })])).toBe(true);
        expect(await store.checkpoint(projection)).toMatchObject({ position: at(6), eventsApplied: 6 });
      });
    });

    describe('leases', () => {
      const newLeaseName = () => `lease-${randomUUID()}`;
      const HOUR = 3_600_000;

      /** Tries until `holder` gets the lease (after the other holder's expiry), or fails after 10 s. */
      async function acquireOnceExpired(name: string, holder: string): Promise<LeaseAttempt> {
        const until = Date.now() + 10_000;
        for (;;) {
          const attempt = await store.acquireLease(name, holder, HOUR);
          if (attempt.acquired || Date.now() > until) return attempt;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }

      it('grants a free lease, and answers and stores it with its holder and times', async () => {
        const name = newLeaseName();
        expect(await store.lease(name)).toBeNull();
        const before = Date.now();
        const attempt = await store.acquireLease(name, 'host-a:1:aa', 60_000);
        expect(attempt).toEqual({
          acquired: true,
          lease: { name, holder: 'host-a:1:aa', acquiredAt: expect.any(String), renewedAt: expect.any(String), expiresAt: expect.any(String) },
        });
        const { acquiredAt, renewedAt, expiresAt } = attempt.lease;
        expect(renewedAt).toBe(acquiredAt);
        expect(Date.parse(expiresAt) - Date.parse(acquiredAt)).toBe(60_000);
        // The store's clock decides (MongoDB: the server's); allow for a skew, not for a wrong unit.
        expect(Math.abs(Date.parse(acquiredAt) - before)).toBeLessThan(60_000);
        expect(await store.lease(name)).toEqual(attempt.lease);
      });

      it('renews for the holder, keeping when it was acquired', async () => {
        const name = newLeaseName();
        const first = await store.acquireLease(name, 'holder-1', 60_000);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const renewed = await store.acquireLease(name, 'holder-1', HOUR);
        expect(renewed.acquired).toBe(true);
        expect(renewed.lease.acquiredAt).toBe(first.lease.acquiredAt);
        expect(Date.parse(renewed.lease.renewedAt)).toBeGreaterThan(Date.parse(first.lease.renewedAt));
        expect(Date.parse(renewed.lease.expiresAt) - Date.parse(renewed.lease.renewedAt)).toBe(HOUR);
      });

      it('refuses another holder while the lease stands, changing nothing, and says who holds it', async () => {
        const name = newLeaseName();
        const held = await store.acquireLease(name, 'holder-1', HOUR);
        const refused = await store.acquireLease(name, 'holder-2', HOUR);
        expect(refused).toEqual({ acquired: false, lease: held.lease });
        expect(await store.lease(name)).toEqual(held.lease);
      });

      it('lets another holder take an expired lease; the former holder then cannot renew it', async () => {
        const name = newLeaseName();
        await store.acquireLease(name, 'holder-1', 1);
        const taken = await acquireOnceExpired(name, 'holder-2');
        expect(taken.acquired).toBe(true);
        expect(taken.lease.holder).toBe('holder-2');
        expect(Date.parse(taken.lease.expiresAt) - Date.parse(taken.lease.acquiredAt)).toBe(HOUR);
        const late = await store.acquireLease(name, 'holder-1', HOUR);
        expect(late).toEqual({ acquired: false, lease: taken.lease });
      });

      it('starts a new acquiredAt when the holder comes back to its own expired lease', async () => {
        const name = newLeaseName();
        const first = await store.acquireLease(name, 'holder-1', 1);
        // Asked again within the same millisecond it would be a renewal of a lease still running: let it run out.
        while (Date.now() <= Date.parse(first.lease.expiresAt)) await new Promise((resolve) => setTimeout(resolve, 2));
        const again = await acquireOnceExpired(name, 'holder-1');
        expect(again.acquired).toBe(true);
        expect(Date.parse(again.lease.acquiredAt)).toBeGreaterThan(Date.parse(first.lease.acquiredAt));
      });

      it('releases only for the holder, and then another takes the lease at once', async () => {
        const name = newLeaseName();
        await store.acquireLease(name, 'holder-1', HOUR);
        expect(await store.releaseLease(name, 'holder-2')).toBe(false);
        expect((await store.lease(name))?.holder).toBe('holder-1');
        expect(await store.releaseLease(name, 'holder-1')).toBe(true);
        expect(await store.lease(name)).toBeNull();
        expect(await store.releaseLease(name, 'holder-1')).toBe(false);
        expect((await store.acquireLease(name, 'holder-2', HOUR)).acquired).toBe(true);
      });

      it('grants a free lease to exactly one of several holders asking at once', async () => {
        const name = newLeaseName();
        const holders = Array.from({ length: 8 }, (_, i) => `racer-${i}`);
        const attempts = await Promise.all(holders.map((holder) => store.acquireLease(name, holder, HOUR)));
        const winners = attempts.filter((a) => a.acquired).map((a) => a.lease.holder);
        expect(winners).toHaveLength(1);
        expect(new Set(attempts.map((a) => a.lease.holder))).toEqual(new Set(winners));
        expect((await store.lease(name))?.holder).toBe(winners[0]);
      });

      it('keeps leases of different names apart', async () => {
        const first = newLeaseName();
        const second = newLeaseName();
        expect((await store.acquireLease(first, 'holder-1', HOUR)).acquired).toBe(true);
        expect((await store.acquireLease(second, 'holder-2', HOUR)).acquired).toBe(true);
        expect((await store.lease(first))?.holder).toBe('holder-1');
        expect((await store.lease(second))?.holder).toBe('holder-2');
      });

      it('rejects a bad name, holder or duration', async () => {
        await expect(store.acquireLease('', 'h', 1000)).rejects.toThrow(/lease name/);
        await expect(store.acquireLease(newLeaseName(), '', 1000)).rejects.toThrow(/lease holder/);
        await expect(store.acquireLease(newLeaseName(), 'h', 0)).rejects.toThrow(/lease duration/);
        await expect(store.acquireLease(newLeaseName(), 'h', 1.5)).rejects.toThrow(/lease duration/);
      });
    });

    it('answers ping()', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
