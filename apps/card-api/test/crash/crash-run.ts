import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { EVENT_STORE, formatPosition, parsePosition, SqliteEventStore, type EventStore, type RecordedEvent } from '@cards/event-store';
import { InfrastructureModule, loadAppConfig, PROJECTIONS } from '@cards/platform';
import { ProjectionRunner, READ_STORE, SqliteReadStore, waitForProjections, type Projection, type ReadDocument, type ReadStore } from '@cards/read-store';
import { ROLES, TokenMinter } from '@cards/security';
import { ensureBuild, scriptOf } from '../../../../bench/service/build';
import { freePort, startNodeProcess, stopProcess, type NodeProcess } from '../../../../bench/service/processes';
import { verifyAll } from '../../../card-cli/src/verify-all';
import { TEST_JWT_SECRET } from '../support/test-app';
import { LifecycleLoad, prng, ServiceGate, sleep, type CardModel, type CommandRecord } from './crash-load';
import { CountingSmsGateway } from './sms-gateway';

/**
 * The crash test (issue 9, "Crashes"): card-api in a process of its own on the embedded store, driven by clients
 * running whole card lifecycles over HTTP, killed with SIGKILL at random (seeded) moments and restarted, the clients
 * sending every command whose answer was lost again with the same Idempotency-Key. Then it checks the stores, the
 * read models and the reports against the events and against what the clients were told. `npm run test:crash` runs
 * it at full size; crash.e2e-spec.ts runs a short one in the e2e suite. The same code, sizes from the options.
 */
export interface CrashRunOptions {
  /** How many times card-api is killed with SIGKILL (and restarted). */
  readonly kills: number;
  /** Concurrent HTTP clients, each running lifecycles of its own. */
  readonly clients: number;
  /** Seeds the kill delays and the clients' choices; printed, so that a failing run can be named. */
  readonly seed: number;
  /** Each kill comes this long (uniformly random in the range, in ms) after the process was up again. */
  readonly killDelayMs: readonly [number, number];
  /** Each client runs at least this many lifecycles, even if the kills are over sooner. */
  readonly minLifecycles: number;
  /** Where progress lines go. */
  readonly log: (line: string) => void;
}

export interface KillRecord {
  readonly afterMs: number;
  /** Requests under way when the process was killed (their answers are lost). */
  readonly inFlight: number;
  /** How long the restart took (process start until /health answers). */
  readonly restartMs: number;
}

export interface CrashRunResult {
  readonly seed: number;
  readonly kills: readonly KillRecord[];
  /** Commands sent (each with its own key), answered in the end. */
  readonly commands: number;
  /** Sends beyond the first, summed over the commands. */
  readonly retries: number;
  /** Sends whose answer was lost (connection reset or refused). */
  readonly lostAnswers: number;
  /** Commands answered from their stored idempotency record or their events (Idempotent-Replayed). */
  readonly replayedAnswers: number;
  readonly serverErrors: number;
  readonly cards: number;
  readonly customers: number;
  readonly events: number;
  readonly streams: number;
  readonly auditCheckpoints: number;
  readonly documentsCompared: number;
  readonly retried: RetryOutcomes;
  readonly notices: NoticeFigures;
  readonly checks: number;
  readonly problems: readonly string[];
  readonly durationMs: number;
  readonly phasesMs: Readonly<Record<string, number>>;
}

/** Counts every comparison made, and keeps the failed ones (at most a few hundred, the rest counted). */
class Checks {
  count = 0;
  readonly problems: string[] = [];
  private dropped = 0;

  that(ok: boolean, problem: () => string): boolean {
    this.count += 1;
    if (!ok) this.fail(problem());
    return ok;
  }

  equal(actual: unknown, expected: unknown, what: string): boolean {
    return this.that(isDeepStrictEqual(actual, expected), () => `${what}: got ${short(actual)}, expected ${short(expected)}`);
  }

  fail(problem: string): void {
    if (this.problems.length < 300) this.problems.push(problem);
    else this.dropped += 1;
  }

  all(): string[] {
    return this.dropped > 0 ? [...this.problems, `… and ${this.dropped} more`] : [...this.problems];
  }
}

const short = (value: unknown) => {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}…` : text;
};

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

export async function runCrashTest(options: CrashRunOptions): Promise<CrashRunResult> {
  const started = Date.now();
  const phasesMs: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const at = Date.now();
    try {
      return await work();
    } finally {
      phasesMs[name] = Date.now() - at;
    }
  };
  const { log } = options;
  log(`crash test: seed ${options.seed}, ${options.kills} kills, ${options.clients} clients (replay with CRASH_SEED=${options.seed})`);

  const build = await phase('build', () => ensureBuild((line) => log(line)));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-crash-'));
  const dataDir = path.join(workDir, 'data');
  fs.mkdirSync(dataDir);
  const logFile = path.join(workDir, 'card-api.log');
  const gateway = await CountingSmsGateway.start();
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    // A signed checkpoint every few dozen events: some are written while the process is being killed.
    AUDIT_CHECKPOINT_EVERY: '40',
    // A killed process cannot give up the projections lease: its successor stands by until the lease runs out
    // (15 s by default). Shorter here, so that the projections of each new process start soon after its restart.
    PROJECTION_LEASE_TTL_MS: '3000',
    // Notices go to a gateway in this process (every customer prefers SMS and e-mail; only SMS is configured), and
    // no notice waits for quiet hours: one minute, half a day away.
    SMS_GATEWAY_URL: gateway.url,
    NOTIFY_QUIET_HOURS: quietMinuteHalfADayAway(),
    NOTIFY_POLL_MS: '100',
  };
  // The development keys (CVV key, fingerprint key, audit signing key…) are generated into DATA_DIR here, once,
  // so that this process can compute the CVV2s the service checks; every start of card-api reuses them.
  const config = loadAppConfig(env);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const start = () =>
    startNodeProcess({
      name: 'card-api',
      nodeArgs: build.nodeArgs,
      script: scriptOf(build, 'apps/card-api/src/main.ts'),
      env: { ...build.env, ...env },
      port,
      logFile,
      readyPath: '/health',
      timeoutMs: 120_000,
    });

  const checks = new Checks();
  const kills: KillRecord[] = [];
  let service: NodeProcess | undefined;
  let keepDir = false;
  try {
    service = await phase('first start', start);
    const gate = new ServiceGate();
    gate.markUp(service.child);
    let killsDone = false;
    const load = new LifecycleLoad({
      baseUrl,
      gate,
      config,
      jwtSecret: TEST_JWT_SECRET,
      clients: options.clients,
      seed: options.seed,
      stopped: () => killsDone,
      minLifecycles: options.minLifecycles,
    });

    await phase('load and kills', async () => {
      const running = load.run();
      let loadEnded = false;
      void running.finally(() => (loadEnded = true)).catch(() => undefined);
      const random = prng(options.seed);
      const [minDelay, maxDelay] = options.killDelayMs;
      for (let k = 0; k < options.kills; k++) {
        const afterMs = Math.round(minDelay + random() * (maxDelay - minDelay));
        await sleep(afterMs);
        if (loadEnded) throw new Error(`the clients stopped before kill ${k + 1}: ${load.unexpected.slice(0, 5).join('\n')}`);
        const inFlight = load.inFlight;
        gate.markDown();
        service!.child.kill('SIGKILL');
        await exited(service!.child);
        const restartAt = Date.now();
        service = await start();
        kills.push({ afterMs, inFlight, restartMs: Date.now() - restartAt });
        log(`kill ${k + 1}/${options.kills}: after ${afterMs} ms, ${inFlight} requests in flight; up again in ${Date.now() - restartAt} ms`);
        gate.markUp(service.child);
      }
      killsDone = true;
      await running;
    });
    for (const problem of load.unexpected) checks.fail(`client: ${problem}`);
    for (const c of load.commands) for (const e of c.serverErrors) checks.fail(`${c.key} ${c.kind}: answered ${e} (a 5xx; sent again)`);

    // The running service, quiet now: sign a last checkpoint, let the projections reach the head, read the
    // reports and the card list, verify every chain and checkpoint.
    const token = await TokenMinter.forSecret(TEST_JWT_SECRET).mint({ subject: 'crash-checker', roles: ROLES, ttlSeconds: 3600 });
    const api = async (method: string, url: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${baseUrl}${url}`, { method, headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const online = await phase('online checks', async () => {
      const signed = await api('POST', '/v1/audit/checkpoints');
      checks.that(signed.status === 201 || signed.status === 200, () => `POST /v1/audit/checkpoints answered ${signed.status} ${short(signed.body)}`);
      // The verification is recorded in the log (audit-verifications): before the head is taken.
      const verification = await phase('verify --all', () =>
        verifyAll({ url: baseUrl, token: async () => token, pollMs: 100, progressOut: { isTTY: false, write: () => true } }),
      );
      checks.that(verification.exitCode === 0, () => `card-cli verify --all exited ${verification.exitCode}: ${verification.message}`);
      const window = { from: new Date(started - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
      const head = await phase('catch-up', () => settled(api, window));
      const range = { ...window, minPosition: head };
      const query = (extra: Record<string, string> = {}) => new URLSearchParams({ ...range, ...extra }).toString();
      const report = async (name: string, extra: Record<string, string> = {}) => {
        const res = await api('GET', `/v1/reports/${name}?${query(extra)}`);
        checks.that(res.status === 200, () => `GET /v1/reports/${name} answered ${res.status} ${short(res.body)}`);
        return res.body;
      };
      const reports = {
        funnel: await report('funnel'),
        activations: await report('activations', { groupBy: 'product' }),
        disputes: await report('disputes'),
      };
      const listed: Record<string, unknown>[] = [];
      for (let cursor: string | null = null; ; ) {
        const res = await api('GET', `/v1/cards?${new URLSearchParams({ limit: '200', minPosition: head, ...(cursor && { cursor }) }).toString()}`);
        checks.that(res.status === 200, () => `GET /v1/cards answered ${res.status} ${short(res.body)}`);
        listed.push(...((res.body.items as Record<string, unknown>[] | undefined) ?? []));
        cursor = (res.body.nextCursor as string | null | undefined) ?? null;
        if (cursor === null) break;
      }
      return { head, range, reports, listed, verification: verification.message };
    });
    await phase('stop', () => stopProcess(service));
    service = undefined;

    // Offline: the stores as the service left them.
    const offline = await phase('offline checks', () => checkStores({ config, dataDir, workDir, head: online.head, load, checks, online, gateway }));
    log(`verify --all: ${online.verification.split('\n')[0]}`);

    const result: CrashRunResult = {
      seed: options.seed,
      kills,
      commands: load.commands.length,
      retries: load.commands.reduce((n, c) => n + c.sends - 1, 0),
      lostAnswers: load.commands.reduce((n, c) => n + c.lostAnswers, 0),
      replayedAnswers: load.commands.filter((c) => c.replayed).length,
      serverErrors: load.commands.reduce((n, c) => n + c.serverErrors.length, 0),
      cards: load.cards.length,
      customers: load.customers.length,
      events: offline.events,
      streams: offline.streams,
      auditCheckpoints: offline.auditCheckpoints,
      documentsCompared: offline.documentsCompared,
      retried: offline.retried,
      notices: offline.notices,
      checks: checks.count,
      problems: checks.all(),
      durationMs: Date.now() - started,
      phasesMs,
    };
    keepDir = result.problems.length > 0 && process.env.CRASH_KEEP_DATA === '1';
    log(summaryOf(result));
    if (keepDir) log(`data kept in ${workDir}`);
    return result;
  } catch (error) {
    if (service) log(`card-api's last output:\n${service.tail()}`);
    throw error;
  } finally {
    if (service) {
      service.child.kill('SIGKILL');
      await exited(service.child);
    }
    if (!keepDir) fs.rmSync(workDir, { recursive: true, force: true });
    await gateway.close();
  }
}

/** `HH:MM-HH:MM`, one minute twelve hours from now in Asia/Shanghai (UTC+8 all year), the customers' default zone. */
function quietMinuteHalfADayAway(): string {
  const hhmm = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 16);
  const at = Date.now() + 12 * 3_600_000;
  return `${hhmm(at)}-${hhmm(at + 60_000)}`;
}

export function summaryOf(r: CrashRunResult): string {
  const restarts = r.kills.map((k) => k.restartMs);
  return [
    `crash test, seed ${r.seed}: ${r.kills.length} kills (SIGKILL; ${r.kills.reduce((n, k) => n + k.inFlight, 0)} requests in flight at the kills, ${r.kills.filter((k) => k.inFlight > 0).length} kills with some; restarts ${Math.min(...restarts)}–${Math.max(...restarts)} ms)`,
    `  ${r.commands} commands (${r.cards} cards, ${r.customers} customers), ${r.retries} retries with the same key (${r.lostAnswers} answers lost, ${r.serverErrors} 5xx)`,
    `  retried commands: ${r.retried.nothingWritten} had written nothing, ${r.retried.eventsWritten} their events but no idempotency record (answered from the events), ${r.retried.answerRecorded} events and record (replayed)`,
    `  ${r.notices.notices} notices sent through the gateway, ${r.notices.sentAgain} of them asked again after a kill (same key, sent once)`,
    `  ${r.events} events in ${r.streams} streams, ${r.auditCheckpoints} audit checkpoints; ${r.documentsCompared} read-model documents compared with a rebuild`,
    `  ${r.checks} checks, ${r.problems.length} problems; ${(r.durationMs / 1000).toFixed(1)} s (${Object.entries(r.phasesMs)
      .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
      .join(', ')})`,
    ...r.problems.slice(0, 20).map((p) => `  PROBLEM ${p}`),
  ].join('\n');
}

/** Waits until no notice is pending and the projections are caught up, twice in a row at the same head. */
async function settled(api: (method: string, url: string) => Promise<{ status: number; body: Record<string, unknown> }>, window: { from: string; to: string }): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const head = await caughtUp(api);
    const res = await api('GET', `/v1/reports/notifications?${new URLSearchParams({ ...window, minPosition: head }).toString()}`);
    const overall = (res.body.totals as { overall?: { pending?: number } } | undefined)?.overall;
    if (res.status === 200 && overall?.pending === 0 && (await caughtUp(api)) === head) return head;
    if (Date.now() > deadline) throw new Error(`Notices still pending: ${short(res.body)}`);
    await sleep(250);
  }
}

/** Waits until every projection is live at the head of the log, the head staying put; answers the head. */
async function caughtUp(api: (method: string, url: string) => Promise<{ status: number; body: Record<string, unknown> }>): Promise<string> {
  const deadline = Date.now() + 120_000;
  let previous: string | null = null;
  for (;;) {
    const res = await api('GET', '/v1/projections');
    const items = (res.body.items as { name: string; state: string; checkpoint: string | null; headPosition: string | null; lagEvents: number; error: string | null }[] | undefined) ?? [];
    const head = items[0]?.headPosition ?? null;
    const done = res.status === 200 && head !== null && items.every((p) => p.state === 'live' && p.lagEvents === 0 && p.checkpoint === head && p.headPosition === head);
    if (done && head === previous) return head;
    if (process.env.CRASH_DEBUG) process.stderr.write(`${short(items.map((p) => [p.name, p.state, p.checkpoint, p.headPosition, p.lagEvents, p.error]))}\n`);
    previous = done ? head : null;
    if (Date.now() > deadline) throw new Error(`The projections did not catch up: ${short(res.body)}`);
    await sleep(250);
  }
}

interface OnlineFindings {
  readonly reports: { funnel: Record<string, unknown>; activations: Record<string, unknown>; disputes: Record<string, unknown> };
  readonly listed: readonly Record<string, unknown>[];
  readonly range: { from: string; to: string };
}

async function readLog(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let from: RecordedEvent['position'] | 'start' = 'start'; ; ) {
    const page = await store.readAll({ from, maxCount: 1000 });
    events.push(...page);
    if (page.length < 1000) return events;
    from = page[page.length - 1].position;
  }
}

async function dump(store: ReadStore, collection: string): Promise<ReadDocument[]> {
  const docs: ReadDocument[] = [];
  for await (const doc of store.scan(collection)) docs.push(doc);
  return docs.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
}

async function checkStores(input: {
  config: ReturnType<typeof loadAppConfig>;
  dataDir: string;
  workDir: string;
  head: string;
  load: LifecycleLoad;
  checks: Checks;
  online: OnlineFindings;
  gateway: CountingSmsGateway;
}): Promise<{ events: number; streams: number; auditCheckpoints: number; documentsCompared: number; retried: RetryOutcomes; notices: NoticeFigures }> {
  const { checks, load } = input;
  const store = SqliteEventStore.open(path.join(input.dataDir, 'events.db'));
  let events: RecordedEvent[];
  try {
    events = await readLog(store);
  } finally {
    await store.close();
  }
  const streams = new Map<string, RecordedEvent[]>();
  for (const e of events) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e]);
  checks.equal(
    events.filter((e) => BigInt(e.position.commit) > parsePosition(input.head).commit).map((e) => `${e.streamId} ${e.type}`),
    [],
    'events written after the projections caught up and before the stop',
  );

  const retried = checkCommands(load.commands, events, streams, checks);
  const truth = checkCards(load.cards, load.customers, streams, checks);
  const notices = checkNotices(streams, input.gateway, checks);
  checkReports(truth, events, input.online, checks);

  // Read models: as the live service left them (killed many times) against a rebuild from zero into a fresh store.
  const documentsCompared = await checkReadModels(input.config, path.join(input.workDir, 'rebuilt-read-models.db'), input.head, checks);

  const auditCheckpoints = streams.get('audit-checkpoints')?.length ?? 0;
  checks.that(auditCheckpoints > 0, () => 'no audit checkpoint was signed');
  return { events: events.length, streams: streams.size, auditCheckpoints, documentsCompared, retried, notices };
}

/**
 * Every command answered is in the log once: the events carrying its key are in its stream, of the types it must
 * append, appended once (consecutive revisions, one set per stream), at the position and revision its answer
 * gave; its idempotency record is there, once, with the answer the client got. No keyed event belongs to a
 * command nobody sent.
 */
function checkCommands(commands: readonly CommandRecord[], events: readonly RecordedEvent[], streams: Map<string, RecordedEvent[]>, checks: Checks): RetryOutcomes {
  const outcomes: RetryOutcomes = { nothingWritten: 0, eventsWritten: 0, answerRecorded: 0 };
  const byKey = new Map<string, RecordedEvent[]>();
  for (const e of events) {
    const key = e.metadata.idempotencyKey;
    if (typeof key === 'string') byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  const sent = new Set<string>();
  for (const command of commands) {
    const scoped = `${command.subject} ${command.key}`;
    sent.add(scoped);
    if (command.status === undefined) continue; // never answered: reported by the client already
    const what = `${command.key} ${command.kind} (answered ${command.status}${command.replayed ? ', replayed' : ''}, sent ${command.sends}×)`;
    const own = byKey.get(scoped) ?? [];
    if (!checks.that(own.length > 0, () => `${what}: no event in the store carries its key`)) continue;
    const perStream = new Map<string, RecordedEvent[]>();
    for (const e of own) perStream.set(e.streamId, [...(perStream.get(e.streamId) ?? []), e]);
    for (const [streamId, group] of perStream) {
      const revisions = group.map((e) => Number(e.revision));
      checks.that(
        revisions.every((r, i) => i === 0 || r === revisions[i - 1] + 1),
        () => `${what}: its events in ${streamId} are not one append (revisions ${revisions.join(', ')}): the command ran twice`,
      );
    }
    const target = command.stream();
    const mine = perStream.get(target) ?? [];
    checks.equal(mine.map((e) => e.type), command.expectedTypes, `${what}: its events in ${target}`);
    const answer = command.answer ?? {};
    if (command.sends > 1) {
      if (command.replayed) outcomes.answerRecorded += 1;
      else if (mine.length > 0 && mine[0].recordedAt.getTime() < command.answeredSendAt!) outcomes.eventsWritten += 1;
      else outcomes.nothingWritten += 1;
    }
    if (command.status! < 300 && mine.length > 0) {
      const last = mine[mine.length - 1];
      checks.equal(answer.position, formatPosition(last.position), `${what}: the position it answered`);
      checks.equal(answer.revision, Number(last.revision), `${what}: the revision it answered`);
      if (command.kind === 'dispute') checks.equal(answer.disputeId, last.data.disputeId, `${what}: the dispute id it answered`);
    }
    const record = streams.get(`idempotency-${createHash('sha256').update(scoped).digest('hex')}`) ?? [];
    if (checks.that(record.length === 1, () => `${what}: ${record.length} idempotency records`)) {
      const data = record[0].data;
      checks.equal(data.statusCode, command.status, `${what}: the status its idempotency record keeps`);
      if (command.status! < 300) checks.equal(data.body, answer, `${what}: the answer its idempotency record keeps`);
    }
  }
  for (const key of byKey.keys()) {
    checks.that(!key.startsWith('crash-client-') || sent.has(key), () => `events carry the key ${key}, which no client sent`);
  }
  for (const [streamId, stream] of streams) {
    if (streamId.startsWith('idempotency-')) checks.that(stream.length === 1, () => `${streamId} holds ${stream.length} records`);
  }
  return outcomes;
}

/** What the retries of commands whose answer was lost found when they came back. */
export interface RetryOutcomes {
  /** The killed attempt had written nothing: the retry ran the command. */
  nothingWritten: number;
  /** It had written the command's events but not its idempotency record: the retry was answered from the events. */
  eventsWritten: number;
  /** It had written events and record: the retry was answered from the record (Idempotent-Replayed). */
  answerRecorded: number;
}

export interface NoticeFigures {
  readonly notices: number;
  /** Notices the gateway was asked to send more than once (after a kill between the send and its record). */
  readonly sentAgain: number;
}

/** The notices each card event asks for (one per configured channel: SMS), by the event's type. */
const NOTICE_OF: Readonly<Record<string, string>> = {
  CardActivated: 'activation-confirmation',
  ActivationAttemptFailed: 'security-alert-wrong-cvv',
  CardDisputed: 'dispute-opened',
  DisputeResolved: 'dispute-resolved',
  CardSuspended: 'card-suspended',
  CardCancelled: 'card-cancelled',
};

/**
 * Every notice a card event asks for was requested once and sent once (recorded once), and the gateway got exactly
 * the sent notices, with the message ids recorded; repeats to the gateway, under the notice's key, are counted.
 */
function checkNotices(streams: Map<string, RecordedEvent[]>, gateway: CountingSmsGateway, checks: Checks): NoticeFigures {
  const expected = new Map<string, string[]>();
  const requested = new Map<string, string[]>();
  const sent = new Set<string>();
  for (const [streamId, stream] of streams) {
    if (streamId.startsWith('card-')) {
      expected.set(streamId.slice(5), stream.flatMap((e) => (NOTICE_OF[e.type] ? [NOTICE_OF[e.type]] : [])).sort());
    }
    if (!streamId.startsWith('notification-')) continue;
    const id = streamId.slice('notification-'.length);
    const types = stream.map((e) => e.type);
    checks.equal(types, ['NotificationRequested', 'NotificationSent'], `${streamId}: its events`);
    const first = stream[0].data;
    const cardId = String(first.cardId);
    requested.set(cardId, [...(requested.get(cardId) ?? []), String(first.templateId)]);
    const sentEvent = stream.find((e) => e.type === 'NotificationSent');
    if (sentEvent) {
      sent.add(id);
      checks.equal(sentEvent.data.providerMessageId, gateway.delivered.get(id), `${streamId}: the gateway's message id`);
    }
  }
  for (const [cardId, templates] of expected) checks.equal((requested.get(cardId) ?? []).sort(), templates, `card-${cardId}: the notices requested`);
  checks.equal([...gateway.delivered.keys()].sort(), [...sent].sort(), 'the notices the gateway sent, against those recorded sent');
  return { notices: sent.size, sentAgain: [...gateway.requests.values()].filter((n) => n > 1).length };
}

/** A card as its events tell it, folded here without the service's code (for the reports and the card list). */
interface CardTruth {
  cardId: string;
  product: string;
  status: string;
  issuedAt: string;
  identityVerifiedAt: string | null;
  linkedAt: string | null;
  activatedAt: string | null;
  notifiedAt: string | null;
  cancelledAt: string | null;
  disputes: { disputeId: string; reason: string; openedAt: string; outcome: string | null }[];
}

function foldCard(cardId: string, stream: readonly RecordedEvent[]): CardTruth {
  const card: CardTruth = { cardId, product: '', status: '', issuedAt: '', identityVerifiedAt: null, linkedAt: null, activatedAt: null, notifiedAt: null, cancelledAt: null, disputes: [] };
  const before: string[] = [];
  for (const e of stream) {
    const d = e.data as Record<string, string>;
    switch (e.type) {
      case 'CardIssued':
        Object.assign(card, { product: d.product, status: 'ISSUED', issuedAt: d.issuedAt });
        break;
      case 'IdentityVerified':
        card.status = 'IDENTITY_VERIFIED';
        card.identityVerifiedAt ??= d.verifiedAt;
        break;
      case 'CardLinked':
        card.status = 'LINKED';
        card.linkedAt ??= d.linkedAt;
        break;
      case 'CardActivated':
        card.status = 'ACTIVE';
        card.activatedAt ??= d.activatedAt;
        break;
      case 'CardSuspended':
        before.push(card.status);
        card.status = 'SUSPENDED';
        break;
      case 'CardReinstated':
        card.status = before.pop() ?? 'ACTIVE';
        break;
      case 'CardDisputed':
        before.push(card.status);
        card.status = 'DISPUTED';
        card.disputes.push({ disputeId: d.disputeId, reason: d.reason, openedAt: d.openedAt, outcome: null });
        break;
      case 'DisputeResolved': {
        card.status = before.pop() ?? 'ACTIVE';
        const dispute = card.disputes.find((x) => x.disputeId === d.disputeId);
        if (dispute) dispute.outcome = d.outcome;
        break;
      }
      case 'CardCancelled':
        card.status = 'CANCELLED';
        card.cancelledAt ??= d.cancelledAt;
        break;
      default:
        break; // ActivationAttemptFailed changes no status
    }
  }
  return card;
}

/**
 * Every card's stream holds exactly the events of the commands its client was answered, in order (nothing lost,
 * nothing twice, nothing else); every customer's stream its registration; no other card or customer exists.
 */
function checkCards(cards: readonly CardModel[], customers: readonly string[], streams: Map<string, RecordedEvent[]>, checks: Checks): Map<string, CardTruth> {
  const truth = new Map<string, CardTruth>();
  for (const card of cards) {
    const stream = streams.get(`card-${card.cardId}`) ?? [];
    checks.equal(stream.map((e) => e.type), card.events, `card-${card.cardId}: its events`);
    const folded = foldCard(card.cardId, stream);
    checks.equal(folded.status, card.status, `card-${card.cardId}: its status from the events, against what its client was told`);
    checks.equal(
      folded.disputes.map((d) => [d.disputeId, d.reason, d.outcome]),
      card.disputes.map((d) => [d.disputeId, d.reason, d.outcome]),
      `card-${card.cardId}: its disputes`,
    );
    truth.set(card.cardId, folded);
  }
  for (const customerId of customers) {
    checks.equal((streams.get(`customer-${customerId}`) ?? []).map((e) => e.type), ['CustomerRegistered'], `customer-${customerId}: its events`);
  }
  const cardStreams = [...streams.keys()].filter((s) => s.startsWith('card-')).length;
  checks.equal(cardStreams, cards.length, 'card streams in the store (one per card the clients were told was issued)');
  const customerStreams = [...streams.keys()].filter((s) => s.startsWith('customer-')).length;
  checks.equal(customerStreams, customers.length, 'customer streams in the store (one per registration answered)');
  return truth;
}

/** The reports the service gave, against counts made here from the events. */
function checkReports(truth: Map<string, CardTruth>, events: readonly RecordedEvent[], online: OnlineFindings, checks: Checks): void {
  // NOTIFIED: the first NotificationSent of a card's activation-confirmation notice, if any notice was sent.
  const noticeCard = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'NotificationRequested' && e.data.templateId === 'activation-confirmation' && typeof e.data.cardId === 'string') noticeCard.set(e.streamId, e.data.cardId);
    if (e.type === 'NotificationSent' && noticeCard.has(e.streamId)) {
      const card = truth.get(noticeCard.get(e.streamId)!);
      if (card) card.notifiedAt ??= e.data.sentAt as string;
    }
  }
  const inRange = (at: string | null) => at !== null && at >= online.range.from && at < online.range.to;
  const cards = [...truth.values()];
  const cohort = cards.filter((c) => inRange(c.issuedAt));
  const stages: [string, (c: CardTruth) => string | null][] = [
    ['ISSUED', (c) => c.issuedAt],
    ['IDENTITY_VERIFIED', (c) => c.identityVerifiedAt],
    ['LINKED', (c) => c.linkedAt],
    ['ACTIVE', (c) => c.activatedAt],
    ['NOTIFIED', (c) => c.notifiedAt],
  ];
  const funnel = online.reports.funnel;
  checks.equal(funnel.cohort, cohort.length, 'funnel: cohort');
  const rows = (funnel.items as { stage: string; reached: number; droppedAfter: { total: number; cancelled: number } | null }[] | undefined) ?? [];
  stages.forEach(([stage, at], i) => {
    const reached = cohort.filter((c) => at(c) !== null);
    const row = rows.find((r) => r.stage === stage);
    checks.equal(row?.reached, reached.length, `funnel: ${stage} reached`);
    if (i + 1 < stages.length) {
      const dropped = reached.filter((c) => stages[i + 1][1](c) === null);
      checks.equal(row?.droppedAfter?.total, dropped.length, `funnel: dropped after ${stage}`);
      checks.equal(row?.droppedAfter?.cancelled, dropped.filter((c) => c.cancelledAt !== null).length, `funnel: dropped after ${stage}, cancelled`);
    }
  });

  const disputes = cards.flatMap((c) => c.disputes);
  const totals = online.reports.activations.totals;
  checks.equal(
    totals,
    {
      issued: cards.filter((c) => inRange(c.issuedAt)).length,
      verified: cards.filter((c) => inRange(c.identityVerifiedAt)).length,
      linked: cards.filter((c) => inRange(c.linkedAt)).length,
      activated: cards.filter((c) => inRange(c.activatedAt)).length,
      disputed: disputes.filter((d) => inRange(d.openedAt)).length,
      cancelled: cards.filter((c) => inRange(c.cancelledAt)).length,
    },
    'activations: totals',
  );
  const byProduct = (online.reports.activations.items as { group: string; issued: number }[] | undefined) ?? [];
  checks.equal(
    byProduct.map((r) => [r.group, r.issued]),
    [...new Set(cards.map((c) => c.product))].sort().map((p) => [p, cards.filter((c) => c.product === p).length]),
    'activations by product: issued',
  );

  const report = online.reports.disputes;
  const opened = disputes.filter((d) => inRange(d.openedAt));
  checks.equal(report.total, opened.length, 'disputes: total');
  checks.equal(report.open, opened.filter((d) => d.outcome === null).length, 'disputes: open');
  const tally = (values: string[]) => values.reduce<Record<string, number>>((t, v) => ({ ...t, [v]: (t[v] ?? 0) + 1 }), {});
  const nonZero = (record: unknown) => Object.fromEntries(Object.entries((record as Record<string, number>) ?? {}).filter(([, n]) => n !== 0));
  checks.equal(nonZero(report.byOutcome), tally(opened.map((d) => d.outcome ?? 'OPEN')), 'disputes: by outcome');
  checks.equal(nonZero(report.byReason), tally(opened.map((d) => d.reason)), 'disputes: by reason');

  // The card list (the cards read model) against the events, card by card, and counted by status.
  const listedStatus = new Map(online.listed.map((c) => [c.cardId as string, c.status as string]));
  checks.equal(listedStatus.size, truth.size, 'GET /v1/cards: cards listed');
  for (const card of cards) checks.equal(listedStatus.get(card.cardId), card.status, `GET /v1/cards: the status of ${card.cardId}`);
  checks.equal(tally([...listedStatus.values()]), tally(cards.map((c) => c.status)), 'GET /v1/cards: cards by status');
}

/**
 * Rebuilds every projection the service runs (the same list, built by the same module) from position zero into a
 * fresh store, and compares every collection, document for document, and every checkpoint with the read models
 * the killed-and-restarted service left.
 */
async function checkReadModels(config: ReturnType<typeof loadAppConfig>, freshFile: string, head: string, checks: Checks): Promise<number> {
  const app = await NestFactory.createApplicationContext(InfrastructureModule.forRoot(config), { logger: false });
  const fresh = SqliteReadStore.open(freshFile);
  let compared = 0;
  try {
    const projections = app.get<Projection[]>(PROJECTIONS);
    const live = app.get<ReadStore>(READ_STORE);
    const runner = new ProjectionRunner(app.get<EventStore>(EVENT_STORE), fresh, projections);
    await runner.start();
    const rebuilt = await waitForProjections(fresh, parsePosition(head), projections.map((p) => p.name), 180_000);
    await runner.stop();
    if (!checks.that(rebuilt, () => 'the rebuild did not reach the head of the log')) return 0;
    for (const projection of projections) {
      const [a, b] = await Promise.all([live.checkpoint(projection.name), fresh.checkpoint(projection.name)]);
      checks.equal(
        a && { position: a.position && formatPosition(a.position), eventsApplied: a.eventsApplied },
        b && { position: b.position && formatPosition(b.position), eventsApplied: b.eventsApplied },
        `projection ${projection.name}: checkpoint (live, against a rebuild)`,
      );
      for (const { name } of projection.collections) {
        const [liveDocs, freshDocs] = await Promise.all([dump(live, name), dump(fresh, name)]);
        compared += liveDocs.length;
        checks.equal(liveDocs.map((d) => d._id), freshDocs.map((d) => d._id), `read model ${name}: the documents' ids (live, against a rebuild)`);
        const rebuiltById = new Map(freshDocs.map((d) => [d._id, d]));
        for (const doc of liveDocs) {
          const other = rebuiltById.get(doc._id);
          if (other) checks.equal(doc, other, `read model ${name}, document ${doc._id} (live, against a rebuild)`);
        }
      }
    }
  } finally {
    await fresh.close();
    await app.close();
  }
  return compared;
}
