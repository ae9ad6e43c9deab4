import { MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoTopologyClosedError, type BulkWriteResult, type WriteError } from 'mongodb';
import { NonNumericIncrementError, effectiveSort, parseFilter } from '../read-store-rules';
import { ReadStoreUnavailableError, type Filter, type SortKey, type WriteOp } from '../read-store.port';
import {
  checkpointUpdate,
  defaultClientOptions,
  findFilter,
  indexDescriptions,
  isMongoUnavailable,
  keysetFilter,
  mapMongoError,
  toCheckpoint,
  toCollectionWrites,
  toMongoFilter,
  toMongoSort,
} from './mongodb-translation';

const mongoFilter = (filter: Filter) => toMongoFilter(parseFilter(filter));

describe('MongoDB translation', () => {
  describe('client options', () => {
    it('names the app and fails server selection after 5 s, unless the URL says otherwise', () => {
      expect(defaultClientOptions('mongodb://localhost:27017/cards')).toEqual({ appName: 'card-lifecycle', serverSelectionTimeoutMS: 5000 });
      expect(defaultClientOptions('mongodb://h1,h2/cards?replicaSet=rs0&serverSelectionTimeoutMS=300')).toEqual({ appName: 'card-lifecycle' });
      expect(defaultClientOptions('mongodb+srv://cluster.example.com/cards?appname=reports')).toEqual({ serverSelectionTimeoutMS: 5000 });
    });
  });

  describe('filters', () => {
    it('passes plain values through as equality, null included (absent or null)', () => {
      expect(mongoFilter({ status: 'ACTIVE', revision: 3, imported: false, cancelledAt: null, _id: 'card-1' })).toEqual({
        status: 'ACTIVE',
        revision: 3,
        imported: false,
        cancelledAt: null,
        _id: 'card-1',
      });
    });

    it('passes operators through', () => {
      expect(
        mongoFilter({
          status: { $in: ['ACTIVE', 'SUSPENDED'] },
          issuedAt: { $gte: '2024-01-01T00:00:00.000Z', $lt: '2024-02-01T00:00:00.000Z' },
          revision: { $gt: 1, $lte: 9, $ne: 5 },
          openDisputeId: { $exists: false },
        }),
      ).toEqual({
        status: { $in: ['ACTIVE', 'SUSPENDED'] },
        issuedAt: { $gte: '2024-01-01T00:00:00.000Z', $lt: '2024-02-01T00:00:00.000Z' },
        revision: { $gt: 1, $lte: 9, $ne: 5 },
        openDisputeId: { $exists: false },
      });
    });

    it('refuses field names MongoDB would read as paths or operators, and unknown operators', () => {
      expect(() => mongoFilter({ 'limits.daily': 1 })).toThrow(/field name/);
      expect(() => mongoFilter({ $where: 'sleep(1000)' })).toThrow(/field name/);
      expect(() => mongoFilter({ status: { $regex: '.*' } } as unknown as Filter)).toThrow(/unknown filter operator/);
      expect(() => mongoFilter({ status: { $in: [{ $gt: '' }] } } as unknown as Filter)).toThrow(/compares strings/);
    });
  });

  describe('sort and keyset cursors', () => {
    const mixed: SortKey[] = [
      { field: 'status', direction: 'asc' },
      { field: 'issuedAt', direction: 'desc' },
    ];

    it('sorts by the keys, then _id in the direction of the last key', () => {
      expect(toMongoSort(effectiveSort(mixed))).toEqual({ status: 1, issuedAt: -1, _id: -1 });
      expect(Object.keys(toMongoSort(effectiveSort(mixed)))).toEqual(['status', 'issuedAt', '_id']);
      expect(toMongoSort(effectiveSort([]))).toEqual({ _id: 1 });
      expect(toMongoSort(effectiveSort([{ field: '_id', direction: 'desc' }]))).toEqual({ _id: -1 });
    });

    it('turns `after` into an $or chain, $gt for ascending and $lt for descending keys, led by a range on the first key', () => {
      expect(keysetFilter(effectiveSort(mixed), ['ACTIVE', '2024-03-01T00:00:00.000Z', 'card-9'])).toEqual({
        status: { $gte: 'ACTIVE' },
        $or: [
          { status: { $gt: 'ACTIVE' } },
          { status: 'ACTIVE', issuedAt: { $lt: '2024-03-01T00:00:00.000Z' } },
          { status: 'ACTIVE', issuedAt: '2024-03-01T00:00:00.000Z', _id: { $lt: 'card-9' } },
        ],
      });
      expect(keysetFilter(effectiveSort([{ field: 'score', direction: 'desc' }]), [3, 'x'])).toEqual({
        score: { $lte: 3 },
        $or: [{ score: { $lt: 3 } }, { score: 3, _id: { $lt: 'x' } }],
      });
      expect(keysetFilter(effectiveSort([]), ['card-9'])).toEqual({ _id: { $gt: 'card-9' } });
    });

    it('keeps the caller’s filter and the cursor apart with $and', () => {
      const keys = effectiveSort([{ field: 'issuedAt', direction: 'asc' }]);
      const filter = parseFilter({ issuedAt: { $gte: '2024-01-01' } });
      expect(findFilter(filter, keys, ['2024-02-01', 'c'])).toEqual({
        $and: [
          { issuedAt: { $gte: '2024-01-01' } },
          { issuedAt: { $gte: '2024-02-01' }, $or: [{ issuedAt: { $gt: '2024-02-01' } }, { issuedAt: '2024-02-01', _id: { $gt: 'c' } }] },
        ],
      });
      expect(findFilter(filter, keys)).toEqual({ issuedAt: { $gte: '2024-01-01' } });
      expect(findFilter([], effectiveSort([]), ['c'])).toEqual({ _id: { $gt: 'c' } });
    });

    it('declares each index with its keys and _id, skipping empty ones', () => {
      expect(indexDescriptions({ name: 'cards', indexes: [mixed, [{ field: 'customerId', direction: 'asc' }], []] })).toEqual([
        { key: { status: 1, issuedAt: -1, _id: -1 } },
        { key: { customerId: 1, _id: 1 } },
      ]);
    });
  });

  describe('write ops', () => {
    const ops: WriteOp[] = [
      { kind: 'upsert', collection: 'cards', id: 'a', set: { status: 'ACTIVE', activatedAt: '2024-01-01' }, unset: ['suspensionReason'] },
      { kind: 'increment', collection: 'stats', id: 'daily', by: { activated: 1 } },
      { kind: 'increment', collection: 'cards', id: 'a', by: { failedActivationAttempts: 1 } },
      { kind: 'delete', collection: 'cards', id: 'b' },
      { kind: 'upsert', collection: 'cards', id: 'c', set: {} },
      { kind: 'upsert', collection: 'cards', id: 'd', set: {}, unset: ['x'] },
    ];

    it('groups ops by collection, each collection keeping the batch’s order', () => {
      const groups = toCollectionWrites(ops);
      expect(groups.map((group) => group.collection)).toEqual(['cards', 'stats']);
      expect(groups[0].source).toEqual([ops[0], ops[2], ops[3], ops[4], ops[5]]);
      expect(groups[0].operations).toEqual([
        {
          updateOne: {
            filter: { _id: 'a' },
            update: { $set: { status: 'ACTIVE', activatedAt: '2024-01-01' }, $unset: { suspensionReason: '' } },
            upsert: true,
          },
        },
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { failedActivationAttempts: 1 } }, upsert: true } },
        { deleteOne: { filter: { _id: 'b' } } },
        { updateOne: { filter: { _id: 'c' }, update: { $set: {} }, upsert: true } },
        { updateOne: { filter: { _id: 'd' }, update: { $unset: { x: '' } }, upsert: true } },
      ]);
      expect(groups[1].operations).toEqual([
        { updateOne: { filter: { _id: 'daily' }, update: { $inc: { activated: 1 } }, upsert: true } },
      ]);
    });

    it('moves a checkpoint with $set of Int64 positions and $inc of the count', () => {
      expect(checkpointUpdate({ commit: 2n ** 62n, prepare: 7n }, 3, '2024-01-01T00:00:00.000Z')).toEqual({
        $set: { commit: 2n ** 62n, prepare: 7n, updatedAt: '2024-01-01T00:00:00.000Z' },
        $inc: { eventsApplied: 3 },
      });
    });

    it('reads a checkpoint back from bigints, numbers or Longs', () => {
      const long = { toBigInt: () => 2n ** 62n };
      expect(toCheckpoint({ _id: 'cards', commit: long, prepare: 5, eventsApplied: 9n, updatedAt: '2024-01-01T00:00:00.000Z' })).toEqual({
        projection: 'cards',
        position: { commit: 2n ** 62n, prepare: 5n },
        eventsApplied: 9,
        updatedAt: '2024-01-01T00:00:00.000Z',
      });
      expect(() => toCheckpoint({ _id: 'cards', commit: '5', prepare: 5, eventsApplied: 1, updatedAt: '' })).toThrow(/not an integer/);
    });
  });

  describe('errors', () => {
    const serverError = (fields: Record<string, unknown>): MongoServerError => new MongoServerError({ message: 'server says no', ...fields });

    it('maps "no server to talk to" to ReadStoreUnavailableError', () => {
      const unavailable = [
        new MongoNetworkError('connection 1 to 127.0.0.1:27017 closed'),
        new MongoTopologyClosedError(),
        { name: 'MongoServerSelectionError', message: 'Server selection timed out after 5000 ms' },
        serverError({ code: 10107, codeName: 'NotWritablePrimary' }),
        serverError({ code: 91, codeName: 'ShutdownInProgress' }),
        serverError({ code: 112, errorLabels: ['TransientTransactionError'] }),
      ];
      for (const error of unavailable) {
        expect(isMongoUnavailable(error)).toBe(true);
        const mapped = mapMongoError(error, 'read');
        expect(mapped).toBeInstanceOf(ReadStoreUnavailableError);
        expect(mapped).toMatchObject({ code: 'READ_STORE_UNAVAILABLE', cause: error });
        expect((mapped as Error).message).toMatch(/^MongoDB read store cannot read now: /);
      }
    });

    it('passes other errors through unchanged', () => {
      const duplicate = serverError({ code: 11000 });
      const mistake = new TypeError('x is not a function');
      expect(isMongoUnavailable(duplicate)).toBe(false);
      expect(mapMongoError(duplicate, 'commit')).toBe(duplicate);
      expect(mapMongoError(mistake, 'commit')).toBe(mistake);
      expect(mapMongoError('a string', 'commit')).toBe('a string');
    });

    it('names the op behind a $inc of a non-numeric field, as the SQLite adapter does', () => {
      const [group] = toCollectionWrites([
        { kind: 'upsert', collection: 'cards', id: 'a', set: { n: 'x' } },
        { kind: 'increment', collection: 'cards', id: 'a', by: { n: 1 } },
      ]);
      const errmsg = "Cannot apply $inc to a value of non-numeric type. {_id: \"a\"} has the field 'n' of non-numeric type string";
      const bulkError = new MongoBulkWriteError(
        // The driver's WriteError class is not exported at runtime; its getters read these fields.
        { message: errmsg, code: 14, writeErrors: [{ index: 1, code: 14, errmsg } as unknown as WriteError] },
        {} as unknown as BulkWriteResult, // only read through getters we do not call
      );

      const mapped = mapMongoError(bulkError, 'commit', group);

      expect(mapped).toBeInstanceOf(NonNumericIncrementError);
      expect(mapped).toMatchObject({ code: 'NON_NUMERIC_INCREMENT', collection: 'cards', id: 'a', field: 'n', cause: bulkError });
      expect(mapMongoError(bulkError, 'commit')).toBe(bulkError);

      // The same, reported as a command error without a write error index.
      const commandError = new MongoServerError({ message: errmsg, errmsg, code: 14, codeName: 'TypeMismatch' });
      expect(mapMongoError(commandError, 'commit', group)).toMatchObject({ code: 'NON_NUMERIC_INCREMENT', id: 'a', field: 'n' });
      expect(mapMongoError(serverError({ code: 14 }), 'commit', toCollectionWrites([])[0])).toMatchObject({ code: 14 });
    });

    it('says what a standalone server lacks when it refuses transactions', () => {
      const standalone = serverError({
        code: 20,
        codeName: 'IllegalOperation',
        message: 'Transaction numbers are only allowed on a replica set member or mongos',
      });
      // What the driver throws instead when the refused command was a write.
      const rewritten = new MongoServerError({
        message: 'This MongoDB deployment does not support retryable writes. Please add retryWrites=false to your connection string.',
        originalError: standalone,
      });
      for (const error of [standalone, rewritten]) {
        const mapped = mapMongoError(error, 'commit') as Error;
        expect(mapped).not.toBeInstanceOf(ReadStoreUnavailableError);
        expect(mapped.message).toMatch(/needs a replica set/);
        expect(mapped.cause).toBe(error);
      }
      expect(mapMongoError(serverError({ code: 20, message: 'something else illegal' }), 'commit')).toMatchObject({ code: 20 });
    });
  });
});
