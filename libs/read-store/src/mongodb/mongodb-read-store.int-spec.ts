import { MongoClient } from 'mongodb';
import { NonNumericIncrementError, ReadStoreUnavailableError, type ReadStore, type WriteOp } from '@cards/read-store';
import { MongoReadStore } from './mongodb-read-store';
import { FakeMongoDbServer, freePort, type RecordedCommand } from '@cards/read-store/testing/fake-mongodb-server';
import { at, describeReadStoreContract, newCollectionName, newProjectionName } from '@cards/read-store/testing/read-store.contract';

jest.setTimeout(30_000);

const url = process.env.MONGODB_URL;

if (url) {
  // A database of this run's own, dropped at the end, so runs and other users of the server never meet.
  const database = `cards_test_${process.pid}_${Date.now()}`;

  afterAll(async () => {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
    try {
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  });

  describeReadStoreContract('mongodb', async () => {
    const store = MongoReadStore.connect(url, { database });
    await store.ping();
    return store;
  });

  describe('MongoReadStore against a server', () => {
    let store: MongoReadStore;

    beforeAll(() => {
      store = MongoReadStore.connect(url, { database });
    });

    afterAll(async () => {
      await store.close();
    });

    it('stores positions as Int64 and documents with _id = id, fields as they are', async () => {
      const collection = newCollectionName();
      const projection = newProjectionName();
      await store.ensureCollections([{ name: collection, indexes: [[{ field: 'status', direction: 'asc' }]] }]);
      await store.commit(projection, at(2n ** 40n, 5), 1, [{ kind: 'upsert', collection, id: 'a', set: { status: 'ACTIVE', n: 1 } }]);

      const client = new MongoClient(url);
      try {
        const db = client.db(database);
        expect(await db.collection(collection).findOne({ _id: 'a' as never })).toEqual({ _id: 'a', status: 'ACTIVE', n: 1 });
        const checkpoint = await db.collection('checkpoints').findOne({ _id: projection as never }, { useBigInt64: true });
        expect(checkpoint).toMatchObject({ commit: 2n ** 40n, prepare: 5n });
        // Int64 compares numerically on the server: 2^40 is above 9, which as text it would not be.
        expect(await db.collection('checkpoints').countDocuments({ _id: projection as never, commit: { $gt: 9n } })).toBe(1);
        const indexes = await db.collection(collection).indexes();
        expect(indexes.map((index) => index.key)).toContainEqual({ status: 1, _id: 1 });
      } finally {
        await client.close();
      }
    });
  });
} else {
  console.warn('MongoDB contract suite skipped: set MONGODB_URL (README.md, "Running on EventStoreDB and MongoDB")');
  describe.skip('ReadStore contract: mongodb (set MONGODB_URL)', () => {
    it('runs the shared contract against a real server', () => undefined);
  });
}

// Needs no server: nothing listens on this port, so every call must fail as "unavailable", quickly.
describe('MongoReadStore without a reachable server', () => {
  const unreachable = 'mongodb://127.0.0.1:1/cards_unreachable?serverSelectionTimeoutMS=300';
  let store: MongoReadStore;

  beforeAll(() => {
    store = MongoReadStore.connect(unreachable);
  });

  afterAll(async () => {
    await store.close();
  });

  const collection = 'cards';
  it.each([
    ['ping', (s: ReadStore) => s.ping()],
    ['get', (s: ReadStore) => s.get(collection, 'a')],
    ['find', (s: ReadStore) => s.find(collection, { filter: { status: 'ACTIVE' }, sort: [{ field: 'issuedAt', direction: 'desc' }], limit: 10 })],
    ['count', (s: ReadStore) => s.count(collection)],
    ['scan', async (s: ReadStore) => { for await (const _ of s.scan(collection, undefined, 7)) void _; }],
    ['commit', (s: ReadStore) => s.commit('cards', at(1), 1, [{ kind: 'delete', collection, id: 'a' }])],
    ['checkpoint', (s: ReadStore) => s.checkpoint('cards')],
    ['reset', (s: ReadStore) => s.reset('cards', [collection])],
    ['ensureCollections', (s: ReadStore) => s.ensureCollections([{ name: collection, indexes: [] }])],
  ])('maps %s to ReadStoreUnavailableError within the server selection timeout', async (_name, call) => {
    const started = Date.now();
    const error = await call(store).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ReadStoreUnavailableError);
    expect(error).toMatchObject({ code: 'READ_STORE_UNAVAILABLE', message: expect.stringMatching(/^MongoDB read store cannot/) });
    // Each call tries the server again: the driver's own auto-connect would answer "Topology is closed" for
    // ever after a first failure, and a store started before its server would never recover.
    expect((error as ReadStoreUnavailableError).cause).toMatchObject({ name: 'MongoServerSelectionError' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses every call once closed', async () => {
    const closed = MongoReadStore.connect(unreachable);
    await closed.close();
    await expect(closed.ping()).rejects.toThrow(/closed/);
    await expect(closed.ping()).rejects.toBeInstanceOf(ReadStoreUnavailableError);
  });

  it('rejects invalid arguments before it tries the server', async () => {
    await expect(store.find('bad-name', { limit: 1 })).rejects.toThrow(/collection name/);
    await expect(store.commit('p', at(1), 1, [{ kind: 'increment', collection, id: 'a', by: { n: Number.NaN } }])).rejects.toThrow(/finite/);
  });

  it('closes a client that never reached a server', async () => {
    const never = MongoReadStore.connect(unreachable);
    await expect(never.close()).resolves.toBeUndefined();
  });
});

// Needs no server either: a fake that answers every command with ok, started after the store.
describe('MongoReadStore whose server comes up after it', () => {
  it('reports itself unavailable, then answers once the server is there', async () => {
    const port = await freePort();
    const store = MongoReadStore.connect(`mongodb://127.0.0.1:${port}/cards?serverSelectionTimeoutMS=300&directConnection=true`);
    let server: FakeMongoDbServer | undefined;
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(ReadStoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(ReadStoreUnavailableError);

      server = await FakeMongoDbServer.listen(port);

      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
      await server?.close();
    }
  });
});

/**
 * Needs no server: what the adapter sends, seen by a fake that records commands and answers "ok". This checks
 * the wiring a unit test cannot (every call of a commit in one transaction, options reaching the driver, Int64
 * positions on the wire); what a real server then does with the commands is the contract suite's job.
 */
describe('MongoReadStore on the wire (fake server)', () => {
  let fake: FakeMongoDbServer;
  let store: MongoReadStore;

  beforeEach(async () => {
    fake = await FakeMongoDbServer.listen();
    store = MongoReadStore.connect(`mongodb://127.0.0.1:${fake.port}/cards?serverSelectionTimeoutMS=1000&directConnection=true`);
  });

  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const ops: WriteOp[] = [
    { kind: 'upsert', collection: 'cards', id: 'a', set: { status: 'ACTIVE' }, unset: ['suspensionReason'] },
    { kind: 'increment', collection: 'stats', id: 'daily', by: { activated: 1 } },
    { kind: 'delete', collection: 'cards', id: 'b' },
  ];

  const transactionOf = (command: RecordedCommand) => ({ lsid: command.lsid, txnNumber: command.txnNumber, autocommit: command.autocommit });

  it('commits in one transaction: reads the checkpoint, writes the ops in order, moves the checkpoint, commits', async () => {
    expect(await store.commit('cards', at(2n ** 40n, 7), 3, ops)).toBe(true);

    const sent = fake.commands.filter((command) => command.$name !== 'endSessions');
    expect(sent.map((command) => `${command.$name} ${String(command[command.$name])}`)).toEqual([
      'find checkpoints',
      'update cards',
      'delete cards',
      'update stats',
      'update checkpoints',
      'commitTransaction 1',
    ]);
    const [first] = sent;
    expect(first).toMatchObject({ startTransaction: true, autocommit: false, readConcern: { level: 'snapshot' }, filter: { _id: 'cards' } });
    expect(first.lsid).toBeDefined();
    for (const command of sent) expect(transactionOf(command)).toEqual(transactionOf(first));
    expect(sent[1]).toMatchObject({
      ordered: true,
      updates: [{ q: { _id: 'a' }, u: { $set: { status: 'ACTIVE' }, $unset: { suspensionReason: '' } }, upsert: true }],
    });
    expect(sent[2]).toMatchObject({ deletes: [{ q: { _id: 'b' }, limit: 1 }] });
    expect(sent[3]).toMatchObject({ updates: [{ q: { _id: 'daily' }, u: { $inc: { activated: 1 } }, upsert: true }] });
    const checkpointWrite = (sent[4].updates as Array<{ q: unknown; u: { $set: Record<string, unknown>; $inc: unknown }; upsert: boolean }>)[0];
    expect(checkpointWrite).toMatchObject({ q: { _id: 'cards' }, upsert: true, u: { $inc: { eventsApplied: 3 } } });
    // Decoded with useBigInt64: only a BSON Int64 comes back as a bigint.
    expect(checkpointWrite.u.$set.commit).toBe(2n ** 40n);
    expect(checkpointWrite.u.$set.prepare).toBe(7n);
    expect(sent[5]).toMatchObject({ writeConcern: { w: 'majority' } });
  });

  it('writes nothing when the stored checkpoint is at or past the batch', async () => {
    fake.respond = (command) =>
      command.$name === 'find' && command.find === 'checkpoints'
        ? { cursor: { id: 0n, ns: 'cards.checkpoints', firstBatch: [{ _id: 'cards', commit: 10n, prepare: 10n, eventsApplied: 4, updatedAt: 'x' }] } }
        : undefined;

    expect(await store.commit('cards', at(10), 1, ops)).toBe(false);
    expect(await store.commit('cards', at(9), 1, ops)).toBe(false);
    expect(fake.commandsNamed('update', 'delete')).toEqual([]);

    expect(await store.commit('cards', at(10, 11), 1, ops)).toBe(true);
    expect(fake.commandsNamed('update', 'delete')).toHaveLength(4);
  });

  it('reads a checkpoint with Int64 positions back as bigints', async () => {
    fake.respond = (command) =>
      command.$name === 'find'
        ? {
            cursor: {
              id: 0n,
              ns: 'cards.checkpoints',
              firstBatch: [{ _id: 'cards', commit: 2n ** 60n, prepare: 5n, eventsApplied: 12, updatedAt: '2024-01-01T00:00:00.000Z' }],
            },
          }
        : undefined;
    expect(await store.checkpoint('cards')).toEqual({
      projection: 'cards',
      position: { commit: 2n ** 60n, prepare: 5n },
      eventsApplied: 12,
      updatedAt: '2024-01-01T00:00:00.000Z',
    });
  });

  it('aborts on a write error, names the failing increment, and never writes the checkpoint', async () => {
    const errmsg = "Cannot apply $inc to a value of non-numeric type. {_id: \"daily\"} has the field 'activated' of non-numeric type string";
    fake.respond = (command) =>
      command.$name === 'update' && command.update === 'stats' ? { n: 0, nModified: 0, writeErrors: [{ index: 0, code: 14, errmsg }] } : undefined;

    const error = await store.commit('cards', at(3), 3, ops).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(NonNumericIncrementError);
    expect(error).toMatchObject({ collection: 'stats', id: 'daily', field: 'activated' });
    expect(fake.commandsNamed('abortTransaction')).toHaveLength(1);
    expect(fake.commandsNamed('commitTransaction')).toEqual([]);
    expect(fake.commandsNamed('update').map((command) => command.update)).not.toContain('checkpoints');
  });

  it('says a standalone server cannot run the transactions it needs', async () => {
    fake.respond = (command) =>
      command.startTransaction
        ? { ok: 0, code: 20, codeName: 'IllegalOperation', errmsg: 'Transaction numbers are only allowed on a replica set member or mongos' }
        : undefined;
    await expect(store.commit('cards', at(1), 1, [])).rejects.toThrow(/replica set/);
    await expect(store.reset('cards', ['cards'])).rejects.toThrow(/replica set/);
  });

  it('resets in one transaction', async () => {
    await store.reset('cards', ['cards', 'stats']);
    const sent = fake.commands.filter((command) => command.$name !== 'endSessions');
    expect(sent.map((command) => `${command.$name} ${String(command[command.$name])}`)).toEqual([
      'delete cards',
      'delete stats',
      'delete checkpoints',
      'commitTransaction 1',
    ]);
    for (const command of sent) expect(transactionOf(command)).toEqual(transactionOf(sent[0]));
    expect(sent[0]).toMatchObject({ startTransaction: true, deletes: [{ q: {}, limit: 0 }] });
    expect(sent[2]).toMatchObject({ deletes: [{ q: { _id: 'cards' }, limit: 1 }] });
  });

  it('resets with a version in the same transaction, recording the version last', async () => {
    await store.reset('numbers', ['numbers', 'number_buckets'], 2);
    const sent = fake.commands.filter((command) => command.$name !== 'endSessions');
    expect(sent.map((command) => `${command.$name} ${String(command[command.$name])}`)).toEqual([
      'delete numbers',
      'delete number_buckets',
      'delete checkpoints',
      'update projection_versions',
      'commitTransaction 1',
    ]);
    for (const command of sent) expect(transactionOf(command)).toEqual(transactionOf(sent[0]));
    expect(sent[3]).toMatchObject({ updates: [{ q: { _id: 'numbers' }, u: { $set: { version: 2 } }, upsert: true }] });
  });

  it('reads a recorded projection version, and null when there is none', async () => {
    expect(await store.projectionVersion('numbers')).toBeNull();
    fake.respond = (command) =>
      command.$name === 'find' && command.find === 'projection_versions'
        ? { cursor: { id: 0n, ns: 'cards.projection_versions', firstBatch: [{ _id: 'numbers', version: 2, recordedAt: 'x' }] } }
        : undefined;
    expect(await store.projectionVersion('numbers')).toBe(2);
    expect(fake.commandsNamed('find').at(-1)).toMatchObject({ find: 'projection_versions', filter: { _id: 'numbers' } });
  });

  it('finds with the filter, the keyset, the sort with _id and the limit', async () => {
    await store.find('cards', {
      filter: { status: { $in: ['ACTIVE', 'SUSPENDED'] } },
      sort: [{ field: 'issuedAt', direction: 'desc' }],
      limit: 25,
      after: ['2024-03-01T00:00:00.000Z', 'card-9'],
    });
    const [find] = fake.commandsNamed('find');
    expect(find).toMatchObject({
      find: 'cards',
      filter: {
        $and: [
          { status: { $in: ['ACTIVE', 'SUSPENDED'] } },
          {
            issuedAt: { $lte: '2024-03-01T00:00:00.000Z' },
            $or: [{ issuedAt: { $lt: '2024-03-01T00:00:00.000Z' } }, { issuedAt: '2024-03-01T00:00:00.000Z', _id: { $lt: 'card-9' } }],
          },
        ],
      },
      sort: { issuedAt: -1, _id: -1 },
      limit: 25,
    });
    expect(Object.keys(find.sort as object)).toEqual(['issuedAt', '_id']);
    expect(find.lsid).toBeDefined();
    expect(find.txnNumber).toBeUndefined();
  });

  it('scans in _id order with the batch size, through getMore', async () => {
    fake.respond = (command) => {
      if (command.$name === 'find') return { cursor: { id: 42n, ns: 'cards.cards', firstBatch: [{ _id: 'a' }, { _id: 'b' }] } };
      if (command.$name === 'getMore') return { cursor: { id: 0n, ns: 'cards.cards', nextBatch: [{ _id: 'c' }] } };
      return undefined;
    };
    const seen: string[] = [];
    for await (const document of store.scan('cards', { status: 'ACTIVE' }, 2)) seen.push(document._id);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(fake.commandsNamed('find')[0]).toMatchObject({ filter: { status: 'ACTIVE' }, sort: { _id: 1 }, batchSize: 2 });
    expect(fake.commandsNamed('getMore')[0]).toMatchObject({ getMore: 42n, batchSize: 2 });
  });

  it('counts with the filter', async () => {
    fake.respond = (command) =>
      command.$name === 'aggregate' ? { cursor: { id: 0n, ns: 'cards.cards', firstBatch: [{ _id: 1, n: 7 }] } } : undefined;
    expect(await store.count('cards', { status: 'ACTIVE' })).toBe(7);
    expect(fake.commandsNamed('aggregate')[0].pipeline).toEqual([{ $match: { status: 'ACTIVE' } }, { $group: { _id: 1, n: { $sum: 1 } } }]);
  });

  it('creates missing collections and the declared indexes with _id', async () => {
    fake.respond = (command) =>
      command.$name === 'listCollections' ? { cursor: { id: 0n, ns: 'cards.$cmd.listCollections', firstBatch: [{ name: 'cards', type: 'collection' }] } } : undefined;
    await store.ensureCollections([
      { name: 'cards', indexes: [[{ field: 'status', direction: 'asc' }, { field: 'issuedAt', direction: 'desc' }]] },
      { name: 'stats', indexes: [] },
    ]);
    expect(fake.commandsNamed('create').map((command) => command.create)).toEqual(['stats', 'checkpoints', 'projection_versions']);
    const [createIndexes] = fake.commandsNamed('createIndexes');
    expect(createIndexes).toMatchObject({ createIndexes: 'cards', indexes: [{ key: { status: 1, issuedAt: -1, _id: -1 } }] });
  });

  it('pings, with the app name and timeout set on its client and the database from the URL', async () => {
    await store.ping();
    expect(fake.commandsNamed('ping')).toEqual([expect.objectContaining({ ping: 1, $db: 'cards' })]);
    const { client } = store as unknown as { client: MongoClient };
    expect(client.options).toMatchObject({ appName: 'card-lifecycle', serverSelectionTimeoutMS: 1000 });
  });

  it('uses the database given in the options over the URL’s', async () => {
    const other = MongoReadStore.connect(`mongodb://127.0.0.1:${fake.port}/cards?directConnection=true`, { database: 'reports' });
    try {
      await other.get('cards', 'a');
      expect(fake.commandsNamed('find')).toEqual([expect.objectContaining({ find: 'cards', filter: { _id: 'a' }, $db: 'reports' })]);
      expect((other as unknown as { client: MongoClient }).client.options.serverSelectionTimeoutMS).toBe(5000);
    } finally {
      await other.close();
    }
  });
});
