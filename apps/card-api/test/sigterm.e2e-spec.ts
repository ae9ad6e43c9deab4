import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore } from '@cards/event-store';
import { SqliteReadStore } from '@cards/read-store';
import { TokenMinter, ROLES } from '@cards/security';
import { countEvents, CUSTOMER, freshResidentId, TEST_JWT_SECRET } from './support/test-app';
import { get, send, serviceEnv, startService, type Answer, type ServiceProcess } from './support/service-process';

jest.setTimeout(240_000);

const COMMANDS = 40;
const SLOW_READS = 6;
const PROBLEM = /application\/problem\+json/;

function env(dataDir: string): Record<string, string> {
  // The slow requests below wait this long for a position the read models never reach, then answer 503.
  return serviceEnv(dataDir, { READ_YOUR_WRITES_TIMEOUT_MS: '4000' });
}

/** How a request ended: a whole HTTP answer, or the error of its socket. */
type Outcome = { answer: Answer } | { error: string };
const count = (outcomes: readonly string[]): Record<string, number> => outcomes.reduce<Record<string, number>>((n, o) => ({ ...n, [o]: (n[o] ?? 0) + 1 }), {});
const settle = (p: Promise<Answer>): Promise<Outcome> => p.then((answer) => ({ answer }), (e: NodeJS.ErrnoException) => ({ error: e.code ?? e.message }));

describe('card-api stops gracefully on SIGTERM', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-sigterm-'));
  const logFile = path.join(dataDir, 'card-api.out');
  let api: ServiceProcess | undefined;
  afterAll(() => {
    if (api && api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every request in flight, refuses new connections, commits the checkpoints, closes the stores and exits 0', async () => {
    api = await startService('apps/card-api/src/main.ts', env(dataDir), logFile, '/health/ready');
    const token = await TokenMinter.forSecret(TEST_JWT_SECRET).mint({ subject: 'sigterm', roles: ROLES, ttlSeconds: 3600 });
    const auth = { authorization: `Bearer ${token}` };
    const first = await send(`${api.url}/v1/customers`, 'POST', auth, { ...CUSTOMER, idNumber: freshResidentId() });
    expect(first.status).toBe(201);
    const position = BigInt(JSON.parse(first.body).position as string);

    // Requests that are certainly in flight when the signal comes: reads waiting for a position far ahead.
    const slow = Array.from({ length: SLOW_READS }, () => settle(get(`${api!.url}/v1/cards?limit=1&minPosition=${position + 1_000_000n}`, auth)));
    // And a burst of commands, each on its own connection.
    const commands = Array.from({ length: COMMANDS }, () => settle(send(`${api!.url}/v1/customers`, 'POST', auth, { ...CUSTOMER, idNumber: freshResidentId() })));
    // Signal once the service is busy with them: the first command answered, and the slow reads long since taken.
    await Promise.race(commands);
    await new Promise((r) => setTimeout(r, 500));
    api.child.kill('SIGTERM');

    // New connections are refused at once, while the slow reads are still being answered.
    await new Promise((r) => setTimeout(r, 300));
    const late = await settle(get(`${api.url}/health`));
    expect(late).toEqual({ error: 'ECONNREFUSED' });

    const ended = await api.exited;
    expect(ended).toEqual({ code: 0, signal: null });

    // Every request the server had taken got a whole answer; a connection still waiting in the kernel's accept
    // queue when the server stopped listening is reset unread (nothing of it ran), which a client may retry.
    const describe = (o: Outcome) => ('answer' in o ? `${o.answer.status} ${String(JSON.parse(o.answer.body || '{}').code ?? '')}`.trim() : o.error);
    const slowOutcomes = (await Promise.all(slow)).map(describe);
    const commandOutcomes = (await Promise.all(commands)).map(describe);
    // eslint-disable-next-line no-console
    console.log(`slow reads: ${JSON.stringify(count(slowOutcomes))}; commands: ${JSON.stringify(count(commandOutcomes))}`);
    // The slow reads were taken long before the signal: each got its 503 (the position never came), not a reset.
    expect(slowOutcomes).toEqual(Array(SLOW_READS).fill('503 PROJECTIONS_BEHIND'));
    for (const outcome of commandOutcomes) expect(['201', '503 SHUTTING_DOWN', 'ECONNRESET', 'ECONNREFUSED']).toContain(outcome);
    expect(commandOutcomes.filter((o) => o === '201').length).toBeGreaterThan(0);

    const registered = commandOutcomes.filter((o) => o === '201').length;
    const log = api.log();
    expect(log).toMatch(/card-api received SIGTERM: stopping/);
    expect(log).toMatch(/Stores closed/);
    expect(log).toMatch(/card-api stopped cleanly in \d+ ms/);
    expect(log).not.toMatch(/did not stop within|failed to stop cleanly/);
    // The stores were closed: SQLite checkpointed each WAL into its database and removed it.
    for (const file of ['events.db', 'read-models.db', 'keys.db']) {
      const wal = path.join(dataDir, `${file}-wal`);
      expect({ wal: file, bytes: fs.existsSync(wal) ? fs.statSync(wal).size : 0 }).toEqual({ wal: file, bytes: 0 });
    }

    // Started again on the same DATA_DIR, it goes on from the checkpoints committed at the stop: every event
    // applied exactly once, none lost, none twice.
    const second = await startService('apps/card-api/src/main.ts', env(dataDir), logFile, '/health/ready');
    let events = 0;
    try {
      const store = SqliteEventStore.open(path.join(dataDir, 'events.db'), { readonly: true });
      events = await countEvents(store);
      await store.close();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const status = await get(`${second.url}/v1/projections`, auth);
        const items = (JSON.parse(status.body) as { items?: { lagEvents: number }[] }).items ?? (JSON.parse(status.body) as { lagEvents: number }[]);
        if (status.status === 200 && items.every((p) => p.lagEvents === 0)) break;
        if (Date.now() > deadline) throw new Error(`projections did not catch up: ${status.body}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toEqual({ code: 0, signal: null });
    const readStore = SqliteReadStore.open(path.join(dataDir, 'read-models.db'));
    try {
      for (const name of ['cards', 'customers']) {
        expect({ name, applied: (await readStore.checkpoint(name))?.eventsApplied }).toEqual({ name, applied: events });
      }
      // Exactly the customers whose registration was answered 201: none was written without its answer.
      expect(await readStore.count('customers')).toBe(registered + 1);
    } finally {
      await readStore.close();
    }
  });
});
