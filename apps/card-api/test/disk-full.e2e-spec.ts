import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { EVENT_STORE, type EventStore, type Position } from '@cards/event-store';
import { READ_STORE, waitForProjections, type ReadStore } from '@cards/read-store';
import { loadAppConfig, ProjectionsHost } from '@cards/platform';
import { createCardApi } from '../src/app.factory';
import { countEvents, CUSTOMER, freshResidentId, httpClient, TEST_JWT_SECRET, TEST_SUBJECT, tokenMinterFor, type TestApp } from './support/test-app';
import { activeDebitCard } from './support/lifecycle-steps';
import { ROLES } from '@cards/security';

jest.setTimeout(90_000);

const PROBLEM = /application\/problem\+json/;
const MOUNT_SIZE = '24m';

/**
 * A real full disk: DATA_DIR on a small tmpfs of its own, filled to the last page by a file, so SQLite's writes
 * fail with ENOSPC (SQLITE_FULL) exactly as on a full production disk. Mounting needs root on Linux; elsewhere
 * the suite says why it is skipped (no other way makes a running process's open SQLite file refuse writes).
 */
function mountTmpfs(dir: string): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root: mounting a tmpfs needs root';
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_SIZE},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  return mounted.status === 0 ? null : `mount failed: ${mounted.stderr.trim() || mounted.error?.message}`;
}

/** Writes a file until the file system refuses another byte. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

const mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-full-'));
const skipReason = mountTmpfs(mountDir);
if (skipReason !== null) {
  // eslint-disable-next-line no-console
  console.warn(`disk-full.e2e-spec: skipped (${skipReason})`);
}
const describeWithTmpfs = skipReason === null ? describe : describe.skip;

describeWithTmpfs('the disk under DATA_DIR fills up while the service runs, then has room again', () => {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-full-log-'));
  const logFile = path.join(logDir, 'card-api.log');
  const filler = path.join(mountDir, 'filler');
  let t: TestApp;
  let eventStore: EventStore;
  let readStore: ReadStore;
  let projections: string[];

  beforeAll(async () => {
    const config = loadAppConfig({
      DATA_DIR: mountDir,
      LOG_LEVEL: 'info',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      // No signed audit checkpoint in the middle: the log holds the commands' events and the notices only.
      AUDIT_CHECKPOINT_EVERY: '10000000',
    });
    // The log goes elsewhere: this test is about the stores, and a log on the full disk would fail first.
    const destination = pino.destination({ dest: logFile, sync: true, append: true });
    const app = await createCardApi(config, { logDestination: destination });
    const minter = tokenMinterFor(config);
    const token = await minter.mint({ subject: TEST_SUBJECT, roles: ROLES, ttlSeconds: 3600 });
    t = {
      app,
      config,
      dataDir: mountDir,
      logFile,
      http: (given?: string | null) => httpClient(app, given === undefined ? token : given),
      token: () => Promise.resolve(token),
      close: async () => {
        await app.close();
        destination.flushSync();
      },
    };
    eventStore = app.get<EventStore>(EVENT_STORE);
    readStore = app.get<ReadStore>(READ_STORE);
    projections = app.get(ProjectionsHost).runner.projections.map((p) => p.name);
  });

  afterAll(async () => {
    fs.rmSync(filler, { force: true });
    await t?.close();
    spawnSync('umount', [mountDir]);
    fs.rmSync(mountDir, { recursive: true, force: true });
    fs.rmSync(logDir, { recursive: true, force: true });
  });

  /** Waits until nothing more is being written (the reactor's notices included) and every projection is at the head. */
  async function quiescent(): Promise<Position> {
    let last = await eventStore.headPosition();
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const head = await eventStore.headPosition();
      if (head?.commit === last?.commit && (await waitForProjections(readStore, head!, projections, 5_000))) return head!;
      last = head;
    }
    throw new Error('the service kept writing');
  }

  /**
   * A WAL that SQLite has started over keeps its size, and a commit that fits in it needs no new block: on a full disk
   * it succeeds (durably). The service's background checkpoints start its WALs over as soon as they are copied, so
   * without this the first commands after the disk filled would still find room. Emptied, every write needs room.
   */
  async function emptyWriteAheadLogs(): Promise<void> {
    for (const file of ['events.db', 'read-models.db', 'keys.db']) {
      const db = new Database(path.join(mountDir, file));
      try {
        let result: { busy: number; log: number } | undefined;
        for (let attempt = 0; attempt < 50; attempt++) {
          // Busy while the service's checkpoint worker copies at the same moment: again shortly.
          [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
          if (result.busy === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(result).toMatchObject({ busy: 0, log: 0 });
      } finally {
        db.close();
      }
      expect(fs.statSync(path.join(mountDir, `${file}-wal`)).size).toBe(0);
    }
  }

  async function checkpoints(): Promise<Record<string, string | undefined>> {
    const entries = await Promise.all(projections.map(async (name) => [name, (await readStore.checkpoint(name))?.position?.commit.toString()] as const));
    return Object.fromEntries(entries);
  }

  it('commands answer 503 with Retry-After and write nothing, readiness turns red naming the store, and everything resumes by itself once there is room', async () => {
    const suspended = await activeDebitCard(t);
    const disputed = await activeDebitCard(t);
    const dispute = await t.http().post(`/v1/cards/${disputed.cardId}/disputes`).send({ reason: 'FRAUD', description: 'Not me' }).expect(201);
    await t.http().get('/health/ready').expect(200);
    await quiescent();

    await emptyWriteAheadLogs();
    fillDisk(filler);
    const eventsBefore = await countEvents(eventStore);
    const headBefore = await eventStore.headPosition();
    const checkpointsBefore = await checkpoints();
    const cardsBefore = await readStore.count('cards');
    const disputedStream = await eventStore.readStream(`card-${disputed.cardId}`);

    // A one-event command.
    const suspend = await t.http().post(`/v1/cards/${suspended.cardId}/suspend`).send({ reason: 'Lost' });
    expect(suspend.status).toBe(503);
    expect(suspend.headers['content-type']).toMatch(PROBLEM);
    expect(suspend.headers['retry-after']).toBe('5');
    expect(suspend.body).toMatchObject({ status: 503, code: 'EVENT_STORE_UNAVAILABLE', title: 'Service unavailable', detail: expect.stringMatching(/nothing was written/) });
    // A two-event command (DisputeResolved + CardCancelled): all or nothing.
    const upheld = await t.http().post(`/v1/cards/${disputed.cardId}/disputes/${dispute.body.disputeId}/resolution`).send({ outcome: 'UPHELD', note: 'Fraud confirmed' });
    expect(upheld.status).toBe(503);
    expect(upheld.headers['retry-after']).toBe('5');
    expect(upheld.body.code).toBe('EVENT_STORE_UNAVAILABLE');
    // A registration, whose personal data needs a new data key (keys.db, on the same disk) before any event.
    const register = await t.http().post('/v1/customers').send({ ...CUSTOMER, idNumber: freshResidentId() });
    expect(register.status).toBe(503);
    expect(register.headers['content-type']).toMatch(PROBLEM);
    expect(register.headers['retry-after']).toBe('5');
    expect(['DATA_KEY_STORE_UNAVAILABLE', 'EVENT_STORE_UNAVAILABLE']).toContain(register.body.code);

    // Readiness is red and says which store and why; liveness stays green, reads still work.
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers['content-type']).toMatch(PROBLEM);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.body.detail).toMatch(/event store .*events\.db.* cannot write now: the disk of .* is full/);
    expect(ready.body.detail).toMatch(/read store .*read-models\.db.* cannot write now: the disk of .* is full/);
    await t.http().get('/health').expect(200);
    await t.http().get(`/v1/cards/${suspended.cardId}`).expect(200);

    // Nothing was half-written: not an event, not a read model, not one of the two events of the resolution.
    expect(await countEvents(eventStore)).toBe(eventsBefore);
    expect(await eventStore.headPosition()).toEqual(headBefore);
    expect(await eventStore.readStream(`card-${disputed.cardId}`)).toEqual(disputedStream);
    expect(await checkpoints()).toEqual(checkpointsBefore);
    expect(await readStore.count('cards')).toBe(cardsBefore);

    // Room again: no restart, the same process.
    fs.rmSync(filler);
    await t.http().get('/health/ready').expect(200);
    const again = await t.http().post(`/v1/cards/${suspended.cardId}/suspend`).send({ reason: 'Lost' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'SUSPENDED', revision: 4 });
    const resolved = await t.http().post(`/v1/cards/${disputed.cardId}/disputes/${dispute.body.disputeId}/resolution`).send({ outcome: 'UPHELD', note: 'Fraud confirmed' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'CANCELLED', revision: disputedStream.length + 1 });
    const resolvedStream = await eventStore.readStream(`card-${disputed.cardId}`);
    expect(resolvedStream.slice(disputedStream.length).map((e) => [e.type, Number(e.revision)])).toEqual([
      ['DisputeResolved', disputedStream.length],
      ['CardCancelled', disputedStream.length + 1],
    ]);
    await t.http().post('/v1/customers').send({ ...CUSTOMER, idNumber: freshResidentId() }).expect(201);

    // The projections catch up by themselves, and count every event once.
    const head = await quiescent();
    expect(await waitForProjections(readStore, head, projections, 30_000)).toBe(true);
    const cards = await t.http().get(`/v1/cards?status=SUSPENDED,CANCELLED&limit=100`).expect(200);
    expect(cards.body.items.map((c: { cardId: string; status: string }) => [c.cardId, c.status]).sort()).toEqual(
      [
        [suspended.cardId, 'SUSPENDED'],
        [disputed.cardId, 'CANCELLED'],
      ].sort(),
    );
    for (const name of projections) {
      expect({ name, applied: (await readStore.checkpoint(name))?.eventsApplied }).toEqual({ name, applied: await countEvents(eventStore) });
    }

    // The files are sound.
    for (const file of ['events.db', 'read-models.db', 'keys.db']) {
      const db = new Database(path.join(mountDir, file), { readonly: true });
      try {
        expect({ file, check: db.pragma('integrity_check', { simple: true }) }).toEqual({ file, check: 'ok' });
      } finally {
        db.close();
      }
    }
  });
});
