import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { SqliteEventStore } from '@cards/event-store';
import { loadAppConfig } from '@cards/platform';
import { SqliteReadStore } from '@cards/read-store';
import { ROLES, SqliteDataKeyStore, TokenMinter } from '@cards/security';
import { verifyAll } from '../../card-cli/src/verify-all';
import { CUSTOMER, freshResidentId, TEST_JWT_SECRET, TEST_SUBJECT, type TestApp } from './support/test-app';
import { activeDebitCard } from './support/lifecycle-steps';
import { send, serviceEnv, startService, type Answer, type ServiceProcess } from './support/service-process';

jest.setTimeout(120_000);

const PROBLEM = /application\/problem\+json/;
const STORE_FILES = ['events.db', 'read-models.db', 'keys.db'];
const BURST = 24;
const BURST_LANES = 4;

/**
 * Issue 9 §3, "DATA_DIR read-only", both ways it happens:
 * 1. at run time, as ext4's errors=remount-ro does it to a running service: simulated with an LD_PRELOAD shim
 *    (support/erofs-shim.c), because Linux refuses to remount a file system read-only while files on it are open
 *    for writing. While a trigger file exists, every write, fsync, truncation, creation and access(W_OK) on DATA_DIR
 *    fails with EROFS in the card-api process, as after a real remount; reads go on.
 * 2. at start, a volume mounted read-only by mistake: a real read-only bind mount (needs root and mount).
 */

const env = serviceEnv;

/** Compiles the shim with the C compiler; null with the reason when it cannot be. */
function buildShim(outDir: string): { so: string } | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'not Linux (the shim is an LD_PRELOAD library for glibc)' };
  const so = path.join(outDir, 'erofs-shim.so');
  const built = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', so, path.join(__dirname, 'support', 'erofs-shim.c'), '-ldl', '-lpthread'], { encoding: 'utf8' });
  if (built.error) return { skip: `no C compiler (cc): ${built.error.message}` };
  if (built.status !== 0) throw new Error(`erofs-shim.c did not compile:\n${built.stderr}`);
  return { so };
}

/** What is in the three files, read through connections of the test's own (no shim here). */
function snapshot(dataDir: string): { events: string; head: number; checkpoints: string; documents: string; keys: number } {
  const open = (file: string) => new Database(path.join(dataDir, file), { readonly: true });
  const events = open('events.db');
  const reads = open('read-models.db');
  const keys = open('keys.db');
  try {
    const rows = events.prepare('SELECT position, stream_id, revision, event_id FROM events ORDER BY position').raw().all();
    const documents = reads.prepare('SELECT collection, id, body FROM documents ORDER BY collection, id').raw().all();
    return {
      events: sha(rows),
      head: rows.length === 0 ? 0 : Number((rows[rows.length - 1] as unknown[])[0]),
      checkpoints: JSON.stringify(reads.prepare('SELECT projection, commit_position, events_applied FROM checkpoints ORDER BY projection').raw().all()),
      documents: sha(documents),
      keys: Number(keys.prepare('SELECT count(*) FROM data_keys').pluck().get()),
    };
  } finally {
    events.close();
    reads.close();
    keys.close();
  }
}

const sha = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

interface StoredEvent {
  readonly position: number;
  readonly streamId: string;
  readonly revision: number;
  readonly type: string;
  readonly idempotencyKey?: string;
}

function allEvents(dataDir: string): StoredEvent[] {
  const db = new Database(path.join(dataDir, 'events.db'), { readonly: true });
  try {
    return (db.prepare('SELECT position, stream_id, revision, type, metadata FROM events ORDER BY position').all() as Array<Record<string, unknown>>).map((row) => ({
      position: Number(row.position),
      streamId: String(row.stream_id),
      revision: Number(row.revision),
      type: String(row.type),
      idempotencyKey: (JSON.parse(String(row.metadata)) as { idempotencyKey?: string }).idempotencyKey,
    }));
  } finally {
    db.close();
  }
}

function integrity(dataDir: string): Record<string, unknown> {
  return Object.fromEntries(
    STORE_FILES.map((file) => {
      const db = new Database(path.join(dataDir, file), { readonly: true });
      try {
        return [file, db.pragma('integrity_check', { simple: true })];
      } finally {
        db.close();
      }
    }),
  );
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-rofs-work-'));
const shim = buildShim(work);
if ('skip' in shim) {
  // eslint-disable-next-line no-console
  console.warn(`read-only-data-dir.e2e-spec (run time): skipped (${shim.skip})`);
}
const describeWithShim = 'so' in shim ? describe : describe.skip;

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describeWithShim('DATA_DIR turns read-only while card-api runs (errors=remount-ro), then writable again', () => {
  // The real path: the shim compares it with the targets of the process's descriptors.
  const dataDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-rofs-')));
  const trigger = path.join(work, 'read-only-now');
  const logFile = path.join(work, 'card-api.out');
  let api: ServiceProcess | undefined;

  afterAll(async () => {
    fs.rmSync(trigger, { force: true });
    if (api && api.child.exitCode === null && api.child.signalCode === null) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('commands answer 503 naming the store, readiness turns red, reads go on, nothing is half-written, and it all works again without a restart', async () => {
    // The test's config makes the development keys in DATA_DIR first; the service reads the same file.
    const config = loadAppConfig(env(dataDir));
    api = await startService('apps/card-api/src/main.ts', env(dataDir, { LD_PRELOAD: (shim as { so: string }).so, EROFS_DIR: dataDir, EROFS_TRIGGER: trigger }), logFile, '/health/ready');
    const token = await TokenMinter.forSecret(TEST_JWT_SECRET).mint({ subject: TEST_SUBJECT, roles: ROLES, ttlSeconds: 3600 });
    const auth = { authorization: `Bearer ${token}` };
    const url = api.url;
    const t = { config, http: () => request.agent(url).set('Authorization', `Bearer ${token}`) } as unknown as TestApp;
    const command = (method: string, route: string, body: unknown, key: string): Promise<Answer> => send(`${url}${route}`, method, { ...auth, 'idempotency-key': key }, body);
    const json = (answer: Answer) => JSON.parse(answer.body || '{}') as Record<string, unknown>;
    /** Every acknowledged command: its key, and the events it wrote (a registration claims the id document first). */
    const acknowledged = new Map<string, readonly string[]>();
    const REGISTRATION = ['IdNumberClaimed', 'CustomerRegistered'];

    async function projectionsCaughtUp(): Promise<void> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const answer = await send(`${url}/v1/projections`, 'GET', auth);
        const items = (json(answer).items ?? []) as Array<{ name: string; lagEvents: number }>;
        if (answer.status === 200 && items.length > 0 && items.every((p) => p.lagEvents === 0)) return;
        if (Date.now() > deadline) throw new Error(`projections did not catch up: ${answer.body}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    /** Waits until nothing more is written (the notification reactor included) and the projections are at the head. */
    async function quiescent(): Promise<void> {
      let last = snapshot(dataDir).head;
      for (;;) {
        await projectionsCaughtUp();
        await new Promise((r) => setTimeout(r, 400));
        const head = snapshot(dataDir).head;
        if (head === last) return;
        last = head;
      }
    }

    // Healthy: two active cards, one with an open dispute.
    const suspended = await activeDebitCard(t);
    const disputed = await activeDebitCard(t);
    const dispute = await send(`${url}/v1/cards/${disputed.cardId}/disputes`, 'POST', auth, { reason: 'FRAUD', description: 'Not me' });
    expect(dispute.status).toBe(201);
    const disputeId = json(dispute).disputeId as string;
    await quiescent();

    // A burst of registrations, four at a time; the file system turns read-only in the middle of it.
    const burst = Array.from({ length: BURST }, () => ({ key: randomUUID(), body: { ...CUSTOMER, idNumber: freshResidentId() } }));
    const burstAnswers = new Map<string, Answer>();
    let answered = 0;
    await Promise.all(
      Array.from({ length: BURST_LANES }, async (_, lane) => {
        for (let i = lane; i < BURST; i += BURST_LANES) {
          const answer = await command('POST', '/v1/customers', burst[i].body, burst[i].key);
          burstAnswers.set(burst[i].key, answer);
          if (++answered === BURST / 3) fs.writeFileSync(trigger, '');
        }
      }),
    );
    const burstOutcomes = [...burstAnswers.values()].map((a) => `${a.status} ${String(json(a).code ?? '')}`.trim());
    for (const [key, answer] of burstAnswers) {
      expect([201, 503]).toContain(answer.status);
      if (answer.status === 201) acknowledged.set(key, REGISTRATION);
      else expect(answer.headers['retry-after']).toBe('5');
    }
    expect(burstOutcomes.filter((o) => o === '201').length).toBeGreaterThanOrEqual(BURST / 3);
    expect(burstOutcomes.filter((o) => o.startsWith('503')).length).toBeGreaterThan(0);

    // From here on, every write is refused: nothing may change in the files.
    await new Promise((r) => setTimeout(r, 500));
    const before = snapshot(dataDir);

    // A one-event command.
    const suspendKey = randomUUID();
    const suspend = await command('POST', `/v1/cards/${suspended.cardId}/suspend`, { reason: 'Lost' }, suspendKey);
    expect(suspend.status).toBe(503);
    expect(suspend.headers['content-type']).toMatch(PROBLEM);
    expect(suspend.headers['retry-after']).toBe('5');
    expect(json(suspend)).toMatchObject({ status: 503, code: 'EVENT_STORE_UNAVAILABLE', title: 'Service unavailable', detail: expect.stringMatching(/nothing was written/) });
    // A two-event command (DisputeResolved + CardCancelled): all or nothing.
    const resolutionKey = randomUUID();
    const resolution = { outcome: 'UPHELD', note: 'Fraud confirmed' };
    const upheld = await command('POST', `/v1/cards/${disputed.cardId}/disputes/${disputeId}/resolution`, resolution, resolutionKey);
    expect(upheld.status).toBe(503);
    expect(upheld.headers['retry-after']).toBe('5');
    expect(json(upheld).code).toBe('EVENT_STORE_UNAVAILABLE');
    // A registration: a new data key in keys.db first, then the event.
    const registration = { key: randomUUID(), body: { ...CUSTOMER, idNumber: freshResidentId() } };
    const register = await command('POST', '/v1/customers', registration.body, registration.key);
    expect(register.status).toBe(503);
    expect(register.headers['content-type']).toMatch(PROBLEM);
    expect(register.headers['retry-after']).toBe('5');
    expect(['DATA_KEY_STORE_UNAVAILABLE', 'EVENT_STORE_UNAVAILABLE']).toContain(json(register).code);

    // Readiness is red and names both stores and why; liveness stays green; reads go on.
    const ready = await send(`${url}/health/ready`, 'GET');
    expect(ready.status).toBe(503);
    expect(ready.headers['content-type']).toMatch(PROBLEM);
    expect(ready.headers['retry-after']).toBe('5');
    expect(json(ready).detail).toMatch(/event store .*events\.db.* cannot write now: .* is not writable \(read-only file system\)/);
    expect(json(ready).detail).toMatch(/read store .*read-models\.db.* cannot write now: .* is not writable \(read-only file system\)/);
    expect((await send(`${url}/health`, 'GET')).status).toBe(200);
    const card = await send(`${url}/v1/cards/${suspended.cardId}`, 'GET', auth);
    expect(card.status).toBe(200);
    expect(json(card).status).toBe('ACTIVE');
    expect((await send(`${url}/v1/cards?limit=10`, 'GET', auth)).status).toBe(200);
    const projectionsDuring = json(await send(`${url}/v1/projections`, 'GET', auth));

    // The background loops (projections, lease, notices) had time to try too: the files are exactly as they were.
    await new Promise((r) => setTimeout(r, 1500));
    expect(snapshot(dataDir)).toEqual(before);

    // Writable again: the same process, no restart.
    fs.rmSync(trigger);
    const readyAgain = Date.now();
    for (;;) {
      if ((await send(`${url}/health/ready`, 'GET')).status === 200) break;
      if (Date.now() - readyAgain > 10_000) throw new Error('readiness stayed red after the file system became writable');
      await new Promise((r) => setTimeout(r, 100));
    }
    const readyAfterMs = Date.now() - readyAgain;

    // The refused commands, retried with their keys, are applied once.
    const suspendAgain = await command('POST', `/v1/cards/${suspended.cardId}/suspend`, { reason: 'Lost' }, suspendKey);
    expect(suspendAgain.status).toBe(200);
    expect(json(suspendAgain)).toMatchObject({ status: 'SUSPENDED' });
    acknowledged.set(suspendKey, ['CardSuspended']);
    const upheldAgain = await command('POST', `/v1/cards/${disputed.cardId}/disputes/${disputeId}/resolution`, resolution, resolutionKey);
    expect(upheldAgain.status).toBe(200);
    expect(json(upheldAgain)).toMatchObject({ status: 'CANCELLED' });
    acknowledged.set(resolutionKey, ['DisputeResolved', 'CardCancelled']);
    expect((await command('POST', '/v1/customers', registration.body, registration.key)).status).toBe(201);
    acknowledged.set(registration.key, REGISTRATION);
    for (const { key, body } of burst) {
      if (burstAnswers.get(key)!.status === 201) continue;
      const retried = await command('POST', '/v1/customers', body, key);
      expect({ key, status: retried.status }).toEqual({ key, status: 201 });
      acknowledged.set(key, REGISTRATION);
    }
    // And a new command of its own.
    const fresh = await command('POST', '/v1/customers', { ...CUSTOMER, idNumber: freshResidentId() }, randomUUID());
    expect(fresh.status).toBe(201);

    // The projections catch up by themselves.
    await quiescent();
    const caughtUpMs = Date.now() - readyAgain;
    const cards = json(await send(`${url}/v1/cards?status=SUSPENDED,CANCELLED&limit=100`, 'GET', auth));
    expect((cards.items as Array<{ cardId: string; status: string }>).map((c) => [c.cardId, c.status]).sort()).toEqual(
      [
        [suspended.cardId, 'SUSPENDED'],
        [disputed.cardId, 'CANCELLED'],
      ].sort(),
    );

    // The streams hold exactly the acknowledged commands: each key's events once, and one idempotency record per
    // key; every key sent was acknowledged in the end (the refused ones on their retry), so no event is left over.
    // A registration refused half-way (its claim written, the fault before CustomerRegistered) was completed by its
    // retry on that same claim.
    const events = allEvents(dataDir);
    const scoped = (key: string) => `${TEST_SUBJECT} ${key}`;
    const sentKeys = [...burst.map((b) => b.key), suspendKey, resolutionKey, registration.key];
    expect(sentKeys.filter((key) => !acknowledged.has(key))).toEqual([]);
    for (const [key, types] of acknowledged) {
      const own = events.filter((e) => e.idempotencyKey === scoped(key));
      expect({ key, types: own.map((e) => e.type) }).toEqual({ key, types });
      const record = `idempotency-${createHash('sha256').update(scoped(key)).digest('hex')}`;
      expect({ key, records: events.filter((e) => e.streamId === record).length }).toEqual({ key, records: 1 });
    }
    const completedOnRetry = burst.filter(({ key }) => burstAnswers.get(key)!.status !== 201 && events.some((e) => e.idempotencyKey === scoped(key) && e.position <= before.head)).length;
    const disputedStream = events.filter((e) => e.streamId === `card-${disputed.cardId}`);
    expect(disputedStream.map((e) => e.revision)).toEqual(disputedStream.map((_, i) => i));
    expect(disputedStream.slice(-2).map((e) => e.type)).toEqual(['DisputeResolved', 'CardCancelled']);
    for (const stream of new Set(events.map((e) => e.streamId))) {
      const revisions = events.filter((e) => e.streamId === stream).map((e) => e.revision);
      expect({ stream, revisions }).toEqual({ stream, revisions: revisions.map((_, i) => i) });
    }

    // Every hash chain verifies, and the files are sound.
    const verification = await verifyAll({ url, token: async () => token, pollMs: 100, progressOut: { isTTY: false, write: () => true } });
    expect(verification.exitCode).toBe(0);
    expect(integrity(dataDir)).toEqual(Object.fromEntries(STORE_FILES.map((f) => [f, 'ok'])));

    // What reached SQLite, and what the service made of it: no 500 anywhere.
    const log = api.log();
    const sqliteCodes = [...new Set(log.match(/SQLITE_[A-Z_]+/g) ?? [])].sort();
    const refusedCalls = [...new Set([...log.matchAll(/erofs-shim: refused (\w+) on (\S+)/g)].map((m) => `${m[1]} ${path.basename(m[2])}`))].sort();
    const problemCodes = [...new Set([...log.matchAll(/failed: ([A-Z_]+)/g)].map((m) => m[1]))].sort();
    expect(sqliteCodes.some((code) => /^SQLITE_(IOERR|READONLY|CANTOPEN)/.test(code))).toBe(true);
    expect(problemCodes).not.toContain('INTERNAL_ERROR');
    const projectionStates = ((projectionsDuring.items ?? []) as Array<{ name: string; state: string; lastError?: string | null }>).map((p) => `${p.name}:${p.state}`);
    // eslint-disable-next-line no-console
    console.log(
      [
        `burst of ${BURST} registrations: ${JSON.stringify(burstOutcomes.reduce<Record<string, number>>((n, o) => ({ ...n, [o]: (n[o] ?? 0) + 1 }), {}))}`,
        `SQLite error codes in the log: ${sqliteCodes.join(', ')}`,
        `calls the shim refused (first of each call on each file): ${refusedCalls.join('; ')}`,
        `5xx problems logged: ${problemCodes.join(', ')}`,
        `projections while read-only: ${projectionStates.join(', ')}`,
        `registrations refused half-way and completed by their retry: ${completedOnRetry}`,
        `ready again ${readyAfterMs} ms after the file system became writable, everything projected after ${caughtUpMs} ms; ${events.length} events, ${acknowledged.size} keyed commands acknowledged; verify --all: ${verification.message.split('\n')[0]}`,
      ].join('\n'),
    );
  });
});

/**
 * A read-only bind mount of a directory: `mount --bind dir ro && mount -o remount,bind,ro ro`. Needs root on Linux;
 * elsewhere the suite says why it is skipped.
 */
function readOnlyBindMount(source: string, target: string): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root: a bind mount needs root';
  const bind = spawnSync('mount', ['--bind', source, target], { encoding: 'utf8' });
  if (bind.status !== 0) return `mount --bind failed: ${bind.stderr.trim() || bind.error?.message}`;
  const ro = spawnSync('mount', ['-o', 'remount,bind,ro', target], { encoding: 'utf8' });
  if (ro.status !== 0) {
    spawnSync('umount', [target]);
    return `mount -o remount,bind,ro failed: ${ro.stderr.trim() || ro.error?.message}`;
  }
  return null;
}

const source = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-ro-source-'));
const mounted = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-ro-mount-'));
const mountSkip = readOnlyBindMount(source, mounted);
if (mountSkip !== null) {
  // eslint-disable-next-line no-console
  console.warn(`read-only-data-dir.e2e-spec (at start): skipped (${mountSkip})`);
}
const describeWithMount = mountSkip === null ? describe : describe.skip;

afterAll(() => {
  if (mountSkip === null) spawnSync('umount', [mounted]);
  fs.rmSync(mounted, { recursive: true, force: true });
  fs.rmSync(source, { recursive: true, force: true });
});

describeWithMount('DATA_DIR is mounted read-only when card-api starts', () => {
  it('exits 1 at once with one line naming DATA_DIR and the reason, writes nothing, and starts once the mount is writable', async () => {
    // A DATA_DIR that has been used: its stores and development keys exist, then it comes back read-only.
    expect(loadAppConfig(env(source)).dataDir).toBe(source);
    await SqliteEventStore.open(path.join(source, 'events.db')).close();
    await SqliteReadStore.open(path.join(source, 'read-models.db')).close();
    await SqliteDataKeyStore.open(path.join(source, 'keys.db')).close();
    const files = () => Object.fromEntries(fs.readdirSync(mounted).sort().map((f) => [f, sha(fs.readFileSync(path.join(mounted, f)))]));
    const filesBefore = files();
    expect(Object.keys(filesBefore)).toEqual(expect.arrayContaining(STORE_FILES));

    const started = Date.now();
    const failed = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/card-api/src/main.ts'], {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, TS_NODE_PROJECT: path.resolve(__dirname, '../../../tsconfig.json'), ...env(mounted), PORT: '0', HOST: '127.0.0.1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const elapsed = Date.now() - started;
    const output = `${failed.stdout}${failed.stderr}`;
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    // eslint-disable-next-line no-console
    console.log(`read-only DATA_DIR at start: exit ${failed.status ?? failed.signal} after ${elapsed} ms (ts-node start included); output:\n${output}`);
    expect({ status: failed.status, signal: failed.signal }).toEqual({ status: 1, signal: null });
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^card-api cannot start: DATA_DIR ${mounted} is not writable \\(read-only file system\\)`))]);
    expect(files()).toEqual(filesBefore);
    // Without its development keys yet, loading the configuration (which saves them there) names DATA_DIR too.
    const fresh = path.join(mounted, 'fresh');
    expect(() => loadAppConfig({ DATA_DIR: fresh })).toThrow(`DATA_DIR ${fresh} cannot be created: ${mounted} is not writable (read-only file system): the development keys cannot be saved there`);

    // Mounted read-write again, it starts and works.
    expect(spawnSync('mount', ['-o', 'remount,bind,rw', mounted]).status).toBe(0);
    const again = await startService('apps/card-api/src/main.ts', env(mounted), path.join(work, 'again.out'), '/health/ready');
    try {
      const token = await TokenMinter.forSecret(TEST_JWT_SECRET).mint({ subject: TEST_SUBJECT, roles: ROLES, ttlSeconds: 3600 });
      const registered = await send(`${again.url}/v1/customers`, 'POST', { authorization: `Bearer ${token}` }, { ...CUSTOMER, idNumber: freshResidentId() });
      expect(registered.status).toBe(201);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});
