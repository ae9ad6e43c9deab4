import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { type FindOptions, NonNumericIncrementError, ReadStoreUnavailableError, SqliteReadStore } from '@cards/read-store';
import { countQuery, findQuery } from './sqlite-query';
import { at, describeReadStoreContract, newCollectionName, newProjectionName } from '@cards/read-store/testing/read-store.contract';
import { commitsInWal } from '@cards/event-store/testing/wal-commits';

const directory = mkdtempSync(join(tmpdir(), 'read-store-sqlite-'));
let files = 0;
const newFile = (): string => join(directory, `store-${++files}`, 'read-models.db');

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describeReadStoreContract('sqlite (temp file)', async () => SqliteReadStore.open(newFile()));
describeReadStoreContract('sqlite (:memory:)', async () => SqliteReadStore.open(':memory:'));
// As the service opens it: the WAL copied into the file by a worker thread while the contract writes and reads.
describeReadStoreContract('sqlite (temp file, checkpoints in the background)', async () =>
  SqliteReadStore.open(newFile(), { checkpointInBackground: true }),
);

describe('SqliteReadStore', () => {
  const opened: SqliteReadStore[] = [];
  const open = (file: string): SqliteReadStore => {
    const store = SqliteReadStore.open(file);
    opened.push(store);
    return store;
  };
  /** The store's own connection, for looking at what it wrote and how it plans queries. */
  const connectionOf = (store: SqliteReadStore): Database.Database => (store as unknown as { db: Database.Database }).db;

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('keeps documents and checkpoints across close and reopen', async () => {
    const file = newFile();
    const collection = newCollectionName();
    const projection = newProjectionName();
    const first = open(file);
    await first.ensureCollections([{ name: collection, indexes: [[{ field: 'status', direction: 'asc' }]] }]);
    await first.commit(projection, at(41, 40), 2, [
      { kind: 'upsert', collection, id: 'a', set: { status: 'ACTIVE', n: 1 } },
      { kind: 'increment', collection, id: 'a', by: { n: 1 } },
    ]);
    await first.close();

    const reopened = open(file);
    expect(await reopened.get(collection, 'a')).toEqual({ _id: 'a', status: 'ACTIVE', n: 2 });
    expect(await reopened.checkpoint(projection)).toMatchObject({ position: at(41, 40), eventsApplied: 2 });
    expect(await reopened.commit(projection, at(41, 40), 1, [])).toBe(false);
    expect(await reopened.find(collection, { filter: { status: 'ACTIVE' }, limit: 5 })).toHaveLength(1);
  });

  it('creates the schema with user_version 1 and runs with WAL, synchronous=NORMAL (derived data) and a busy timeout', () => {
    const file = newFile();
    const store = open(file);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['checkpoints', 'documents']));
    } finally {
      db.close();
    }
    expect(Number(connectionOf(store).pragma('synchronous', { simple: true }))).toBe(1);
    expect(Number(connectionOf(store).pragma('busy_timeout', { simple: true }))).toBe(5000);
    expect(Number(connectionOf(store).pragma('wal_autocheckpoint', { simple: true }))).toBe(10_000);
  });

  it('sets its own planner statistics when it opens, so that a lookup seeks the index its filter and sort fit', async () => {
    const file = newFile();
    const first = open(file);
    const collection = newCollectionName();
    await first.ensureCollections([{ name: collection, indexes: [[{ field: 'k', direction: 'asc' }, { field: 'n', direction: 'asc' }]] }]);
    const ops = Array.from({ length: 3000 }, (_, i) => ({ kind: 'upsert' as const, collection, id: `d${i}`, set: { k: i % 3, n: i } }));
    await first.commit(newProjectionName(), at(1, 1), 1, ops);
    // Sampled statistics, as ANALYZE with a limit (or PRAGMA optimize) leaves them.
    connectionOf(first).pragma('analysis_limit = 100');
    connectionOf(first).exec('ANALYZE');
    await first.close();

    const store = open(file);
    expect(connectionOf(store).prepare('SELECT tbl, idx, stat FROM sqlite_stat1').all()).toEqual([{ tbl: 'documents', idx: 'documents', stat: '10000000 1000000 1' }]);
    // One value in an IN list (SQLite makes it an equality): without these statistics this walked the collection by
    // primary key and sorted it.
    for (const slots of [[7], [7, 8, 9]]) {
      const query = findQuery(collection, { filter: { k: 1, n: { $in: slots } }, sort: [{ field: 'n', direction: 'asc' }], limit: slots.length });
      const plan = connectionOf(store).prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[];
      expect(plan.map((p) => p.detail).join()).toContain(`ix_${collection}_k_n`);
    }
    expect((await store.find(collection, { filter: { k: 1 }, sort: [{ field: 'n', direction: 'asc' }], limit: 2 })).map((d) => d.n)).toEqual([1, 4]);
  });

  it('refuses a file with another schema version, or another program’s tables', () => {
    const file = newFile();
    open(file);
    const db = new Database(file);
    db.pragma('user_version = 7');
    db.close();
    expect(() => SqliteReadStore.open(file)).toThrow(/schema version 7/);

    const foreign = newFile().replace('read-models.db', 'events.db');
    open(foreign);
    const raw = new Database(foreign);
    raw.exec('DROP TABLE documents');
    raw.close();
    expect(() => SqliteReadStore.open(foreign)).toThrow(/not a read store/);
  });

  it('opens a file written before projection versions in place: adds the table, keeps documents and checkpoints', async () => {
    const file = newFile().replace('read-models.db', 'legacy.db');
    const collection = newCollectionName();
    const projection = newProjectionName();
    // The schema exactly as the build before versions wrote it (user_version 1, no projection_versions).
    mkdirSync(dirname(file), { recursive: true });
    const legacy = new Database(file);
    legacy.pragma('journal_mode = WAL');
    legacy.exec(`
      CREATE TABLE documents (collection TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (collection, id)) WITHOUT ROWID;
      CREATE TABLE checkpoints (projection TEXT PRIMARY KEY, commit_position INTEGER NOT NULL, prepare_position INTEGER NOT NULL,
                                events_applied INTEGER NOT NULL, updated_at TEXT NOT NULL);
    `);
    legacy.pragma('user_version = 1');
    legacy.prepare('INSERT INTO documents (collection, id, body) VALUES (?, ?, ?)').run(collection, 'a', '{"n":1}');
    legacy.prepare('INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?)').run(projection, 12, 11, 12, '2026-01-01T00:00:00.000Z');
    legacy.close();

    const store = open(file);
    expect(await store.checkpoint(projection)).toEqual({
      projection,
      position: at(12, 11),
      eventsApplied: 12,
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(await store.get(collection, 'a')).toEqual({ _id: 'a', n: 1 });
    expect(await store.projectionVersion(projection)).toBeNull();
    await store.recordProjectionVersion(projection, 1);
    await store.close();

    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.prepare('SELECT projection, version FROM projection_versions').all()).toEqual([{ projection, version: 1 }]);
    } finally {
      db.close();
    }
    const reopened = open(file);
    expect(await reopened.projectionVersion(projection)).toBe(1);
    expect(await reopened.checkpoint(projection)).toMatchObject({ position: at(12, 11), eventsApplied: 12 });
  });

  it('resets and records the version in one transaction: if the version cannot be written, nothing is emptied', async () => {
    const store = open(newFile());
    const collection = newCollectionName();
    const projection = newProjectionName();
    await store.commit(projection, at(5), 1, [{ kind: 'upsert', collection, id: 'a', set: { n: 1 } }]);
    await store.recordProjectionVersion(projection, 1);
    connectionOf(store).exec(
      "CREATE TRIGGER refuse_versions BEFORE UPDATE ON projection_versions BEGIN SELECT RAISE(ABORT, 'version refused'); END",
    );

    // Compared by its fields: a SqliteError may come from another realm's copy of better-sqlite3 (jest), not an Error here.
    const error = await store.reset(projection, [collection], 2).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_TRIGGER', message: 'version refused' });

    expect(await store.get(collection, 'a')).toEqual({ _id: 'a', n: 1 });
    expect(await store.checkpoint(projection)).toMatchObject({ position: at(5), eventsApplied: 1 });
    expect(await store.projectionVersion(projection)).toBe(1);
  });

  it('creates one partial expression index per declared index, named after its collection and fields', async () => {
    const store = open(newFile());
    const collection = newCollectionName();
    await store.ensureCollections([
      {
        name: collection,
        indexes: [[{ field: 'status', direction: 'asc' }, { field: 'issuedAt', direction: 'desc' }], [{ field: 'customerId', direction: 'asc' }]],
      },
    ]);
    const indexes = () =>
      connectionOf(store)
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' AND sql IS NOT NULL ORDER BY name")
        .all() as Array<{ name: string; sql: string }>;
    expect(indexes().map((index) => index.name)).toEqual([`ix_${collection}_customerId`, `ix_${collection}_status_issuedAt_desc`]);
    expect(indexes()[1].sql).toContain(`json_extract(body, '$.issuedAt') DESC, id DESC) WHERE collection = '${collection}'`);

    // Declared again without the customerId index (a projection stopped using it): that index goes, the other
    // stays, and another collection's indexes are left alone.
    const other = newCollectionName();
    await store.ensureCollections([{ name: other, indexes: [[{ field: 'customerId', direction: 'asc' }]] }]);
    await store.ensureCollections([{ name: collection, indexes: [[{ field: 'status', direction: 'asc' }, { field: 'issuedAt', direction: 'desc' }]] }]);
    expect(indexes().map((index) => index.name).sort()).toEqual([`ix_${collection}_status_issuedAt_desc`, `ix_${other}_customerId`].sort());
  });

  describe('query plans', () => {
    let store: SqliteReadStore;
    const collection = newCollectionName();
    const index = `ix_${collection}_status_issuedAt_desc`;

    beforeAll(async () => {
      store = SqliteReadStore.open(newFile());
      await store.ensureCollections([
        { name: collection, indexes: [[{ field: 'status', direction: 'asc' }, { field: 'issuedAt', direction: 'desc' }]] },
      ]);
      const ops = Array.from({ length: 300 }, (_, i) => ({
        kind: 'upsert' as const,
        collection,
        id: `card-${i}`,
        set: { status: ['ISSUED', 'ACTIVE', 'SUSPENDED'][i % 3], issuedAt: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString() },
      }));
      await store.commit(newProjectionName(), at(1), 300, ops);
      connectionOf(store).exec('ANALYZE');
    });

    afterAll(async () => {
      await store.close();
    });

    /** The plan SQLite makes for the very query `find` runs with these options. */
    function planOf(options: FindOptions): string {
      const query = findQuery(collection, options);
      const rows = connectionOf(store).prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as Array<{ detail: string }>;
      return rows.map((row) => row.detail).join('\n');
    }

    it('finds by an indexed field, sorted like the index, with the expression index', async () => {
      const options: FindOptions = { filter: { status: 'ACTIVE' }, sort: [{ field: 'issuedAt', direction: 'desc' }], limit: 10 };
      const plan = planOf(options);
      expect(plan).toContain(`USING INDEX ${index}`);
      expect(plan).not.toContain('TEMP B-TREE');
      expect(await store.find(collection, options)).toHaveLength(10);
    });

    it('pages with `after` through the same index, seeking to the cursor', async () => {
      const sort: FindOptions['sort'] = [{ field: 'issuedAt', direction: 'desc' }];
      const first = await store.find(collection, { filter: { status: 'ACTIVE' }, sort, limit: 10 });
      const last = first[9];
      const plan = planOf({ filter: { status: 'ACTIVE' }, sort, limit: 10, after: [last.issuedAt as string, last._id] });
      expect(plan).toContain(`USING INDEX ${index}`);
      expect(plan).toMatch(/<expr><\?/);
      expect(plan).not.toContain('TEMP B-TREE');
    });

    it('counts by an equality and a range on indexed fields with an index range scan', () => {
      const query = countQuery(collection, { status: 'SUSPENDED', issuedAt: { $gte: '2024-01-01T02:00:00.000Z' } });
      const rows = connectionOf(store).prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as Array<{ detail: string }>;
      expect(rows.map((row) => row.detail).join('\n')).toContain(`USING INDEX ${index} (collection=? AND <expr>=? AND <expr>>`);
    });
  });

  describe('when the database is closed', () => {
    it.each([
      ['get', (store: SqliteReadStore) => store.get('cards', 'a')],
      ['find', (store: SqliteReadStore) => store.find('cards', { filter: { status: 'ACTIVE' }, limit: 1 })],
      ['count', (store: SqliteReadStore) => store.count('cards')],
      ['scan', async (store: SqliteReadStore) => { for await (const _ of store.scan('cards')) void _; }],
      ['commit', (store: SqliteReadStore) => store.commit('cards', at(1), 1, [{ kind: 'delete', collection: 'cards', id: 'a' }])],
      ['checkpoint', (store: SqliteReadStore) => store.checkpoint('cards')],
      ['reset', (store: SqliteReadStore) => store.reset('cards', ['cards'])],
      ['reset with a version', (store: SqliteReadStore) => store.reset('cards', ['cards'], 2)],
      ['projectionVersion', (store: SqliteReadStore) => store.projectionVersion('cards')],
      ['recordProjectionVersion', (store: SqliteReadStore) => store.recordProjectionVersion('cards', 2)],
      ['ensureCollections', (store: SqliteReadStore) => store.ensureCollections([{ name: 'cards', indexes: [] }])],
      ['ping', (store: SqliteReadStore) => store.ping()],
    ])('maps %s to ReadStoreUnavailableError', async (_name, call) => {
      const store = open(newFile());
      await store.get('cards', 'warm-up'); // a prepared statement that outlives the connection
      await store.close();
      const error = await call(store).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(ReadStoreUnavailableError);
      expect(error).toMatchObject({ code: 'READ_STORE_UNAVAILABLE', message: expect.stringContaining('not open') });
    });

    it('closes twice without complaint', async () => {
      const store = open(newFile());
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });

  it('copies its WAL into the file from a worker when asked to (checkpointInBackground), and stops it on close', async () => {
    const file = newFile();
    const store = SqliteReadStore.open(file, { checkpointInBackground: true });
    opened.push(store);
    expect(open(':memory:').checkpointer).toBeNull();
    expect(open(newFile()).checkpointer).toBeNull();
    const collection = newCollectionName();
    const ops = Array.from({ length: 500 }, (_, i) => ({ kind: 'upsert' as const, collection, id: `doc-${i}`, set: { text: 'x'.repeat(1000) } }));
    await store.commit(newProjectionName(), at(1), 1, ops);

    const checkpointer = store.checkpointer!;
    const deadline = Date.now() + 5000;
    while (checkpointer.status.copying === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(checkpointer.status).toMatchObject({ lastError: null });
    expect(checkpointer.status.copying).toBeGreaterThanOrEqual(1);
    // What the worker copied is what the store reads: the documents, whole.
    expect(await store.count(collection)).toBe(500);
    expect(connectionOf(store).pragma('integrity_check', { simple: true })).toBe('ok');
  });

  describe('group commit: the batches committed in one turn of the event loop', () => {
    it('are written by one transaction, each answering for its own projection', async () => {
      const file = newFile();
      const store = open(file);
      const collection = newCollectionName();
      const [a, b, c] = [newProjectionName(), newProjectionName(), newProjectionName()];
      await store.commit(b, at(10), 1, []); // b is already at 10
      const before = commitsInWal(file);

      const answers = await Promise.all([
        store.commit(a, at(11), 1, [{ kind: 'upsert', collection, id: 'a', set: { by: 'a' } }]),
        store.commit(b, at(10), 1, [{ kind: 'upsert', collection, id: 'b', set: { by: 'b' } }]),
        store.commit(c, at(12), 2, [{ kind: 'upsert', collection, id: 'c', set: { by: 'c' } }]),
      ]);

      expect(answers).toEqual([true, false, true]);
      expect(commitsInWal(file) - before).toBe(1);
      expect(await store.find(collection, { limit: 10 })).toEqual([
        { _id: 'a', by: 'a' },
        { _id: 'c', by: 'c' },
      ]);
      expect(await store.checkpoint(a)).toMatchObject({ position: at(11), eventsApplied: 1 });
      expect(await store.checkpoint(b)).toMatchObject({ position: at(10), eventsApplied: 1 });
      expect(await store.checkpoint(c)).toMatchObject({ position: at(12), eventsApplied: 2 });
      // Awaited one after the other, each is a transaction of its own.
      await store.commit(a, at(13), 1, []);
      await store.commit(c, at(14), 1, []);
      expect(commitsInWal(file) - before).toBe(3);
    });

    it('roll a failing batch back alone: its documents and checkpoint stay, the others are written', async () => {
      const store = open(newFile());
      const collection = newCollectionName();
      const [a, b, c, d] = [newProjectionName(), newProjectionName(), newProjectionName(), newProjectionName()];
      await store.commit(b, at(1), 1, [{ kind: 'upsert', collection, id: 'text', set: { n: 'not a number' } }]);
      // A failure while writing, after the batch's first document is written (an increment of text fails before).
      connectionOf(store).exec(
        `CREATE TRIGGER refuse_poison BEFORE INSERT ON documents WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END`,
      );

      const [first, failedEarly, failedWriting, last] = await Promise.allSettled([
        store.commit(a, at(2), 1, [{ kind: 'upsert', collection, id: 'a', set: { n: 1 } }]),
        store.commit(b, at(2), 2, [
          { kind: 'upsert', collection, id: 'b', set: { n: 1 } },
          { kind: 'increment', collection, id: 'text', by: { n: 1 } },
        ]),
        store.commit(d, at(2), 2, [
          { kind: 'upsert', collection, id: 'd', set: { n: 1 } },
          { kind: 'upsert', collection, id: 'poison', set: { n: 1 } },
        ]),
        store.commit(c, at(2), 1, [{ kind: 'upsert', collection, id: 'c', set: { n: 1 } }]),
      ]);

      expect(first).toEqual({ status: 'fulfilled', value: true });
      expect(last).toEqual({ status: 'fulfilled', value: true });
      expect(failedEarly).toMatchObject({ status: 'rejected', reason: expect.any(NonNumericIncrementError) });
      expect(failedWriting).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: 'poison refused' }) });
      expect(await store.get(collection, 'b')).toBeNull();
      expect(await store.get(collection, 'd')).toBeNull();
      expect(await store.get(collection, 'text')).toEqual({ _id: 'text', n: 'not a number' });
      expect(await store.checkpoint(b)).toMatchObject({ position: at(1), eventsApplied: 1 });
      expect(await store.checkpoint(d)).toBeNull();
      expect(await store.get(collection, 'a')).toEqual({ _id: 'a', n: 1 });
      expect(await store.get(collection, 'c')).toEqual({ _id: 'c', n: 1 });
      // A failed projection commits again once its batch can be written.
      expect(await store.commit(b, at(2), 1, [{ kind: 'upsert', collection, id: 'b', set: { n: 1 } }])).toBe(true);
      expect(await store.commit(d, at(2), 1, [{ kind: 'upsert', collection, id: 'd', set: { n: 1 } }])).toBe(true);
    });

    it('fail together when the transaction cannot be written (the write lock held elsewhere), and nothing is written', async () => {
      const file = newFile();
      const store = open(file);
      const collection = newCollectionName();
      const [a, b] = [newProjectionName(), newProjectionName()];
      connectionOf(store).pragma('busy_timeout = 50');
      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      let outcomes: PromiseSettledResult<boolean>[];
      try {
        outcomes = await Promise.allSettled([
          store.commit(a, at(1), 1, [{ kind: 'upsert', collection, id: 'a', set: { n: 1 } }]),
          store.commit(b, at(1), 1, [{ kind: 'upsert', collection, id: 'b', set: { n: 1 } }]),
        ]);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ReadStoreUnavailableError);
      }
      expect(await store.count(collection)).toBe(0);
      expect(await store.checkpoint(a)).toBeNull();
      expect(await store.checkpoint(b)).toBeNull();
    });

    it('are written before the store closes when close() is called first', async () => {
      const file = newFile();
      const store = SqliteReadStore.open(file);
      const collection = newCollectionName();
      const projection = newProjectionName();
      const committed = store.commit(projection, at(3), 1, [{ kind: 'upsert', collection, id: 'kept', set: { n: 1 } }]);
      await store.close();
      await expect(committed).resolves.toBe(true);

      const reopened = open(file);
      expect(await reopened.get(collection, 'kept')).toEqual({ _id: 'kept', n: 1 });
      expect(await reopened.checkpoint(projection)).toMatchObject({ position: at(3) });
    });
  });

  it('maps a write lock held by another process past the busy timeout to ReadStoreUnavailableError', async () => {
    const file = newFile();
    const store = open(file);
    const projection = newProjectionName();
    connectionOf(store).pragma('busy_timeout = 50'); // not 5 s in a test
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = await store.commit(projection, at(1), 1, []).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(ReadStoreUnavailableError);
      expect(error).toMatchObject({ message: expect.stringContaining('SQLITE_BUSY') });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await store.commit(projection, at(1), 1, [])).toBe(true);
  });
});
