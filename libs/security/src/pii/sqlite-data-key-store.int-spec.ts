import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataKeyStoreUnavailableError } from './errors';
import type { WrappedKey } from './key-store.port';
import { SqliteDataKeyStore } from './sqlite-data-key-store';
import { anErasure, describeDataKeyStoreContract, newMasterKeyId, newSubjectId, randomWrappedKey } from './testing/data-key-store.contract';
import { commitsInWal } from '@cards/event-store/testing/wal-commits';

const directory = mkdtempSync(join(tmpdir(), 'pii-keys-sqlite-'));
let files = 0;
const newFile = (): string => join(directory, `store-${++files}`, 'keys.db');

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describeDataKeyStoreContract('sqlite (temp file)', async () => SqliteDataKeyStore.open(newFile()));
describeDataKeyStoreContract('sqlite (in memory)', async () => SqliteDataKeyStore.open(':memory:'));

/** The bytes of the database and its WAL, as a copy of the directory would hold them. */
function fileBytes(file: string): Buffer[] {
  return [file, `${file}-wal`, `${file}-journal`].filter((path) => existsSync(path)).map((path) => readFileSync(path));
}

/** Every form in which a wrapped key could be lying around: its bytes and its base64 text. */
function tracesOf(wrapped: WrappedKey): Buffer[] {
  return (['iv', 'ciphertext', 'tag'] as const).flatMap((part) => [Buffer.from(wrapped[part], 'base64'), Buffer.from(wrapped[part], 'utf8')]);
}

function foundIn(files: readonly Buffer[], needles: readonly Buffer[]): boolean {
  return files.some((bytes) => needles.some((needle) => bytes.includes(needle)));
}

describe('SqliteDataKeyStore', () => {
  const opened: SqliteDataKeyStore[] = [];
  const open = (file: string): SqliteDataKeyStore => {
    const store = SqliteDataKeyStore.open(file);
    opened.push(store);
    return store;
  };
  const connectionOf = (store: SqliteDataKeyStore): Database.Database => (store as unknown as { db: Database.Database }).db;

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('runs with WAL, synchronous=FULL, secure_delete and a busy timeout, in a file only its owner can read', () => {
    const file = newFile();
    const db = connectionOf(open(file));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(Number(db.pragma('synchronous', { simple: true }))).toBe(2);
    expect(Number(db.pragma('secure_delete', { simple: true }))).toBe(1);
    expect(Number(db.pragma('busy_timeout', { simple: true }))).toBe(5000);
    expect(Number(db.pragma('user_version', { simple: true }))).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps keys and tombstones across close and reopen', async () => {
    const file = newFile();
    const first = open(file);
    const kept = newSubjectId();
    const erased = newSubjectId();
    const wrapped = randomWrappedKey(newMasterKeyId());
    await first.create(kept, wrapped);
    await first.create(erased, randomWrappedKey(newMasterKeyId()));
    await first.destroy(erased, anErasure());
    await first.close();

    const reopened = open(file);
    expect(await reopened.get(kept)).toEqual(wrapped);
    expect(await reopened.get(erased)).toBe('erased');
    expect(await reopened.erasureOf(erased)).toEqual(anErasure());
  });

  it('refuses a file with a schema version it does not know', () => {
    const file = newFile();
    open(file);
    const db = new Database(file);
    db.pragma('user_version = 7');
    db.close();
    expect(() => SqliteDataKeyStore.open(file)).toThrow(/schema version 7/);
  });

  describe('after destroy', () => {
    it('leaves no byte of the destroyed keys in the database or WAL files, while open and after close', async () => {
      const file = newFile();
      const store = open(file);
      const masterKeyId = newMasterKeyId();
      const keys = Array.from({ length: 300 }, () => ({ subject: newSubjectId(), wrapped: randomWrappedKey(masterKeyId) }));
      for (const { subject, wrapped } of keys) await store.create(subject, wrapped);
      const destroyed = keys.filter((_, index) => index % 3 !== 1);
      const kept = keys.filter((_, index) => index % 3 === 1);
      // The scan does find keys that are there (so its silence below means something).
      expect(foundIn(fileBytes(file), tracesOf(destroyed[0].wrapped))).toBe(true);

      for (const { subject } of destroyed) await store.destroy(subject, anErasure());

      let bytes = fileBytes(file);
      for (const { wrapped } of destroyed) expect(foundIn(bytes, tracesOf(wrapped))).toBe(false);
      for (const { wrapped } of kept) expect(bytes.some((b) => b.includes(Buffer.from(wrapped.ciphertext, 'base64')))).toBe(true);
      expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);

      await store.close();
      bytes = fileBytes(file);
      for (const { wrapped } of destroyed) expect(foundIn(bytes, tracesOf(wrapped))).toBe(false);
    });

    it('wipes the WAL later when another connection holds it during the destroy', async () => {
      const file = newFile();
      const store = open(file);
      connectionOf(store).pragma('busy_timeout = 50');
      const subject = newSubjectId();
      const wrapped = randomWrappedKey(newMasterKeyId());
      await store.create(subject, wrapped);

      // A reader in the middle of a transaction pins the WAL: the checkpoint after the destroy cannot finish.
      const reader = new Database(file);
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM data_keys').get();
      await store.destroy(subject, anErasure());
      expect(await store.get(subject)).toBe('erased');
      expect((store as unknown as { wipePending: boolean }).wipePending).toBe(true);
      reader.exec('COMMIT');
      reader.close();

      await store.close();
      expect(foundIn(fileBytes(file), tracesOf(wrapped))).toBe(false);
    });
  });

  describe('group commit: the creates asked for in one turn of the event loop', () => {
    it('are written by one transaction, each answering for its own subject', async () => {
      const file = newFile();
      const store = open(file);
      const master = newMasterKeyId();
      const [fresh, other, again, conflicting, erased] = [newSubjectId(), newSubjectId(), newSubjectId(), newSubjectId(), newSubjectId()];
      const kept = randomWrappedKey(master);
      await store.create(again, kept);
      await store.create(conflicting, randomWrappedKey(master));
      await store.destroy(erased, anErasure());
      const before = commitsInWal(file);

      const freshKey = randomWrappedKey(master);
      const outcomes = await Promise.allSettled([
        store.create(fresh, freshKey),
        store.create(again, kept),
        store.create(conflicting, randomWrappedKey(master)),
        store.create(erased, randomWrappedKey(master)),
        store.create(fresh, freshKey), // the same subject twice in one group: the second finds the first
        store.create(other, randomWrappedKey(master)),
      ]);

      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).name))).toEqual([
        'created',
        'unchanged',
        'DataKeyConflictError',
        'PersonalDataErasedError',
        'unchanged',
        'created',
      ]);
      // Two keys written (a refusal or an unchanged key writes nothing), by one COMMIT.
      expect(commitsInWal(file) - before).toBe(1);
      expect(await store.get(fresh)).toEqual(freshKey);
      expect(await store.get(erased)).toBe('erased');
    });

    it('keep the order of calls: a destroy right after a create destroys the key it created', async () => {
      const store = open(newFile());
      const subject = newSubjectId();
      const created = store.create(subject, randomWrappedKey(newMasterKeyId()));
      const destroyed = store.destroy(subject, anErasure());
      await expect(created).resolves.toBe('created');
      await expect(destroyed).resolves.toBe('destroyed');
      expect(await store.get(subject)).toBe('erased');
    });

    it('are written before the store closes when close() is called first', async () => {
      const file = newFile();
      const store = SqliteDataKeyStore.open(file);
      const subject = newSubjectId();
      const wrapped = randomWrappedKey(newMasterKeyId());
      const created = store.create(subject, wrapped);
      await store.close();
      await expect(created).resolves.toBe('created');
      expect(await open(file).get(subject)).toEqual(wrapped);
    });

    it('fail together when the transaction cannot be written, and none is stored', async () => {
      const file = newFile();
      const store = open(file);
      connectionOf(store).pragma('busy_timeout = 50');
      const subjects = [newSubjectId(), newSubjectId()];
      const writer = new Database(file);
      writer.exec('BEGIN IMMEDIATE');
      let outcomes: PromiseSettledResult<unknown>[];
      try {
        outcomes = await Promise.allSettled(subjects.map((subject) => store.create(subject, randomWrappedKey(newMasterKeyId()))));
      } finally {
        writer.exec('ROLLBACK');
        writer.close();
      }
      for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(DataKeyStoreUnavailableError) });
      for (const subject of subjects) expect(await store.get(subject)).toBeNull();
    });
  });

  it('maps a closed database to DataKeyStoreUnavailableError', async () => {
    const store = open(newFile());
    connectionOf(store).close();
    const subject = newSubjectId();
    const wrapped = randomWrappedKey(newMasterKeyId());
    for (const call of [
      () => store.get(subject),
      () => store.create(subject, wrapped),
      () => store.destroy(subject, anErasure()),
      () => store.erasureOf(subject),
      () => store.listWrappedUnder(wrapped.masterKeyId, 10),
      () => store.countWrappedUnder(wrapped.masterKeyId),
      () => store.rewrap(subject, wrapped.masterKeyId, wrapped),
      () => store.ping(),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataKeyStoreUnavailableError);
      expect(error).toMatchObject({ code: 'DATA_KEY_STORE_UNAVAILABLE', message: expect.stringMatching(/^SQLite data key store \(.*keys\.db\) cannot /) });
    }
  });

  it('maps a file it cannot write to DataKeyStoreUnavailableError while reads still work', async () => {
    const file = newFile();
    const subject = newSubjectId();
    const store = open(file);
    await store.create(subject, randomWrappedKey(newMasterKeyId()));
    // Another connection holds the write lock for longer than the busy timeout.
    connectionOf(store).pragma('busy_timeout = 50');
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const error = await store.create(newSubjectId(), randomWrappedKey(newMasterKeyId())).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataKeyStoreUnavailableError);
      expect((error as DataKeyStoreUnavailableError).cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
      expect(await store.get(subject)).not.toBeNull();
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });
});
