import { MongoClient } from 'mongodb';
import { FakeMongoDbServer, freePort, type RecordedCommand } from '@cards/read-store/testing/fake-mongodb-server';
import { DataKeyConflictError, DataKeyStoreUnavailableError, PersonalDataErasedError } from './errors';
import type { DataKeyStore } from './key-store.port';
import { DATA_KEYS_COLLECTION, MongoDataKeyStore } from './mongodb-data-key-store';
import { anErasure, describeDataKeyStoreContract, newMasterKeyId, newSubjectId, randomWrappedKey } from './testing/data-key-store.contract';

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

  describeDataKeyStoreContract('mongodb', async () => {
    const store = MongoDataKeyStore.connect(url, { database });
    await store.ping();
    return store;
  });

  describe('MongoDataKeyStore against a server', () => {
    it('keeps one document per subject (_id = subject id), and only the tombstone after destroy', async () => {
      const store = MongoDataKeyStore.connect(url, { database });
      const client = new MongoClient(url);
      try {
        const subject = newSubjectId();
        const wrapped = randomWrappedKey(newMasterKeyId());
        await store.create(subject, wrapped);
        const keys = client.db(database).collection(DATA_KEYS_COLLECTION);
        expect(await keys.findOne({ _id: subject as never })).toEqual({ _id: subject, state: 'active', ...wrapped });

        await store.destroy(subject, anErasure());
        const tombstone = await keys.findOne({ _id: subject as never });
        expect(tombstone).toEqual({ _id: subject, state: 'erased', erasedAt: anErasure().at, erasedBy: anErasure().by, erasureReason: anErasure().reason });
        expect(JSON.stringify(tombstone)).not.toContain(wrapped.ciphertext);
        const indexes = await keys.indexes();
        expect(indexes.map((index) => index.key)).toContainEqual({ masterKeyId: 1, _id: 1 });
      } finally {
        await client.close();
        await store.close();
      }
    });
  });
} else {
  console.warn('MongoDB data key store contract suite skipped: set MONGODB_URL (README.md, "Running on EventStoreDB and MongoDB")');
  describe.skip('DataKeyStore contract: mongodb (set MONGODB_URL)', () => {
    it('runs the shared contract against a real server', () => undefined);
  });
}

// Needs no server: nothing listens on this port, so every call must fail as "unavailable", quickly.
describe('MongoDataKeyStore without a reachable server', () => {
  const unreachable = 'mongodb://127.0.0.1:1/cards_unreachable?serverSelectionTimeoutMS=300';
  let store: MongoDataKeyStore;

  beforeAll(() => {
    store = MongoDataKeyStore.connect(unreachable);
  });

  afterAll(async () => {
    await store.close();
  });

  const subject = 'customer-1';
  const wrapped = randomWrappedKey('k1');
  it.each([
    ['ping', (s: DataKeyStore) => s.ping()],
    ['get', (s: DataKeyStore) => s.get(subject)],
    ['create', (s: DataKeyStore) => s.create(subject, wrapped)],
    ['destroy', (s: DataKeyStore) => s.destroy(subject, anErasure())],
    ['erasureOf', (s: DataKeyStore) => s.erasureOf(subject)],
    ['listWrappedUnder', (s: DataKeyStore) => s.listWrappedUnder('k1', 10)],
    ['countWrappedUnder', (s: DataKeyStore) => s.countWrappedUnder('k1')],
    ['rewrap', (s: DataKeyStore) => s.rewrap(subject, 'k1', randomWrappedKey('k2'))],
  ])('maps %s to DataKeyStoreUnavailableError within the server selection timeout', async (_name, call) => {
    const started = Date.now();
    const error = await call(store).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(DataKeyStoreUnavailableError);
    expect(error).toMatchObject({ code: 'DATA_KEY_STORE_UNAVAILABLE', message: expect.stringMatching(/^MongoDB data key store cannot/) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses every call once closed', async () => {
    const closed = MongoDataKeyStore.connect(unreachable);
    await closed.close();
    await expect(closed.ping()).rejects.toThrow(/closed/);
    await expect(closed.get(subject)).rejects.toBeInstanceOf(DataKeyStoreUnavailableError);
  });

  it('rejects invalid arguments before it tries the server', async () => {
    await expect(store.get('')).rejects.toThrow(TypeError);
    await expect(store.create(subject, { ...wrapped, iv: 'short' })).rejects.toThrow(TypeError);
  });
});

// Needs no server either: a fake started after the store.
describe('MongoDataKeyStore whose server comes up after it', () => {
  it('reports itself unavailable, then answers once the server is there', async () => {
    const port = await freePort();
    const store = MongoDataKeyStore.connect(`mongodb://127.0.0.1:${port}/cards?serverSelectionTimeoutMS=300&directConnection=true`);
    let server: FakeMongoDbServer | undefined;
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(DataKeyStoreUnavailableError);
      server = await FakeMongoDbServer.listen(port);
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
      await server?.close();
    }
  });
});

/**
 * Needs no server: what the adapter sends, seen by a fake that records commands and answers "ok" (or what a
 * test tells it). What a real server then does with the commands is the contract suite's job.
 */
describe('MongoDataKeyStore on the wire (fake server)', () => {
  let fake: FakeMongoDbServer;
  let store: MongoDataKeyStore;

  beforeEach(async () => {
    fake = await FakeMongoDbServer.listen();
    store = MongoDataKeyStore.connect(`mongodb://127.0.0.1:${fake.port}/cards?serverSelectionTimeoutMS=1000&directConnection=true`);
  });

  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const found = (command: RecordedCommand, documents: object[]) => ({
    cursor: { id: 0n, ns: `${String(command.$db)}.${DATA_KEYS_COLLECTION}`, firstBatch: documents },
  });
  const duplicateKey = { ok: 0, code: 11000, codeName: 'DuplicateKey', errmsg: 'E11000 duplicate key error collection: cards.pii_data_keys' };

  it('creates the rotation index on first use, once', async () => {
    await store.get('customer-1');
    await store.get('customer-2');
    const indexes = fake.commandsNamed('createIndexes');
    expect(indexes).toHaveLength(1);
    expect(indexes[0]).toMatchObject({
      createIndexes: DATA_KEYS_COLLECTION,
      indexes: [{ key: { masterKeyId: 1, _id: 1 }, partialFilterExpression: { state: 'active' } }],
    });
  });

  it('inserts a key as one document with _id = subject id, waiting for a journaled majority', async () => {
    const wrapped = randomWrappedKey('k1');
    expect(await store.create('customer-1', wrapped)).toBe('created');
    const [insert] = fake.commandsNamed('insert');
    expect(insert).toMatchObject({
      insert: DATA_KEYS_COLLECTION,
      documents: [{ _id: 'customer-1', state: 'active', ...wrapped }],
      writeConcern: { w: 'majority', j: true },
    });
  });

  it('reads with majority read concern, and turns documents back into wrapped keys and tombstones', async () => {
    const wrapped = randomWrappedKey('k1');
    fake.respond = (command) =>
      command.$name === 'find'
        ? found(command, [(command.filter as { _id: string })._id === 'a' ? { _id: 'a', state: 'active', ...wrapped } : { _id: 'b', state: 'erased', erasedAt: anErasure().at, erasedBy: 'admin-1', erasureReason: anErasure().reason }])
        : undefined;
    expect(await store.get('a')).toEqual(wrapped);
    expect(await store.get('b')).toBe('erased');
    expect(await store.erasureOf('b')).toEqual(anErasure());
    expect(fake.commandsNamed('find')[0]).toMatchObject({ filter: { _id: 'a' }, readConcern: { level: 'majority' } });
  });

  it('answers a repeated create by what is stored: the same key, another key, or a tombstone', async () => {
    const wrapped = randomWrappedKey('k1');
    let stored: object = { _id: 's', state: 'active', ...wrapped };
    fake.respond = (command) => {
      if (command.$name === 'insert') return { n: 0, writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key error' }] };
      if (command.$name === 'find') return found(command, [stored]);
      return undefined;
    };
    expect(await store.create('s', wrapped)).toBe('unchanged');
    await expect(store.create('s', randomWrappedKey('k1'))).rejects.toBeInstanceOf(DataKeyConflictError);
    stored = { _id: 's', state: 'erased', erasedAt: anErasure().at, erasedBy: 'a', erasureReason: 'r' };
    await expect(store.create('s', wrapped)).rejects.toBeInstanceOf(PersonalDataErasedError);
  });

  it('destroys by replacing an active key with a tombstone holding no key material', async () => {
    const wrapped = randomWrappedKey('k1');
    fake.respond = (command) =>
      command.$name === 'findAndModify' ? { value: { _id: 's' }, lastErrorObject: { n: 1, updatedExisting: true } } : undefined;

    expect(await store.destroy('s', anErasure())).toBe('destroyed');

    const [replace] = fake.commandsNamed('findAndModify');
    expect(replace).toMatchObject({
      findAndModify: DATA_KEYS_COLLECTION,
      query: { _id: 's', state: 'active' },
      update: { state: 'erased', erasedAt: anErasure().at, erasedBy: anErasure().by, erasureReason: anErasure().reason },
      upsert: true,
      new: false,
      writeConcern: { w: 'majority', j: true },
    });
    expect(Object.keys(replace.update as object).sort()).toEqual(['erasedAt', 'erasedBy', 'erasureReason', 'state']);
    expect(JSON.stringify(replace)).not.toContain(wrapped.ciphertext);
  });

  it('tells a tombstone written for a subject without key, and one that was already there', async () => {
    fake.respond = (command) =>
      command.$name === 'findAndModify' ? { value: null, lastErrorObject: { n: 1, updatedExisting: false, upserted: 's' } } : undefined;
    expect(await store.destroy('s', anErasure())).toBe('no_key');

    fake.respond = (command) => {
      if (command.$name === 'findAndModify') return duplicateKey;
      if (command.$name === 'find') return found(command, [{ _id: 's', state: 'erased' }]);
      return undefined;
    };
    expect(await store.destroy('s', anErasure())).toBe('already_erased');
  });

  it('rewraps with a compare-and-set on the master key id, and says why when it did not', async () => {
    const replacement = randomWrappedKey('k2');
    let matched = 1;
    let stored: object[] = [];
    fake.respond = (command) => {
      if (command.$name === 'update') return { n: matched, nModified: matched };
      if (command.$name === 'find') return found(command, stored);
      return undefined;
    };
    expect(await store.rewrap('s', 'k1', replacement)).toBe('rewrapped');
    const [update] = fake.commandsNamed('update');
    expect(update).toMatchObject({
      updates: [
        {
          q: { _id: 's', state: 'active', masterKeyId: 'k1' },
          u: { $set: { masterKeyId: 'k2', iv: replacement.iv, ciphertext: replacement.ciphertext, tag: replacement.tag } },
        },
      ],
    });
    expect(Object.keys((update.updates as Array<{ u: { $set: object } }>)[0].u.$set)).not.toContain('createdAt');

    matched = 0;
    expect(await store.rewrap('s', 'k1', replacement)).toBe('missing');
    stored = [{ _id: 's', state: 'erased' }];
    expect(await store.rewrap('s', 'k1', replacement)).toBe('erased');
    stored = [{ _id: 's', state: 'active' }];
    expect(await store.rewrap('s', 'k1', replacement)).toBe('conflict');
  });

  it('lists keys under a master key in _id order after a cursor', async () => {
    await store.listWrappedUnder('k1', 50, 'customer-7');
    await store.listWrappedUnder('k1', 50);
    const [withCursor, first] = fake.commandsNamed('find');
    expect(withCursor).toMatchObject({ filter: { state: 'active', masterKeyId: 'k1', _id: { $gt: 'customer-7' } }, sort: { _id: 1 }, limit: 50 });
    expect(first.filter).toEqual({ state: 'active', masterKeyId: 'k1' });
  });

  it('counts the active keys under a master key with the rotation index\'s filter, read at majority', async () => {
    fake.respond = (command) => (command.$name === 'aggregate' ? found(command, [{ _id: 1, n: 42 }]) : undefined);
    expect(await store.countWrappedUnder('k1')).toBe(42);
    const [aggregate] = fake.commandsNamed('aggregate');
    expect(aggregate).toMatchObject({
      aggregate: DATA_KEYS_COLLECTION,
      pipeline: [{ $match: { state: 'active', masterKeyId: 'k1' } }, expect.anything()],
      readConcern: { level: 'majority' },
    });
    fake.respond = (command) => (command.$name === 'aggregate' ? found(command, []) : undefined);
    expect(await store.countWrappedUnder('k9')).toBe(0);
  });

  it('pings, with the app name and timeout set on its client and the database from the URL', async () => {
    await store.ping();
    expect(fake.commandsNamed('ping')).toEqual([expect.objectContaining({ ping: 1, $db: 'cards' })]);
    const { client } = store as unknown as { client: MongoClient };
    expect(client.options).toMatchObject({ appName: 'card-lifecycle', serverSelectionTimeoutMS: 1000 });
  });
});
