import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import request from 'supertest';
import { SqliteEventStore, type EventToAppend, type RecordedEvent } from '@cards/event-store';
import { ALL_PROJECTIONS, ProjectionRunner, SqliteReadStore, waitForProjections, type ReadDocument, type ReadStore } from '@cards/read-store';
import { eventually } from '../../card-api/test/support/eventually';
import { activeDebitCard } from '../../card-api/test/support/lifecycle-steps';
import { newDataDir, removeDataDir, startTestApp, TEST_JWT_SECRET, type TestApp } from '../../card-api/test/support/test-app';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../../..');
/** Short, so that the takeover after a SIGKILL comes soon; the keepers renew every third of it. */
const LEASE_TTL_MS = 2_000;
const BULK_CARDS = 300;
const EVENTS_PER_CARD = 20;

/** An SMS gateway that answers every message and counts the requests per Idempotency-Key (the notice id). */
class CountingGateway {
  readonly requests = new Map<string, number>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<CountingGateway> {
    const server = createServer();
    const gateway = new CountingGateway(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        gateway.requests.set(key, (gateway.requests.get(key) ?? 0) + 1);
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `gw-${key}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A card issued, then suspended and reinstated over and over: its state depends on applying each event once, in order. */
function history(cardId: string, index: number): EventToAppend[] {
  const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + index * 60_000 + n * 1000).toISOString();
  const events: EventToAppend[] = [
    {
      id: randomUUID(),
      type: 'CardIssued',
      data: { cardId, customerId: `bulk-${index % 37}`, product: 'LOYALTY', panBin: '900001', panLast4: String(index).padStart(4, '0'), panFingerprint: 'f', panLength: 16, channel: 'WEB', issuedAt: at(0) },
      metadata: { imported: true },
    },
  ];
  for (let n = 1; events.length < EVENTS_PER_CARD; n++) {
    events.push(
      n % 2 === 1
        ? { id: randomUUID(), type: 'CardSuspended', data: { reason: `r${n}`, suspendedAt: at(n) }, metadata: { imported: true } }
        : { id: randomUUID(), type: 'CardReinstated', data: { reinstatedAt: at(n) }, metadata: { imported: true } },
    );
  }
  return events;
}

interface Projector {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  stderr: string;
}

/** card-projector as its own process, from the TypeScript sources, on the shared DATA_DIR. */
async function startProjector(name: string, dataDir: string, gatewayUrl: string): Promise<Projector> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/card-projector/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      AUDIT_CHECKPOINT_EVERY: '10000000',
      PROJECTION_LEASE_TTL_MS: String(LEASE_TTL_MS),
      SMS_GATEWAY_URL: gatewayUrl,
      SMS_GATEWAY_RETRIES: '0',
      NOTIFY_POLL_MS: '20',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const projector: Projector = { name, child, port, stderr: '' };
  child.stderr?.on('data', (chunk) => (projector.stderr += String(chunk)));
  return projector;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

interface ProjectionsAnswer {
  lease: { holder: string | null; heldByThisProcess: boolean; thisProcess: string; role: string; expiresAt: string | null };
  items: { name: string; state: string; runsHere: boolean; eventsApplied: number }[];
}

async function dump(store: ReadStore, collection: string): Promise<ReadDocument[]> {
  const docs: ReadDocument[] = [];
  for await (const doc of store.scan(collection)) docs.push(doc);
  return docs;
}

async function notificationStreams(store: SqliteEventStore): Promise<Map<string, RecordedEvent[]>> {
  const streams = new Map<string, RecordedEvent[]>();
  for (let from: RecordedEvent['position'] | 'start' = 'start'; ; ) {
    const page = await store.readAll({ from, maxCount: 1000 });
    for (const e of page) if (e.streamId.startsWith('notification-')) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e]);
    if (page.length < 1000) return streams;
    from = page[page.length - 1].position;
  }
}

describe('two card-projectors started on one DATA_DIR', () => {
  const dataDir = newDataDir();
  let api: TestApp;
  let gateway: CountingGateway;
  const projectors: Projector[] = [];
  let token: string;

  beforeAll(async () => {
    api = await startTestApp(dataDir, { PROJECTIONS_IN_PROCESS: 'false' });
    token = await api.token({ roles: ['admin', 'analyst'] });
    gateway = await CountingGateway.start();
  });
  afterAll(async () => {
    for (const p of projectors) {
      p.child.kill('SIGKILL');
      await exited(p.child);
    }
    await api?.close();
    await gateway?.close();
    removeDataDir(dataDir);
  });

  const projections = async (p: Projector): Promise<ProjectionsAnswer | undefined> => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} exited: ${p.stderr}`);
    const res = await request(`http://127.0.0.1:${p.port}`).get('/v1/projections').set('Authorization', `Bearer ${token}`).catch(() => undefined);
    return res?.status === 200 ? (res.body as ProjectionsAnswer) : undefined;
  };

  it('runs one and keeps the other on standby, projects every event once, and hands over when the active one is killed', async () => {
    const events = SqliteEventStore.open(path.join(dataDir, 'events.db'));
    const watcher = SqliteReadStore.open(path.join(dataDir, 'read-models.db'));
    try {
      // A backlog to catch up on, so that both start while there is work to fight over.
      for (let i = 0; i < BULK_CARDS; i++) {
        const cardId = randomUUID();
        await events.appendToStream(`card-${cardId}`, history(cardId, i), { expectedRevision: 'no_stream' });
      }

      // Both at once: the lease decides.
      projectors.push(await startProjector('first', dataDir, gateway.url), await startProjector('second', dataDir, gateway.url));
      const answers = await eventually(async () => {
        const both = await Promise.all(projectors.map((p) => projections(p)));
        return both.every((a) => a !== undefined) ? (both as ProjectionsAnswer[]) : undefined;
      }, 'both projectors to answer', 60_000);
      const [activeIndex] = answers.flatMap((a, i) => (a.lease.heldByThisProcess ? [i] : []));
      expect(answers.filter((a) => a.lease.heldByThisProcess)).toHaveLength(1);
      const active = projectors[activeIndex];
      const standby = projectors[1 - activeIndex];
      const activeAnswer = answers[activeIndex];
      const standbyAnswer = answers[1 - activeIndex];
      // Both name the same holder: the active process.
      expect(activeAnswer.lease).toMatchObject({ holder: activeAnswer.lease.thisProcess, role: 'active' });
      expect(standbyAnswer.lease).toMatchObject({ holder: activeAnswer.lease.thisProcess, heldByThisProcess: false, role: 'standby' });
      expect(standbyAnswer.lease.thisProcess).not.toBe(activeAnswer.lease.thisProcess);
      expect(activeAnswer.items.every((item) => item.runsHere && item.state !== 'standby')).toBe(true);
      expect(standbyAnswer.items.map((item) => [item.state, item.runsHere])).toEqual(standbyAnswer.items.map(() => ['standby', false]));

      // The standby refuses a rebuild, naming the process that runs the projections.
      const refused = await request(`http://127.0.0.1:${standby.port}`).post('/v1/projections/cards/rebuild').set('Authorization', `Bearer ${token}`);
      expect(refused.status).toBe(409);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(refused.body).toMatchObject({ code: 'PROJECTIONS_LEASE_HELD_ELSEWHERE', holder: activeAnswer.lease.thisProcess });

      // Live traffic while both run: cards activated through the API, each with its SMS confirmation.
      for (let i = 0; i < 3; i++) await activeDebitCard(api);
      let head = (await events.headPosition())!;
      expect(await waitForProjections(watcher, head, ALL_PROJECTIONS.map((p) => p.name), 90_000)).toBe(true);
      await eventually(async () => {
        const streams = await notificationStreams(events);
        return streams.size === 3 && [...streams.values()].every((s) => s.some((e) => e.type === 'NotificationSent')) ? true : undefined;
      }, 'the three confirmations to be sent', 60_000);

      // The active one dies without a word; the standby takes over once the lease expires, and goes on.
      active.child.kill('SIGKILL');
      await exited(active.child);
      await eventually(async () => {
        const answer = await projections(standby);
        return answer?.lease.heldByThisProcess && answer.items.every((item) => item.runsHere) ? true : undefined;
      }, 'the standby to take over', 60_000);

      for (let i = 0; i < 2; i++) await activeDebitCard(api);
      const streams = await eventually(async () => {
        const found = await notificationStreams(events);
        return found.size === 5 && [...found.values()].every((s) => s.some((e) => e.type === 'NotificationSent')) ? found : undefined;
      }, 'all five confirmations to be sent', 60_000);
      // Nothing more is written now (no audit checkpoints, no retries): this is the end of the log.
      head = (await events.headPosition())!;
      const names = (await projections(standby))!.items.map((item) => item.name);
      expect(await waitForProjections(watcher, head, names, 90_000)).toBe(true);

      // Every notice went to the gateway exactly once: never by both projectors.
      expect([...gateway.requests.values()].every((count) => count === 1)).toBe(true);
      expect(gateway.requests.size).toBe(streams.size);
      for (const stream of streams.values()) expect(stream.filter((e) => e.type === 'NotificationSent')).toHaveLength(1);

      // Each projection counted every event of the log exactly once (positions run 1, 2, 3… on the embedded store) ...
      for (const name of names) {
        const checkpoint = await watcher.checkpoint(name);
        expect({ name, applied: checkpoint?.eventsApplied }).toEqual({ name, applied: Number(head.commit) });
      }
      // ... and the read models equal an uninterrupted run of one process.
      const reference = SqliteReadStore.open(':memory:');
      const runner = new ProjectionRunner(events, reference, ALL_PROJECTIONS);
      await runner.start();
      expect(await waitForProjections(reference, head, ALL_PROJECTIONS.map((p) => p.name), 60_000)).toBe(true);
      await runner.stop();
      for (const collection of ['cards', 'disputes', 'verification_failures']) {
        expect(await dump(watcher, collection)).toEqual(await dump(reference, collection));
      }
      await reference.close();
    } finally {
      await watcher.close();
      await events.close();
    }
  });
});
