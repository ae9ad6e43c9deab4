import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from './sqlite-event-store';
import { WalCheckpointer } from './wal-checkpointer';

const INTERVAL_MS = 20;

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A writer like the stores' (WAL, synchronous NORMAL) whose own automatic checkpoints are off, so only the worker copies. */
function openWriter(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  return db;
}

/** Commits `count` rows of 1 KB each in one transaction: some 250 WAL pages for 1,000. */
function writeRows(db: Database.Database, count: number): void {
  const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run('x'.repeat(1000));
  })();
}

describe('WalCheckpointer (a worker thread copying the WAL into the database)', () => {
  let dir: string;
  let file: string;
  const started: WalCheckpointer[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
    file = join(dir, 'data.db');
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((checkpointer) => checkpointer.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (path = file) => {
    const checkpointer = WalCheckpointer.start(path, { synchronous: 'NORMAL', intervalMs: INTERVAL_MS });
    started.push(checkpointer);
    return checkpointer;
  };

  it('given commits left in the WAL, when the worker runs, then their pages reach the database file', async () => {
    const writer = openWriter(file);
    writeRows(writer, 2000);
    const before = statSync(file).size;
    expect(before).toBeLessThan(100_000); // only the schema page: the rows are in the WAL

    const checkpointer = start();
    await until(() => statSync(file).size > 2_000_000, 'the rows to be copied into the database file');

    await until(() => checkpointer.status.copying >= 1, 'the worker to report the copy');
    expect(checkpointer.status.lastError).toBeNull();
    // Nothing written since: the runs that follow copy nothing, and say so.
    const { runs, copying } = checkpointer.status;
    await until(() => checkpointer.status.runs >= runs + 3, 'three more runs');
    expect(checkpointer.status.copying).toBe(copying);
    writer.close();
  });

  it('given a writer that pauses between commits, when the worker keeps up, then the WAL starts over instead of growing', async () => {
    const writer = openWriter(file);
    start();
    let largestWal = 0;
    for (let round = 0; round < 30; round++) {
      writeRows(writer, 200); // ~200 KB a commit, 6 MB in all
      largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 3));
    }
    // Without the worker (the writer's own checkpoints off) the WAL would hold all 6 MB.
    expect(largestWal).toBeLessThan(2_000_000);
    expect(writer.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(6000);
    expect(writer.pragma('integrity_check', { simple: true })).toBe('ok');
    writer.close();
  });

  it('given commits that never pause, when the worker copies meanwhile, then every row is there and the file is sound', async () => {
    const writer = openWriter(file);
    start();
    for (let round = 0; round < 40; round++) {
      writeRows(writer, 100);
      if (round % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 5));
    writer.close();

    const reopened = new Database(file, { readonly: true });
    expect(reopened.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(4000);
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    reopened.close();
  });

  it('given a file that is not there, when it starts, then it reports the failure and stops cleanly', async () => {
    const checkpointer = start(join(dir, 'missing.db'));
    await until(() => checkpointer.status.lastError !== null, 'the failure to be reported');
    expect(checkpointer.status.lastError).toMatch(/unable to open|does not exist|no such file/i);
    await checkpointer.stop();
    await checkpointer.stop(); // twice: still fine
  });

  it('given nothing else for the process to do, when stop is awaited, then the process waits for it to finish', () => {
    // The thread is unreferenced (it never keeps a process alive); stop must hold the process until the thread ended,
    // or `await store.close()` in a script's last step would let it exit in the middle.
    const writer = openWriter(file);
    writeRows(writer, 10);
    writer.close();
    const script = `
      const { WalCheckpointer } = require(${JSON.stringify(join(__dirname, 'wal-checkpointer'))});
      const checkpointer = WalCheckpointer.start(${JSON.stringify(file)}, { synchronous: 'NORMAL', intervalMs: 20 });
      checkpointer.stop().then(() => console.log('stopped'));
    `;
    const output = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(output.trim()).toBe('stopped');
  });
});

describe('SqliteEventStore with checkpointInBackground', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a checkpointer for a writable file only, and stops it on close', async () => {
    const file = join(dir, 'events.db');
    const store = SqliteEventStore.open(file, { checkpointInBackground: true });
    const plain = SqliteEventStore.open(join(dir, 'other.db'));
    const memory = SqliteEventStore.open(':memory:', { checkpointInBackground: true });
    const reader = SqliteEventStore.open(file, { readonly: true, checkpointInBackground: true });
    try {
      expect(store.checkpointer).not.toBeNull();
      expect(plain.checkpointer).toBeNull();
      expect(memory.checkpointer).toBeNull();
      expect(reader.checkpointer).toBeNull();

      await store.appendToStream('card-1', [{ id: '7f1d0c7e-4f8a-4a53-9b1e-0d6a2f3c9e11', type: 'CardIssued', data: { cardId: '1' }, metadata: {} }], {
        expectedRevision: 'no_stream',
      });
      const checkpointer = store.checkpointer!;
      await until(() => checkpointer.status.runs >= 2, 'two checkpoints');
      expect(checkpointer.status.lastError).toBeNull();
      expect((await store.readStream('card-1')).map((e) => e.type)).toEqual(['CardIssued']);
    } finally {
      await Promise.all([reader.close(), memory.close(), plain.close()]);
      await store.close();
    }
  });
});
