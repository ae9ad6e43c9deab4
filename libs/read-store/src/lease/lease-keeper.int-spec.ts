import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isDeadLocalHolder, LeaseKeeper, newHolderId, ReadStoreUnavailableError, SqliteReadStore, type LeasedWork, type ReadStore } from '@cards/read-store';

/**
 * Two keepers on one SQLite file, each with its own connection, stand for two processes started on one DATA_DIR.
 * What the work did is recorded in one journal, so the tests check the order of starts and stops, not their timing.
 */
const directory = mkdtempSync(join(tmpdir(), 'lease-keeper-'));
let files = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A store whose lease calls fail while `broken` is set: the process cut off from the store, or paused. */
function breakable(store: ReadStore): { store: ReadStore; broken: { value: boolean } } {
  const broken = { value: false };
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'acquireLease' && broken.value) {
        return async () => {
          throw new ReadStoreUnavailableError('cut off (test)');
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, broken };
}

type Entry = { who: string; what: 'start' | 'stop'; at: number; expiresAt?: number };

describe('LeaseKeeper on one SQLite read store shared by two processes', () => {
  const stores: SqliteReadStore[] = [];
  const keepers: LeaseKeeper[] = [];
  let file: string;
  let journal: Entry[];

  beforeEach(() => {
    file = join(directory, `store-${++files}`, 'read-models.db');
    journal = [];
  });
  afterEach(async () => {
    await Promise.all(keepers.splice(0).map((keeper) => keeper.stop()));
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  function startProcess(who: string, ttlMs: number, wrap?: (store: ReadStore) => ReadStore): { keeper: LeaseKeeper; store: SqliteReadStore } {
    const store = SqliteReadStore.open(file);
    stores.push(store);
    const keeper = new LeaseKeeper(wrap ? wrap(store) : store, { ttlMs, holderId: `${who}:1:00` });
    keepers.push(keeper);
    return { keeper, store };
  }

  function work(who: string, store: ReadStore): LeasedWork & { running: boolean } {
    const w = {
      name: `work of ${who}`,
      running: false,
      start: () => {
        w.running = true;
        journal.push({ who, what: 'start', at: Date.now() });
      },
      stop: async () => {
        w.running = false;
        const lease = await store.lease('projections');
        journal.push({ who, what: 'stop', at: Date.now(), expiresAt: lease ? Date.parse(lease.expiresAt) : undefined });
      },
    };
    return w;
  }

  it('runs the work in the first process only; the second waits on standby and says who holds the lease', async () => {
    const a = startProcess('a', 60_000);
    const b = startProcess('b', 60_000);
    const workA = work('a', a.store);
    const workB = work('b', b.store);
    a.keeper.register(workA);
    await a.keeper.start();
    b.keeper.register(workB);
    await b.keeper.start();

    expect(workA.running).toBe(true);
    expect(workB.running).toBe(false);
    expect(a.keeper.holds()).toBe(true);
    expect(b.keeper.holds()).toBe(false);
    expect(await a.keeper.status()).toMatchObject({ holder: 'a:1:00', heldByThisProcess: true, role: 'active', thisProcess: 'a:1:00', expired: false });
    expect(await b.keeper.status()).toMatchObject({ holder: 'a:1:00', heldByThisProcess: false, role: 'standby', thisProcess: 'b:1:00' });
  });

  it('hands over on a graceful stop: the work stops, the lease is released, and the standby process takes it', async () => {
    const a = startProcess('a', 900);
    const b = startProcess('b', 900);
    const workA = work('a', a.store);
    const workB = work('b', b.store);
    a.keeper.register(workA);
    await a.keeper.start();
    b.keeper.register(workB);
    await b.keeper.start();
    expect(workB.running).toBe(false);

    await a.keeper.stop();
    expect(workA.running).toBe(false);
    await eventually(() => (workB.running ? true : undefined), 'b to take over');
    expect(journal.map((e) => `${e.who} ${e.what}`)).toEqual(['a start', 'a stop', 'b start']);
    expect((await b.keeper.status()).holder).toBe('b:1:00');
  });

  it('stops the work of a holder that cannot renew before its lease expires; the other takes over only after it', async () => {
    const ttl = 1_500;
    let cut: { value: boolean } = { value: false };
    const a = startProcess('a', ttl, (store) => {
      const b = breakable(store);
      cut = b.broken;
      return b.store;
    });
    const b = startProcess('b', ttl);
    const workA = work('a', a.store);
    const workB = work('b', b.store);
    a.keeper.register(workA);
    await a.keeper.start();
    b.keeper.register(workB);
    await b.keeper.start();
    expect(workA.running).toBe(true);

    cut.value = true; // a no longer reaches the store (or is paused): its renewals fail
    await eventually(() => (workB.running ? true : undefined), 'b to take over after the expiry');

    const [aStart, aStop, bStart] = journal;
    expect([aStart, aStop, bStart].map((e) => `${e.who} ${e.what}`)).toEqual(['a start', 'a stop', 'b start']);
    // a stopped while its lease, as stored, still stood: nobody could have taken it yet.
    expect(aStop.at).toBeLessThan(aStop.expiresAt!);
    expect(a.keeper.holds()).toBe(false);
    expect((await a.keeper.status()).role).toBe('standby');

    // Back in touch, a finds b holding the lease and stays on standby.
    cut.value = false;
    await new Promise((resolve) => setTimeout(resolve, ttl));
    expect(workA.running).toBe(false);
    expect(journal.filter((e) => e.who === 'a').map((e) => e.what)).toEqual(['start', 'stop']);
  });

  it('starts work registered after the lease was taken, and stops a registration that is closed', async () => {
    const a = startProcess('a', 60_000);
    await a.keeper.start();
    const late = work('a', a.store);
    const handle = a.keeper.register(late);
    await eventually(() => (late.running ? true : undefined), 'the late work to start');
    await handle.close();
    expect(late.running).toBe(false);
  });

  it('takes over at once, on a store of this machine only, from a holder that no longer runs here', async () => {
    // The id a process that has exited would have had: this host and pid namespace, its pid.
    const exitedPid = spawnSync(globalThis.process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const mine = newHolderId();
    const dead = mine.replace(/^([^:]+):\d+:/, `$1:${exitedPid}:`);
    expect(isDeadLocalHolder(dead)).toBe(true);
    expect(isDeadLocalHolder(mine.replace(/^([^:]+):\d+:/, `$1:1:`))).toBe(false); // pid 1 runs
    expect(isDeadLocalHolder(dead.replace(/^[^:]+:/, 'another-host:'))).toBe(false);
    expect(isDeadLocalHolder(mine)).toBe(false); // a keeper of this very process
    expect(isDeadLocalHolder(mine.replace(/[0-9a-f]{8}$/, '00000000'))).toBe(true); // an earlier process with this pid

    const setup = startProcess('setup', 60_000);
    expect((await setup.store.acquireLease('projections', dead, 60_000)).acquired).toBe(true);

    // Across machines a pid says nothing: without reclaiming, it waits for the expiry.
    const careful = startProcess('careful', 60_000);
    const carefulWork = work('careful', careful.store);
    careful.keeper.register(carefulWork);
    await careful.keeper.start();
    expect(carefulWork.running).toBe(false);
    await careful.keeper.stop();

    const store = SqliteReadStore.open(file);
    stores.push(store);
    const local = new LeaseKeeper(store, { ttlMs: 60_000, reclaimFromDeadLocalHolders: true });
    keepers.push(local);
    const localWork = work('local', store);
    local.register(localWork);
    await local.start();
    await eventually(() => (localWork.running ? true : undefined), 'the takeover from the dead holder');
    expect((await local.status()).holder).toBe(local.holderId);
  });

  it('tries again to start work whose start failed, at the next renewal', async () => {
    const a = startProcess('a', 600);
    let attempts = 0;
    const flaky: LeasedWork & { running: boolean } = {
      name: 'flaky',
      running: false,
      start: () => {
        attempts += 1;
        if (attempts === 1) throw new Error('store not ready (test)');
        flaky.running = true;
      },
      stop: async () => {
        flaky.running = false;
      },
    };
    a.keeper.register(flaky);
    await a.keeper.start();
    expect(flaky.running).toBe(false);
    await eventually(() => (flaky.running ? true : undefined), 'the second start');
    expect(attempts).toBe(2);
  });
});
