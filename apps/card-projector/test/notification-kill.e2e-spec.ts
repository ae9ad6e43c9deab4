import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { SqliteEventStore, type RecordedEvent } from '@cards/event-store';
import { newDataDir, removeDataDir, startTestApp, TEST_JWT_SECRET } from '../../card-api/test/support/test-app';
import { activeDebitCard } from '../../card-api/test/support/lifecycle-steps';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const CARDS = 3;

/**
 * An SMS gateway that honours Idempotency-Key (a repeat is answered with the first message's id and not sent
 * again), and that can be told to SIGKILL the sender the moment it has taken a message, before answering: the
 * message is sent, the sender never learns it.
 */
class KillingGateway {
  /** Messages really sent, by key, in order. */
  readonly delivered = new Map<string, string>();
  /** Requests per key (repeats included). */
  readonly requests = new Map<string, number>();
  killOnNextMessage: ChildProcess | undefined;
  private readonly held: ServerResponse[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<KillingGateway> {
    const server = createServer();
    const gateway = new KillingGateway(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        gateway.requests.set(key, (gateway.requests.get(key) ?? 0) + 1);
        if (!gateway.delivered.has(key)) gateway.delivered.set(key, `gw-${gateway.delivered.size + 1}`);
        const victim = gateway.killOnNextMessage;
        if (victim !== undefined) {
          gateway.killOnNextMessage = undefined;
          victim.kill('SIGKILL');
          gateway.held.push(res);
          return;
        }
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: gateway.delivered.get(key) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** card-projector (which runs the notification reactor) as its own process, from the TypeScript sources. */
function startProjector(dataDir: string, gatewayUrl: string): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/card-projector/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      AUDIT_CHECKPOINT_EVERY: '10000000',
      // The restarted projector waits for the killed one's projections lease to expire: keep it short.
      PROJECTION_LEASE_TTL_MS: '2000',
      SMS_GATEWAY_URL: gatewayUrl,
      SMS_GATEWAY_RETRIES: '0',
      NOTIFY_CONCURRENCY: '1',
      NOTIFY_POLL_MS: '20',
      NOTIFY_RETRY_BASE_MS: '20',
      NOTIFY_RETRY_MAX_MS: '40',
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

async function notificationStreams(store: SqliteEventStore): Promise<Map<string, RecordedEvent[]>> {
  const streams = new Map<string, RecordedEvent[]>();
  for (let from: RecordedEvent['position'] | 'start' = 'start'; ; ) {
    const page = await store.readAll({ from, maxCount: 1000 });
    for (const e of page) if (e.streamId.startsWith('notification-')) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e]);
    if (page.length < 1000) return streams;
    from = page[page.length - 1].position;
  }
}

describe('the notification reactor killed between a send and its record, then restarted', () => {
  const dataDir = newDataDir();
  let gateway: KillingGateway;
  afterAll(async () => {
    await gateway?.close();
    removeDataDir(dataDir);
  });

  it('sends every notice at least once, and never twice to a gateway that honours the idempotency key', async () => {
    // The cards are activated while no reactor runs (the projections, and with them the reactor, run elsewhere).
    const api = await startTestApp(dataDir, { PROJECTIONS_IN_PROCESS: 'false' });
    for (let i = 0; i < CARDS; i++) await activeDebitCard(api);
    await api.close();
    gateway = await KillingGateway.start();

    const first = startProjector(dataDir, gateway.url);
    let stderr = '';
    first.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    gateway.killOnNextMessage = first;
    const firstExit = exited(first);
    const outcome = await Promise.race([firstExit.then(() => 'exited'), new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    expect({ outcome, signal: first.signalCode, stderr: first.signalCode === 'SIGKILL' ? '' : stderr }).toEqual({ outcome: 'exited', signal: 'SIGKILL', stderr: '' });

    const events = SqliteEventStore.open(path.join(dataDir, 'events.db'));
    try {
      // Killed after the gateway took the message and before the reactor could record it.
      const [killedKey] = [...gateway.delivered.keys()];
      const before = await notificationStreams(events);
      expect(before.get(`notification-${killedKey}`)?.map((e) => e.type)).toEqual(['NotificationRequested']);

      const second = startProjector(dataDir, gateway.url);
      try {
        const until = Date.now() + 60_000;
        let streams = before;
        const allSent = () => streams.size === CARDS && [...streams.values()].every((s) => s.some((e) => e.type === 'NotificationSent'));
        while (!allSent() && Date.now() < until && second.exitCode === null) {
          await new Promise((r) => setTimeout(r, 50));
          streams = await notificationStreams(events);
        }
        expect(allSent()).toBe(true);

        // At least once: every notice went out. Never twice: the repeat of the killed one was recognised.
        expect(gateway.delivered.size).toBe(CARDS);
        expect(gateway.requests.get(killedKey)).toBe(2);
        for (const [streamId, stream] of streams) {
          const key = streamId.slice('notification-'.length);
          expect(stream.map((e) => e.type)).toEqual(['NotificationRequested', 'NotificationSent']);
          expect(stream[1].data).toMatchObject({ providerMessageId: gateway.delivered.get(key), attempt: 1, channel: 'SMS', templateId: 'activation-confirmation' });
        }
      } finally {
        second.kill('SIGTERM');
        await exited(second);
      }
    } finally {
      await events.close();
    }
  });
});
