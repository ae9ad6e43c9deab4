import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import type { Position } from '@cards/event-store';
import { EventStoreDbEventStore } from '@cards/event-store/eventstoredb/eventstoredb-event-store';
import { ROLES, TokenMinter } from '@cards/security';
import { CUSTOMER, freshResidentId, TEST_JWT_SECRET, TEST_SUBJECT } from './support/test-app';
import { CuttableProxy } from './support/cuttable-proxy';
import { send, serviceEnv, startService, type Answer, type ServiceProcess } from './support/service-process';

jest.setTimeout(180_000);

const PROBLEM = /application\/problem\+json/;
/** A command must be answered within this long while its store is away; longer counts as hanging. */
const ANSWER_WITHIN_MS = 15_000;
/** After the store is back, readiness must be green (and a retried command succeed) within this long. */
const RECOVERY_WITHIN_MS = 30_000;
const UNAVAILABLE_CODES = ['EVENT_STORE_UNAVAILABLE', 'READ_STORE_UNAVAILABLE', 'DATA_KEY_STORE_UNAVAILABLE'];

/**
 * Issue 9 §3, "EventStoreDB or MongoDB unreachable or restarting": card-api runs as its own process with the
 * store's connection string pointing at a TCP proxy (support/cuttable-proxy.ts) instead of the server. Cutting the
 * proxy is, for the service, the server going down (connections reset, new ones refused); restoring it is the
 * server back on the same address. The test's own client talks to the server directly, so it can see what was
 * written while the service could not.
 */

interface Target {
  readonly host: string;
  readonly port: number;
  /** The connection string with the proxy's address in place of the server's. */
  readonly through: (proxyAddress: string) => string;
}

/**
 * Splits `scheme://[credentials@]host[:port][/path][?query]` for one host; a reason to skip otherwise (several
 * hosts, DNS seed lists, gossip discovery: the client would find the servers' own addresses and go round the proxy).
 */
function singleHost(url: string, scheme: 'esdb' | 'mongodb', defaultPort: number): Target | { skip: string } {
  const match = /^([a-z+]+):\/\/(?:([^@/]*)@)?([^/?]*)(.*)$/i.exec(url);
  if (!match) return { skip: `cannot parse the connection string` };
  const [, given, credentials, hosts, rest] = match;
  if (given.toLowerCase() !== scheme) return { skip: `${given}:// (discovery or DNS seed list) cannot be proxied; give one ${scheme}://host:port` };
  if (hosts.includes(',')) return { skip: `several hosts (${hosts}) cannot be proxied; give one host:port` };
  const hostPort = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hosts);
  if (!hostPort) return { skip: `cannot parse the host "${hosts}"` };
  const host = hostPort[1].replace(/^\[|\]$/g, '');
  const port = hostPort[2] ? Number(hostPort[2]) : defaultPort;
  const prefix = `${given}://${credentials === undefined ? '' : `${credentials}@`}`;
  return { host, port, through: (proxyAddress) => `${prefix}${proxyAddress}${rest}` };
}

/** The MongoDB URL through the proxy, on a database of this run's own, connecting to that one node only. */
function mongoThrough(target: Target, proxyAddress: string, database: string): string {
  const url = new URL(target.through(proxyAddress));
  url.pathname = `/${database}`;
  // Without it the driver learns the replica set members' own addresses from the server and goes round the proxy.
  url.searchParams.set('directConnection', 'true');
  return url.toString();
}

/** What the test needs from the store that holds the events: the events written under an Idempotency-Key. */
interface EventsView {
  head(): Promise<Position | null>;
  /** The types, sorted, of the events of the command sent with `key` and of its idempotency record. */
  typesWithKey(key: string, since: Position | null): Promise<string[]>;
  close(): Promise<void>;
}

/** The service scopes a key by the caller; the record of its answer is in a stream named by the scoped key's hash. */
function ofKey(key: string): (event: { streamId: string; metadata: unknown }) => boolean {
  const scoped = `${TEST_SUBJECT} ${key}`;
  const record = `idempotency-${createHash('sha256').update(scoped).digest('hex')}`;
  return (event) => event.streamId === record || (event.metadata as { idempotencyKey?: string }).idempotencyKey === scoped;
}

function esdbEvents(connectionString: string): EventsView {
  const store = EventStoreDbEventStore.connect(connectionString);
  return {
    head: () => store.headPosition(),
    typesWithKey: async (key, since) => {
      // From the head before the outage: the server may hold much else (other runs, other users).
      const events = await store.readAll({ from: since ?? 'start', maxCount: 10_000 });
      return events.filter(ofKey(key)).map((e) => e.type).sort();
    },
    close: () => store.close(),
  };
}

function sqliteEvents(dataDir: string): EventsView {
  const read = <T>(query: (db: Database.Database) => T): T => {
    const db = new Database(path.join(dataDir, 'events.db'), { readonly: true });
    try {
      return query(db);
    } finally {
      db.close();
    }
  };
  return {
    head: () => Promise.resolve(null),
    typesWithKey: (key) =>
      Promise.resolve(
        read((db) => db.prepare('SELECT stream_id, type, metadata FROM events ORDER BY position').all() as Array<{ stream_id: string; type: string; metadata: string }>)
          .map((row) => ({ streamId: row.stream_id, type: row.type, metadata: JSON.parse(row.metadata) as unknown }))
          .filter(ofKey(key))
          .map((row) => row.type)
          .sort(),
      ),
    close: () => Promise.resolve(),
  };
}

/** A request that must be answered within `ms`: the answer and how long it took, or an error saying it hung. */
async function within(ms: number, what: string, request: Promise<Answer>): Promise<{ answer: Answer; tookMs: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (the service hangs on the unreachable store)`)), ms);
  });
  request.catch(() => undefined); // after a timeout nobody awaits it any more
  try {
    const answer = await Promise.race([request, hung]);
    return { answer, tookMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

interface Backend {
  readonly name: string;
  readonly variable: string;
  /** Matches what /health/ready says of this store when it is down. */
  readonly named: RegExp;
  readonly target: Target | { skip: string };
  /** card-api's variables for this backend (the other store stays embedded SQLite), through the proxy. */
  env(proxyAddress: string, dataDir: string): Record<string, string>;
  events(dataDir: string): EventsView;
  cleanUp(): Promise<void>;
}

const backends: Backend[] = [];

const esdbUrl = process.env.EVENTSTORE_CONNECTION_STRING?.trim();
if (esdbUrl) {
  const target = singleHost(esdbUrl, 'esdb', 2113);
  backends.push({
    name: 'EventStoreDB',
    variable: 'EVENTSTORE_CONNECTION_STRING',
    named: /eventstoredb/i,
    target,
    env: (proxyAddress) => ({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: (target as Target).through(proxyAddress), READ_STORE: 'sqlite' }),
    events: () => esdbEvents(esdbUrl),
    cleanUp: () => Promise.resolve(),
  });
}

const mongoUrl = process.env.MONGODB_URL?.trim();
if (mongoUrl) {
  const target = singleHost(mongoUrl, 'mongodb', 27017);
  // A database of this run's own, dropped at the end, so runs and other users of the server never meet.
  const database = `cards_outage_${process.pid}_${Date.now()}`;
  backends.push({
    name: 'MongoDB',
    variable: 'MONGODB_URL',
    named: /mongodb/i,
    target,
    env: (proxyAddress) => ({ READ_STORE: 'mongodb', MONGODB_URL: mongoThrough(target as Target, proxyAddress, database), EVENT_STORE: 'sqlite' }),
    events: (dataDir) => sqliteEvents(dataDir),
    cleanUp: async () => {
      const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5_000 });
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    },
  });
}

if (backends.length === 0) {
  // eslint-disable-next-line no-console
  console.warn('backend-outage.e2e-spec skipped: set EVENTSTORE_CONNECTION_STRING and/or MONGODB_URL (see README.md, "Configuration")');
  describe.skip('EventStoreDB or MongoDB unreachable, then back (set EVENTSTORE_CONNECTION_STRING or MONGODB_URL)', () => {
    it('answers 503 + Retry-After while the store is away and recovers by itself', () => undefined);
  });
}

for (const backend of backends) {
  if ('skip' in backend.target) {
    // eslint-disable-next-line no-console
    console.warn(`backend-outage.e2e-spec (${backend.name}) skipped: ${backend.variable} ${backend.target.skip}`);
    describe.skip(`${backend.name} unreachable, then back (${backend.variable}: ${backend.target.skip})`, () => {
      it('answers 503 + Retry-After while the store is away and recovers by itself', () => undefined);
    });
    continue;
  }
  const target = backend.target;

  describe(`${backend.name} unreachable while card-api runs, then back`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-outage-'));
    const logFile = path.join(dataDir, 'card-api.out');
    let proxy: CuttableProxy | undefined;
    let api: ServiceProcess | undefined;
    let events: EventsView | undefined;

    afterAll(async () => {
      if (api && api.child.exitCode === null && api.child.signalCode === null) {
        api.child.kill('SIGTERM');
        await api.exited;
      }
      await proxy?.close();
      await events?.close();
      await backend.cleanUp().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('commands answer 503 with Retry-After, readiness turns red naming the store, nothing is half-written, and it recovers by itself', async () => {
      proxy = await CuttableProxy.start(target);
      events = backend.events(dataDir);
      api = await startService(
        'apps/card-api/src/main.ts',
        serviceEnv(dataDir, backend.env(proxy.address, dataDir)),
        logFile,
        '/health/ready',
      );
      const token = await TokenMinter.forSecret(TEST_JWT_SECRET).mint({ subject: TEST_SUBJECT, roles: ROLES, ttlSeconds: 3600 });
      const auth = { authorization: `Bearer ${token}` };
      const url = api.url;
      const register = (key: string, body: unknown) => within(ANSWER_WITHIN_MS, 'POST /v1/customers', send(`${url}/v1/customers`, 'POST', { ...auth, 'idempotency-key': key }, body));
      const ready = () => within(ANSWER_WITHIN_MS, 'GET /health/ready', send(`${url}/health/ready`, 'GET'));
      const json = (answer: Answer) => JSON.parse(answer.body || '{}') as Record<string, unknown>;

      // Healthy: a registration goes through the proxy.
      const first = await register(randomUUID(), { ...CUSTOMER, idNumber: freshResidentId() });
      expect({ status: first.answer.status, body: first.answer.body }).toMatchObject({ status: 201 });
      const headBefore = await events.head();

      // The store goes away.
      await proxy.cut();
      const key = randomUUID();
      const body = { ...CUSTOMER, idNumber: freshResidentId() };
      const refused = await register(key, body);
      expect({ status: refused.answer.status, body: refused.answer.body }).toMatchObject({ status: 503 });
      expect(refused.answer.headers['content-type']).toMatch(PROBLEM);
      expect(refused.answer.headers['retry-after']).toBe('5');
      expect(json(refused.answer)).toMatchObject({ status: 503, title: 'Service unavailable', detail: expect.stringMatching(/nothing was written|cannot be reached/) });
      expect(UNAVAILABLE_CODES).toContain(json(refused.answer).code);
      // Again, now that the client knows the connection is gone (the first may have met the reset, this one the refusal).
      const again = await register(key, body);
      expect(again.answer.status).toBe(503);
      expect(again.answer.headers['retry-after']).toBe('5');

      const red = await ready();
      expect(red.answer.status).toBe(503);
      expect(red.answer.headers['content-type']).toMatch(PROBLEM);
      expect(red.answer.headers['retry-after']).toBeDefined();
      expect(String(json(red.answer).detail)).toMatch(backend.named);
      expect((await within(ANSWER_WITHIN_MS, 'GET /health', send(`${url}/health`, 'GET'))).answer.status).toBe(200);

      // Nothing of the refused command is in the store (the test reads the server directly, not through the proxy).
      expect(await events.typesWithKey(key, headBefore)).toEqual([]);
      // eslint-disable-next-line no-console
      console.log(`${backend.name} cut: registration 503 ${String(json(refused.answer).code)} in ${refused.tookMs} ms, then ${again.tookMs} ms; readiness 503 in ${red.tookMs} ms`);

      // The store is back: no restart of card-api.
      await proxy.restore();
      const restored = Date.now();
      for (;;) {
        const answer = (await ready()).answer;
        if (answer.status === 200) break;
        if (Date.now() - restored > RECOVERY_WITHIN_MS) throw new Error(`readiness still ${answer.status} ${RECOVERY_WITHIN_MS} ms after the store came back: ${answer.body}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const greenAfterMs = Date.now() - restored;
      // The client retries with the same key until it is answered (a 503 while pools reconnect is allowed, a 5xx other than that is not).
      let retried: Answer;
      let attempts = 0;
      for (;;) {
        attempts += 1;
        retried = (await register(key, body)).answer;
        if (retried.status !== 503) break;
        if (Date.now() - restored > RECOVERY_WITHIN_MS) throw new Error(`the retried command still 503 ${RECOVERY_WITHIN_MS} ms after the store came back: ${retried.body}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      expect({ status: retried.status, body: retried.body }).toMatchObject({ status: 201 });
      // eslint-disable-next-line no-console
      console.log(`${backend.name} back: readiness green after ${greenAfterMs} ms, the retried registration 201 after ${attempts} attempt(s)`);

      // Once more with the same key: the same answer, from the idempotency record, nothing appended.
      const replay = (await register(key, body)).answer;
      expect(replay.status).toBe(201);
      expect(json(replay).customerId).toBe(json(retried).customerId);

      // The command's events are in the store exactly once, and one record of its answer.
      expect(await events.typesWithKey(key, headBefore)).toEqual(['CustomerRegistered', 'IdNumberClaimed', 'IdempotentResponseRecorded']);
      expect(api.log()).not.toMatch(/"statusCode":500|"status":500/);
    });
  });
}
