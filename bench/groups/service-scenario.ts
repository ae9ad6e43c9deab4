import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { residentIdCheckCharacter } from '@cards/domain';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditCheckpointsModule } from '@cards/application';
import { comparePositions, EVENT_STORE, SqliteEventStore, type EventStore, type Position } from '@cards/event-store';
import { InfrastructureModule, loadAppConfig, type AppConfig } from '@cards/platform';
import { SqliteReadStore } from '@cards/read-store';
import { computeVisaCvv, TokenMinter } from '@cards/security';
import type { BenchContext } from '../core/context';
import { cardHistory, historyLength, HISTORY_KINDS, MEAN_EVENTS_PER_CARD } from '../core/histories';
import { summariseProfile, type ProfileSummary } from '../core/profiler';
import { row, type Row } from '../core/rows';
import { msSince, now, percentile, perSecond, round1, shuffled, sleep } from '../core/stats';
import type { LoadPlan, LoadResult, PlannedRequest } from '../loadgen';
import { scriptOf, type Build } from '../service/build';
import { assertAllOk, combine, runLoad } from '../service/load';
import {
  freePort,
  heapSnapshotSetup,
  memoryBreakdownOf,
  memoryOf,
  startNodeProcess,
  stopProcess,
  takeHeapSnapshot,
  waitUntilIdle,
  type HeapSnapshot,
  type MemoryBreakdown,
  type NodeProcess,
} from '../service/processes';

/**
 * Rows 4–9 of issue 8, in one scenario and one DATA_DIR: a store of 1,000,000 events (synthetic card histories
 * appended through SqliteEventStore), every projection rebuilt from zero over it, then card-api started on it as
 * its own process (from a private build of the sources), the lifecycle mix and GET /v1/cards/{id} driven by
 * autocannon in another process, each against a bare NestJS + Fastify app (bench/bare-app.ts), then the audit
 * rows, and card-api's resident memory. docs/performance.md describes each step.
 */

interface Sizes {
  readonly events: number;
  readonly warmupLifecycles: number;
  readonly lifecycles: number;
  readonly getSeconds: number;
  readonly warmupSeconds: number;
  readonly replays: number;
  readonly replayWarmup: number;
  readonly historyWriters: number;
}

const FULL: Sizes = { events: 1_000_000, warmupLifecycles: 300, lifecycles: 2000, getSeconds: 15, warmupSeconds: 3, replays: 2000, replayWarmup: 100, historyWriters: 16 };
/** Quick: no warm-ups (its figures are not comparable with a full run's anyway), to stay near a minute. */
const QUICK: Sizes = { events: 50_000, warmupLifecycles: 0, lifecycles: 150, getSeconds: 1.5, warmupSeconds: 0, replays: 200, replayWarmup: 0, historyWriters: 16 };

const CONNECTIONS = 32;
const READ_PAGE = 1000;
/** Every role the steps need: issuer (commands), analyst (projections), auditor (audit), admin. */
const BENCH_ROLES = ['issuer', 'agent', 'analyst', 'auditor', 'admin'];
const CUSTOMER_NAME = '张三';

export interface ScenarioOptions {
  /**
   * BENCH_HEAP_SNAPSHOT=1: card-api writes a heap snapshot right after the memory row's measurement, moved here (the
   * run's temporary directory is removed at its end). null: no snapshot.
   */
  readonly heapSnapshotDir: string | null;
  /** The Node.js flags of card-api's production start (package.json `start`, the Dockerfile's CMD). */
  readonly serviceNodeFlags: readonly string[];
  /** card-projector's (`npm run start:projector`, docker-compose.yml): the rebuild's process runs with them. */
  readonly projectorNodeFlags: readonly string[];
}

export async function runServiceScenario(ctx: BenchContext, build: Build, options: ScenarioOptions): Promise<Row[]> {
  const sizes = ctx.quick ? QUICK : FULL;
  const work = ctx.tempDir('service');
  const dataDir = path.join(work.path, 'data');
  const profileDir = ctx.options.profileDir;
  let service: NodeProcess | undefined;
  let bare: NodeProcess | undefined;
  let projector: NodeProcess | undefined;
  try {
    const serviceEnv = environmentFor(dataDir);
    // Generates the embedded keys into DATA_DIR/secrets.json now, as card-api would: the bench needs the CVK for CVV2s.
    const config = loadAppConfig(serviceEnv);

    const history = await writeHistory(ctx, config, sizes);
    const logRead = await readWholeLog(ctx, dataDir);

    const rows: Row[] = [];
    const profiles: Record<string, ProfileSummary> = {};
    /** One step's failure costs its rows only: it is reported, and the next steps run. */
    const step = async (what: string, body: () => Promise<void>): Promise<void> => {
      try {
        await body();
      } catch (error) {
        ctx.fail(`service: ${what}`, withExits(error, [service, bare]));
      }
    };
    if (ctx.wants('projections.rebuild')) await step('projection rebuild', async () => {
      const rebuild = await rebuildAll(ctx, build, serviceEnv, dataDir, profileDir, options.projectorNodeFlags);
      if (rebuild.profile) profiles['projections.rebuild'] = rebuild.profile;
      rows.push(
        row({
          id: 'projections.rebuild',
          label: 'projection rebuild events/s, all projections from zero',
          figure: { value: perSecond(history.events, rebuild.ms), unit: 'events/s' },
          reference: { value: logRead.eventsPerSecond, unit: 'events/s', label: `bare read of the same log: readAll pages of ${READ_PAGE}, one pass` },
          target: { kind: 'at-least', value: 50_000 },
          details: {
            method: `ProjectionRunner (batches of 500) with card-api's projection list (InfrastructureModule's PROJECTIONS: ${rebuild.projections.join(', ')}) over an empty read-models.db, in a process of its own started with card-projector's Node.js flags, from the runner's start to the last checkpoint's commit at the head`,
            events: history.events,
            seconds: Number((rebuild.ms / 1000).toFixed(1)),
            secondsUntilEachProjectionReachedTheHead: rebuild.finishedAfterSeconds,
            // The rebuild's process at its peak, with card-projector's flags: what card-projector needs to rebuild from zero.
            peakRssMB: rebuild.peakRssMB,
            ...(profiles['projections.rebuild'] && { profile: profiles['projections.rebuild'] }),
          },
        }),
      );
    });

    const profiling = profileDir !== null;
    /** Starts an app of the build in a process of its own and waits until it answers /health/ready. */
    const startApp = async (app: 'card-api' | 'card-projector', nodeArgs: readonly string[], env: Record<string, string>, logName: string): Promise<NodeProcess> =>
      startNodeProcess({
        name: app,
        nodeArgs,
        script: scriptOf(build, `apps/${app}/src/main.ts`),
        env: { ...build.env, ...env },
        port: await freePort(),
        logFile: path.join(work.path, logName),
        readyPath: '/health/ready',
        timeoutMs: 600_000,
      });
    // BENCH_HEAP_SNAPSHOT=1: a heap snapshot of card-api right after the memory row's measurement (docs/performance.md).
    const heapDir = path.join(work.path, 'heap');
    const heapStats = path.join(heapDir, 'v8-stats.json');
    const heap = options.heapSnapshotDir !== null ? heapSnapshotSetup(heapDir, heapStats, scriptOf(build, 'bench/service/heap-stats-preload.ts')) : null;
    ctx.progress(`starting card-api on ${history.events.toLocaleString('en-US')} events (its own process, from the build)`);
    const serviceStart = now();
    service = await startApp(
      'card-api',
      [...options.serviceNodeFlags, ...build.nodeArgs, ...(profiling ? ['-r', scriptOf(build, 'bench/service/profiler-preload.ts')] : []), ...(heap?.nodeArgs ?? [])],
      { ...serviceEnv, ...(profiling && { BENCH_PROFILE_DIR: profileDir!, BENCH_PROFILE_PREFIX: 'card-api' }), ...heap?.env },
      'card-api.log',
    );
    const readySeconds = msSince(serviceStart) / 1000;
    ctx.progress('card-api is up; waiting until its start-up work is done (projections, notification reactor and audit checkpoints catching up)');
    const idleSeconds = await waitUntilIdle(service.pid, 900_000);
    const startup = { build: build.compiled ? 'compiled in this run' : 'from the cache', readySeconds: round1(readySeconds), busyAfterReadySeconds: round1(idleSeconds) };

    const barePort = await freePort();
    bare = await startNodeProcess({
      name: 'bare NestJS app',
      nodeArgs: build.nodeArgs,
      script: scriptOf(build, 'bench/bare-app.ts'),
      env: build.env,
      port: barePort,
      logFile: path.join(work.path, 'bare-app.log'),
      readyPath: `/bare/${randomUUID()}`,
    });

    const token = await TokenMinter.forSecret(serviceEnv.AUTH_JWT_SECRET).mint({ subject: 'bench', roles: BENCH_ROLES, ttlSeconds: 6 * 3600 });
    const http = new ServiceHttp(build, work.path, service, bare, token);
    let profileCount = 0;
    const profiled = async <T>(key: string, step: () => Promise<T>): Promise<T> => {
      if (!profiling) return step();
      process.kill(service!.pid, 'SIGWINCH');
      try {
        return await step();
      } finally {
        process.kill(service!.pid, 'SIGWINCH');
        const file = path.join(profileDir!, `card-api-${++profileCount}.cpuprofile`);
        for (let i = 0; i < 600 && !fs.existsSync(file); i++) await sleep(100);
        if (fs.existsSync(file)) {
          const target = path.join(profileDir!, `card-api-${key}.cpuprofile`);
          fs.renameSync(file, target);
          profiles[key] = summariseProfile(target);
        }
      }
    };

    // ---- the lifecycle mix (rows 4 and 7) ----
    const people = new People(config);
    /** A warm-up, then the measured mix of new cards with the projection lag sampled; `what` names it in the progress. */
    const measuredMix = async (via: ServiceHttp, what: string, profileKey: string | null) => {
      if (sizes.warmupLifecycles > 0) {
        ctx.progress(`HTTP: ${what}, warm-up of ${sizes.warmupLifecycles} cards`);
        await runMix(via, people.next(sizes.warmupLifecycles));
      }
      const projectionNames = ((await via.getJson('/v1/projections')) as { items: { name: string }[] }).items.map((p) => p.name);
      ctx.progress(`HTTP: ${what}, ${sizes.lifecycles} cards × 5 commands at ${CONNECTIONS} connections, projection lag sampled`);
      const sampler = await LagSampler.open(dataDir, projectionNames);
      sampler.start();
      const measure = () => runMix(via, people.next(sizes.lifecycles));
      const mix = profileKey === null ? await measure() : await profiled(profileKey, measure);
      const lag = await sampler.stop();
      return { mix, lag, projectionNames, commands: combine(mix.steps.map((s) => s.result)) };
    };
    let mixCards: string[] = [];
    /** The bare POST's run, the reference of both mixes. */
    let barePostRun: LoadResult | null = null;
    const wantsMix = ctx.wantsAny(['http.commands', 'projections.lag.p99', 'http.get-card', 'memory.rss', 'http.commands.split']);
    if (wantsMix) await step('lifecycle mix', async () => {
      ctx.progress(`HTTP: bare POST, warm-up then ${sizes.lifecycles * 5} requests at ${CONNECTIONS} connections`);
      const bareBodies = people.next(sizes.lifecycles).map((p) => ({ method: 'POST' as const, path: '/bare', body: JSON.stringify(p.customer) }));
      if (sizes.warmupSeconds > 0) await http.load('bare', bareBodies, { durationSeconds: sizes.warmupSeconds });
      const barePost = await http.load('bare', bareBodies, { amount: bareBodies.length * 5 });
      assertAllOk('bare POST', barePost);
      barePostRun = barePost;

      const { mix, lag, projectionNames, commands } = await measuredMix(http, 'lifecycle mix', 'http.commands');
      mixCards = mix.cardIds;
      const bareCombined = combine([barePost]);
      const method =
        `${sizes.lifecycles} new customers and cards driven through register → issue → verify (ID_DOCUMENT) → link → activate (CVV2), each step one autocannon run ` +
        `of ${sizes.lifecycles} requests at ${CONNECTIONS} connections over the ids the step before created, after a warm-up of ${sizes.warmupLifecycles} cards; ` +
        'figure = all requests / the sum of the five runs\' durations; latencies pooled';
      const perStep = Object.fromEntries(mix.steps.map((s) => [s.name, { perSecond: Math.round(perSecond(s.result.requests, s.result.durationMs)), p50Ms: round1(percentile(s.result.latenciesMs, 50)), p99Ms: round1(percentile(s.result.latenciesMs, 99)) }]));
      const bareLabel = `bare NestJS + Fastify POST, same ValidationPipe, no work, ${CONNECTIONS} connections`;
      if (ctx.wants('http.commands')) {
        rows.push(
          row({
            id: 'http.commands',
            label: 'HTTP commands/s, lifecycle mix',
            figure: { value: commands.perSecond, unit: 'req/s' },
            reference: { value: bareCombined.perSecond, unit: 'req/s', label: bareLabel },
            target: { kind: 'ratio-at-least', value: 0.5 },
            details: { method, requests: commands.requests, perStep, statusCounts: commands.statusCounts, ...(profiles['http.commands'] && { profile: profiles['http.commands'] }) },
          }),
        );
      }
      if (ctx.wants('http.commands.p50')) {
        rows.push(row({ id: 'http.commands.p50', label: 'HTTP commands p50 latency', figure: { value: commands.p50Ms, unit: 'ms' }, reference: { value: bareCombined.p50Ms, unit: 'ms', label: bareLabel }, details: { method } }));
      }
      if (ctx.wants('http.commands.p99')) {
        rows.push(
          row({
            id: 'http.commands.p99',
            label: 'HTTP commands p99 latency',
            figure: { value: commands.p99Ms, unit: 'ms' },
            reference: { value: bareCombined.p99Ms, unit: 'ms', label: bareLabel },
            target: { kind: 'below', value: 30 },
            details: { method },
          }),
        );
      }
      if (ctx.wants('projections.lag.p99')) {
        rows.push(
          row({
            id: 'projections.lag.p99',
            label: 'projection lag p99 during the mix',
            figure: { value: percentile(lag.samplesMs, 99), unit: 'ms' },
            target: { kind: 'below', value: 100 },
            details: {
              method:
                `every ${LagSampler.INTERVAL_MS} ms during the measured mix, from the bench process: the age (now − recordedAt) of the oldest event in events.db that the slowest ` +
                `projection's checkpoint in read-models.db has not reached, 0 when every projection is at the head (GET /v1/projections' lagSeconds, in ms); projections: ${projectionNames.join(', ')}`,
              samples: lag.samplesMs.length,
              p50Ms: round1(percentile(lag.samplesMs, 50)),
              maxMs: round1(Math.max(...lag.samplesMs)),
              slowestProjections: lag.slowest,
            },
          }),
        );
      }
    });

    /** card-api's memory at the moment of the memory row's figure, and the heap snapshot taken right after it. */
    let memoryAtFigure: { rssMB: number; peakRssMB: number; breakdown: MemoryBreakdown | null } | null = null;
    let heapSnapshot: HeapSnapshot | null = null;
    const measureMemory = async (): Promise<void> => {
      memoryAtFigure = { ...memoryOf(service!.pid), breakdown: memoryBreakdownOf(service!.pid) };
      if (heap === null) return;
      ctx.progress('card-api: writing a heap snapshot (BENCH_HEAP_SNAPSHOT=1; the process is frozen meanwhile, and its peak RSS grows)');
      const keepAs = path.join(options.heapSnapshotDir!, `card-api-${new Date().toISOString().replace(/[:.]/g, '-')}.heapsnapshot`);
      heapSnapshot = await takeHeapSnapshot(service!, { diagnosticDir: heapDir, statsFile: heapStats, keepAs, probePath: '/health/ready' });
      ctx.progress(`card-api heap snapshot (${heapSnapshot.megabytes} MB, ${heapSnapshot.seconds} s): ${heapSnapshot.file}`);
    };

    // ---- GET /v1/cards/{id} (row 5) ----
    if (ctx.wantsAny(['http.get-card', 'memory.rss'])) await step('GET /v1/cards/{id}', async () => {
      const cards = mixCards.length > 0 ? mixCards : history.busyCards;
      ctx.progress(`HTTP: GET /v1/cards/{id} and bare GET, ${sizes.getSeconds} s each at ${CONNECTIONS} connections`);
      const bareGets = cards.map((id) => ({ method: 'GET' as const, path: `/bare/${id}` }));
      const serviceGets = cards.map((id) => ({ method: 'GET' as const, path: `/v1/cards/${id}` }));
      if (sizes.warmupSeconds > 0) await http.load('bare', bareGets, { durationSeconds: sizes.warmupSeconds });
      const bareGet = await http.load('bare', bareGets, { durationSeconds: sizes.getSeconds });
      assertAllOk('bare GET', bareGet);
      if (sizes.warmupSeconds > 0) await http.load('service', serviceGets, { durationSeconds: sizes.warmupSeconds });
      const getCard = await profiled('http.get-card', () => http.load('service', serviceGets, { durationSeconds: sizes.getSeconds }));
      assertAllOk('GET /v1/cards/{id}', getCard);
      if (ctx.wants('memory.rss')) await measureMemory();
      const g = combine([getCard]);
      const b = combine([bareGet]);
      const method = `${cards.length} cards the mix created (4 events each), requested in turn for ${sizes.getSeconds} s at ${CONNECTIONS} connections after a ${sizes.warmupSeconds} s warm-up; the bare app answers a constant card of the same shape`;
      const bareLabel = `bare NestJS + Fastify GET with a UUID pipe, no work, ${CONNECTIONS} connections`;
      if (ctx.wants('http.get-card')) {
        rows.push(
          row({
            id: 'http.get-card',
            label: 'GET /v1/cards/{id} per s',
            figure: { value: g.perSecond, unit: 'req/s' },
            reference: { value: b.perSecond, unit: 'req/s', label: bareLabel },
            target: { kind: 'ratio-at-least', value: 0.6 },
            details: { method, requests: g.requests, p50Ms: round1(g.p50Ms), ...(profiles['http.get-card'] && { profile: profiles['http.get-card'] }) },
          }),
        );
      }
      if (ctx.wants('http.get-card.p99')) {
        rows.push(row({ id: 'http.get-card.p99', label: 'GET /v1/cards/{id} p99 latency', figure: { value: g.p99Ms, unit: 'ms' }, reference: { value: b.p99Ms, unit: 'ms', label: bareLabel }, details: { method } }));
      }
    });

    // ---- audit (row 8) ----
    if (ctx.wants('audit.replay.p99')) await step('audit replay', async () => {
      ctx.progress(`audit: ${sizes.replays} replays of 20-event cards, one at a time`);
      const replays = shuffled(history.busyCards).map((id) => ({ method: 'GET' as const, path: `/v1/audit/cards/${id}/state` }));
      if (sizes.replayWarmup > 0) await http.load('service', replays, { amount: Math.min(sizes.replayWarmup, replays.length) }, 1);
      const replay = await profiled('audit.replay.p99', () => http.load('service', replays, { amount: sizes.replays }, 1));
      assertAllOk('GET /v1/audit/cards/{id}/state', replay);
      rows.push(
        row({
          id: 'audit.replay.p99',
          label: 'audit: replay of a 20-event card, p99',
          figure: { value: percentile(replay.latenciesMs, 99), unit: 'ms' },
          target: { kind: 'below', value: 5 },
          details: {
            method: `GET /v1/audit/cards/{id}/state (the state replayed from its stream, with the events that made it) for ${sizes.replays} different 20-event cards of the history, one request at a time (1 connection), after ${sizes.replayWarmup} warm-up requests`,
            p50Ms: round1(percentile(replay.latenciesMs, 50)),
            ...(profiles['audit.replay.p99'] && { profile: profiles['audit.replay.p99'] }),
          },
        }),
      );
    });
    if (ctx.wants('audit.verify')) await step('full verification', async () => {
      ctx.progress('audit: full verification of the store (POST /v1/audit/verifications, followed until it ends)');
      const verification = await profiled('audit.verify', () => http.verifyAll(ctx));
      rows.push(
        row({
          id: 'audit.verify',
          label: 'audit: full verification events/s',
          figure: { value: verification.eventsPerSecond, unit: 'events/s' },
          reference: { value: logRead.eventsPerSecond, unit: 'events/s', label: `bare read of the log: readAll pages of ${READ_PAGE}, one pass` },
          target: { kind: 'at-least', value: 100_000 },
          details: {
            method: 'POST /v1/audit/verifications on card-api (every hash chain, checkpoint signature and signed head), polled every 500 ms; figure = eventsChecked / (finishedAt − startedAt)',
            eventsChecked: verification.eventsChecked,
            seconds: round1(verification.seconds),
            ok: verification.ok,
            serviceReportedEventsPerSecond: verification.reported,
            // The service answers nothing while the job runs without yielding (its last phase): how long a poll waited.
            slowestPollAnswerSeconds: round1(verification.slowestPollSeconds),
            ...(profiles['audit.verify'] && { profile: profiles['audit.verify'] }),
          },
        }),
      );
    });

    // ---- memory (row 9) ----
    if (ctx.wants('memory.rss')) await step('memory', async () => {
      const atEnd = memoryOf(service!.pid);
      const bareMemory = memoryOf(bare!.pid);
      // The GET run failed: measured now instead.
      if (memoryAtFigure === null) await measureMemory();
      const figure = memoryAtFigure!;
      rows.push(
        row({
          id: 'memory.rss',
          label: 'card-api resident memory after the events and the HTTP mix',
          figure: { value: figure.rssMB, unit: 'MiB' },
          reference: { value: bareMemory.rssMB, unit: 'MiB', label: 'the bare NestJS app after its loads' },
          target: { kind: 'below', value: 300 },
          details: {
            method: `VmRSS of the card-api process (/proc) over a store of ${history.events.toLocaleString('en-US')} events, after its start-up catch-up, the lifecycle mix and the GET run`,
            peakRssMB: round1(atEnd.peakRssMB),
            peakRssAtTheFigureMB: round1(figure.peakRssMB),
            rssAtTheEndMB: round1(atEnd.rssMB),
            // smaps_rollup at the figure's moment: anonymous (heap, malloc, SQLite caches) against file-backed pages.
            breakdownMB: figure.breakdown,
            ...(heapSnapshot !== null && { heapSnapshot }),
            startup,
          },
        }),
      );
    });
    // ---- the same mix with the projections in card-projector (docs/scaling.md's layout), last: it restarts card-api ----
    if (ctx.wants('http.commands.split') && barePostRun !== null) await step('lifecycle mix, card-projector apart', async () => {
      ctx.progress('restarting card-api with PROJECTIONS_IN_PROCESS=false and starting card-projector on the same store');
      await stopProcess(service);
      service = await startApp('card-api', [...options.serviceNodeFlags, ...build.nodeArgs], { ...serviceEnv, PROJECTIONS_IN_PROCESS: 'false' }, 'card-api-apart.log');
      projector = await startApp('card-projector', [...options.projectorNodeFlags, ...build.nodeArgs], serviceEnv, 'card-projector.log');
      await waitUntilIdle(service.pid, 900_000);
      await waitUntilIdle(projector.pid, 900_000);
      const apart = new ServiceHttp(build, work.path, service, bare!, token);
      const { lag, commands } = await measuredMix(apart, 'lifecycle mix with card-projector apart', null);
      const bareCombined = combine([barePostRun!]);
      rows.push(
        row({
          id: 'http.commands.split',
          label: 'HTTP commands/s, lifecycle mix, projections in card-projector',
          figure: { value: commands.perSecond, unit: 'req/s' },
          reference: { value: bareCombined.perSecond, unit: 'req/s', label: `the bare POST of the mix row (${CONNECTIONS} connections)` },
          details: {
            method:
              `the mix of http.commands (${sizes.lifecycles} new cards, five autocannon runs at ${CONNECTIONS} connections, after a warm-up of ${sizes.warmupLifecycles}) with ` +
              'card-api restarted with PROJECTIONS_IN_PROCESS=false and card-projector running the projections on the same store, each in its own process with its production flags (docs/scaling.md); ' +
              'on this machine the two processes and the load generator share two cores',
            requests: commands.requests,
            p50Ms: round1(commands.p50Ms),
            p99Ms: round1(commands.p99Ms),
            projectionLagP99Ms: round1(percentile(lag.samplesMs, 99)),
            peakRssMB: { cardApi: round1(memoryOf(service!.pid).peakRssMB), cardProjector: round1(memoryOf(projector!.pid).peakRssMB) },
          },
        }),
      );
    });

    for (const r of rows) (r.details as Record<string, unknown>).store = { events: history.events, cards: history.cards, historySeconds: round1(history.seconds), kinds: HISTORY_KINDS };
    return rows;
  } catch (error) {
    throw withExits(error, [service, bare, projector]);
  } finally {
    await stopProcess(bare);
    await stopProcess(projector);
    await stopProcess(service);
    work.remove();
  }
}

/** The error, with why the service or the bare app went away if one did, and the cause of a failed fetch. */
function withExits(error: unknown, processes: readonly (NodeProcess | undefined)[]): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  if (e.cause instanceof Error) e.message += ` (cause: ${e.cause.message})`;
  for (const p of processes) {
    if (p && (p.child.exitCode !== null || p.child.signalCode !== null)) {
      e.message += `\n${p.name} had exited (${p.child.exitCode ?? p.child.signalCode}); the end of its log:\n${p.tail()}`;
    }
  }
  return e;
}

function environmentFor(dataDir: string): Record<string, string> & { AUTH_JWT_SECRET: string } {
  return {
    DATA_DIR: dataDir,
    AUTH_JWT_SECRET: `bench-${randomBytes(24).toString('hex')}`,
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    LOG_LEVEL: 'info',
  };
}

// ---- the history ----

interface History {
  readonly events: number;
  readonly cards: number;
  readonly seconds: number;
  /** Ids of cards with a 20-event history (for the replay row). */
  readonly busyCards: string[];
}

/** The event store and the audit checkpoint loop, as card-api has them, without HTTP, projections or notices. */
@Module({})
class HistoryWriterModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: HistoryWriterModule, imports: [InfrastructureModule.forRoot(config), AuditCheckpointsModule] };
  }
}

/**
 * Appends synthetic card histories through the service's SqliteEventStore until the log holds `sizes.events`
 * events, while the audit checkpoint loop signs a checkpoint every AUDIT_CHECKPOINT_EVERY (1000) events as the
 * live service does: the store then looks like one the service wrote (a log signed in one go afterwards would
 * make the full verification re-read the log once per checkpoint; docs/performance.md).
 */
async function writeHistory(ctx: BenchContext, config: AppConfig, sizes: Sizes): Promise<History> {
  const app = await NestFactory.createApplicationContext(HistoryWriterModule.forRoot(config), { logger: false });
  const store = app.get<EventStore>(EVENT_STORE);
  const start = now();
  let events = 0;
  let cards = 0;
  const busyCards: string[] = [];
  let lastReport = Date.now();
  ctx.progress(
    `history: appending ${sizes.events.toLocaleString('en-US')} events (~${Math.round(sizes.events / MEAN_EVENTS_PER_CARD).toLocaleString('en-US')} cards, ${sizes.historyWriters} writers), audit checkpoints signed as they go`,
  );
  try {
    await Promise.all(
      Array.from({ length: sizes.historyWriters }, async () => {
        while (events < sizes.events) {
          const index = cards++;
          const length = historyLength(index);
          events += length;
          const cardId = randomUUID();
          await store.appendToStream(`card-${cardId}`, cardHistory(cardId, index), { expectedRevision: 'no_stream' });
          if (length === 20 && busyCards.length < 20_000) busyCards.push(cardId);
          if (Date.now() - lastReport > 5000) {
            lastReport = Date.now();
            ctx.progress(`history: ${events.toLocaleString('en-US')} / ${sizes.events.toLocaleString('en-US')} events`);
          }
        }
      }),
    );
  } finally {
    await app.close();
  }
  return { events, cards, seconds: msSince(start) / 1000, busyCards };
}

/** The bare read of the log: readAll pages through the whole log once. */
async function readWholeLog(ctx: BenchContext, dataDir: string): Promise<{ events: number; eventsPerSecond: number }> {
  ctx.progress('reading the whole log once (readAll pages): the reference of the rebuild and verification rows');
  const store = SqliteEventStore.open(path.join(dataDir, 'events.db'), { readonly: true });
  try {
    const start = now();
    let events = 0;
    let from: Position | 'start' = 'start';
    for (;;) {
      const page = await store.readAll({ from, maxCount: READ_PAGE });
      if (page.length === 0) break;
      events += page.length;
      from = page[page.length - 1].position;
    }
    return { events, eventsPerSecond: perSecond(events, msSince(start)) };
  } finally {
    await store.close();
  }
}

// ---- the rebuild ----

interface RebuildResult {
  readonly ms: number;
  readonly projections: string[];
  readonly finishedAfterSeconds: Record<string, number>;
  readonly profile: ProfileSummary | null;
  /** The rebuild process's peak resident memory (MiB), or null when it did not say. */
  readonly peakRssMB: number | null;
}

/**
 * Every projection card-api runs, from zero, with the ProjectionRunner in a process of its own
 * (service/rebuild-child.ts), until each checkpoint is at the head. This process watches the checkpoints from its
 * own connection; the end is the time of the last checkpoint's commit (its updated_at).
 */
async function rebuildAll(
  ctx: BenchContext,
  build: Build,
  env: Record<string, string>,
  dataDir: string,
  profileDir: string | null,
  nodeFlags: readonly string[],
): Promise<RebuildResult> {
  const child = spawn(process.execPath, [...nodeFlags, ...build.nodeArgs, scriptOf(build, 'bench/service/rebuild-child.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...build.env, ...env, ...(profileDir !== null && { BENCH_PROFILE_DIR: profileDir }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const messages: { kind: string; at?: number; projections?: string[]; profile?: ProfileSummary | null; peakRssMB?: number; error?: string }[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      messages.push(JSON.parse(buffered.slice(0, nl)) as (typeof messages)[number]);
      buffered = buffered.slice(nl + 1);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const find = (kind: string) => messages.find((m) => m.kind === kind);
  const fail = () => {
    const error = find('error');
    return error ? new Error(error.error) : exitCode !== undefined ? new Error(`the rebuild process exited (${exitCode})`) : null;
  };
  while (!find('start')) {
    const failure = fail();
    if (failure) throw failure;
    await sleep(20);
  }
  const { at: startedAt, projections: names } = find('start') as { at: number; projections: string[] };
  ctx.progress(`rebuild: ${names.length} projections from zero, in their own process (${names.join(', ')})`);
  const watcher = SqliteReadStore.open(path.join(dataDir, 'read-models.db'));
  try {
    let lastReport = Date.now();
    while (!find('done')) {
      const failure = fail();
      if (failure) throw failure;
      await sleep(200);
      if (Date.now() - lastReport >= 5000) {
        lastReport = Date.now();
        const applied = await Promise.all(names.map(async (name) => (await watcher.checkpoint(name))?.eventsApplied ?? 0));
        const slowest = Math.min(...applied);
        ctx.progress(`rebuild: the slowest projection has applied ${slowest.toLocaleString('en-US')} events (${Math.round(perSecond(slowest, Date.now() - startedAt))} events/s)`);
      }
    }
    const finished = await Promise.all(names.map(async (name) => [name, Date.parse((await watcher.checkpoint(name))?.updatedAt ?? '')] as const));
    const end = Math.max(...finished.map(([, at]) => at));
    await exited;
    return {
      ms: end - startedAt,
      projections: names,
      finishedAfterSeconds: Object.fromEntries(finished.map(([name, at]) => [name, round1((at - startedAt) / 1000)])),
      profile: find('done')?.profile ?? null,
      peakRssMB: find('done')?.peakRssMB ?? null,
    };
  } finally {
    await watcher.close();
    if (exitCode === undefined) child.kill('SIGKILL');
  }
}

// ---- people and the lifecycle mix ----

interface Person {
  readonly customer: Record<string, unknown>;
  readonly idNumber: string;
  readonly cardNumber: string;
  readonly expiry: string;
  readonly cvv: string;
  readonly accountId: string;
}

/** New customers with their cards: a resident id, a card number and its CVV2 that no other in the run has. */
class People {
  private counter = 0;
  private readonly expiry: string;
  private readonly expiryYymm: string;

  constructor(private readonly config: AppConfig) {
    const yy = String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0');
    this.expiry = `12/${yy}`;
    this.expiryYymm = `${yy}12`;
  }

  next(count: number): Person[] {
    return Array.from({ length: count }, () => this.person(++this.counter));
  }

  private person(n: number): Person {
    const birth = new Date(Date.UTC(1950, 0, 1) + (Math.floor(n / 1000) % 18_000) * 86_400_000);
    const first17 = `110105${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(n % 1000).padStart(3, '0')}`;
    const idNumber = first17 + residentIdCheckCharacter(first17);
    const cardNumber = luhn(`411111${String(n).padStart(9, '0')}`);
    return {
      customer: {
        name: CUSTOMER_NAME,
        idType: 'CN_RESIDENT_ID',
        idNumber,
        phone: `139${String(n).padStart(8, '0')}`,
        email: `bench.${n}@example.com`,
        preferredChannels: ['SMS', 'EMAIL'],
        locale: 'zh-CN',
      },
      idNumber,
      cardNumber,
      expiry: this.expiry,
      cvv: computeVisaCvv({ cardNumber, expiryYymm: this.expiryYymm, serviceCode: '000', cvk: this.config.keys.cardCvk }),
      accountId: `ACC-${String(n).padStart(10, '0')}`,
    };
  }
}

/** The body plus its Luhn check digit. */
function luhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return body + String((10 - (sum % 10)) % 10);
}

interface MixResult {
  readonly steps: { name: string; result: LoadResult }[];
  readonly cardIds: string[];
}

/** register → issue → verify → link → activate for these people, each step one autocannon run over the previous step's ids. */
async function runMix(http: ServiceHttp, people: Person[]): Promise<MixResult> {
  const steps: { name: string; result: LoadResult }[] = [];
  const step = async (name: string, requests: PlannedRequest[], collect?: string): Promise<(string | null)[]> => {
    const result = await http.load('service', requests, { amount: requests.length }, CONNECTIONS, collect);
    assertAllOk(`lifecycle mix, ${name}`, result);
    steps.push({ name, result });
    return result.collected ?? [];
  };
  const post = (p: string, body: unknown): PlannedRequest => ({ method: 'POST', path: p, body: JSON.stringify(body) });
  const customerIds = await step('register', people.map((p) => post('/v1/customers', p.customer)), 'customerId');
  const cardIds = await step(
    'issue',
    people.map((p, i) => post('/v1/cards', { customerId: customerIds[i], product: 'DEBIT', cardNumber: p.cardNumber, expiry: p.expiry, channel: 'BRANCH', branchId: 'BJ-001' })),
    'cardId',
  );
  const results = await step('verify', people.map((p, i) => post(`/v1/cards/${cardIds[i]}/identity-verifications`, { method: 'ID_DOCUMENT', name: CUSTOMER_NAME, idNumber: p.idNumber })), 'result');
  const notVerified = results.filter((r) => r !== 'VERIFIED').length;
  if (notVerified > 0) throw new Error(`lifecycle mix: ${notVerified} identity verifications did not answer VERIFIED`);
  await step('link', people.map((p, i) => post(`/v1/cards/${cardIds[i]}/link`, { accountId: p.accountId })));
  const statuses = await step('activate', people.map((p, i) => post(`/v1/cards/${cardIds[i]}/activate`, { channel: 'APP', cardNumber: p.cardNumber, cvv: p.cvv })), 'status');
  const notActive = statuses.filter((s) => s !== 'ACTIVE').length;
  if (notActive > 0) throw new Error(`lifecycle mix: ${notActive} activations did not answer ACTIVE`);
  return { steps, cardIds: cardIds.filter((id): id is string => id !== null) };
}

// ---- talking to the processes ----

class ServiceHttp {
  constructor(
    private readonly build: Build,
    private readonly workDir: string,
    private readonly service: NodeProcess,
    private readonly bare: NodeProcess,
    private readonly token: string,
  ) {}

  /** One autocannon run in its own process against the service (with the bearer token) or the bare app. */
  load(target: 'service' | 'bare', requests: PlannedRequest[], mode: LoadPlan['mode'], connections = CONNECTIONS, collect?: string): Promise<LoadResult> {
    return runLoad(this.build, this.workDir, {
      url: target === 'service' ? this.service.url : this.bare.url,
      connections,
      headers: target === 'service' ? { authorization: `Bearer ${this.token}` } : {},
      requests,
      mode,
      ...(collect && { collect }),
    });
  }

  /**
   * GET with the token. With `patienceMs`, a request that fails for want of an answer (the service's event loop
   * busy for long) is sent again until that much time has passed.
   */
  async getJson(p: string, patienceMs = 0): Promise<unknown> {
    const start = Date.now();
    for (;;) {
      try {
        const res = await fetch(`${this.service.url}${p}`, { headers: { authorization: `Bearer ${this.token}` } });
        if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
        return await res.json();
      } catch (error) {
        if (!(error instanceof TypeError) || Date.now() - start > patienceMs || this.service.child.exitCode !== null) throw error;
        await sleep(1000);
      }
    }
  }

  /** Starts the full verification and follows it to its end. */
  async verifyAll(ctx: BenchContext): Promise<{ eventsChecked: number; seconds: number; eventsPerSecond: number; reported: number; ok: boolean | null; slowestPollSeconds: number }> {
    const res = await fetch(`${this.service.url}/v1/audit/verifications`, { method: 'POST', headers: { authorization: `Bearer ${this.token}` } });
    if (res.status !== 202) throw new Error(`POST /v1/audit/verifications: ${res.status} ${await res.text()}`);
    const { verificationId } = (await res.json()) as { verificationId: string };
    let lastReport = Date.now();
    let slowestPollSeconds = 0;
    for (;;) {
      await sleep(500);
      const asked = Date.now();
      const answer = await this.getJson(`/v1/audit/verifications/${verificationId}`, 900_000);
      slowestPollSeconds = Math.max(slowestPollSeconds, (Date.now() - asked) / 1000);
      const job = answer as {
        state: string;
        ok: boolean | null;
        eventsChecked: number;
        eventsTotal: number | null;
        eventsPerSecond: number;
        startedAt: string;
        finishedAt: string | null;
        error: string | null;
      };
      if (job.state === 'failed') throw new Error(`the verification failed: ${job.error}`);
      if (job.state !== 'running' && job.finishedAt) {
        const seconds = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
        return { eventsChecked: job.eventsChecked, seconds, eventsPerSecond: perSecond(job.eventsChecked, seconds * 1000), reported: job.eventsPerSecond, ok: job.ok, slowestPollSeconds };
      }
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        ctx.progress(`audit: verified ${job.eventsChecked.toLocaleString('en-US')} of ~${(job.eventsTotal ?? 0).toLocaleString('en-US')} events (${Math.round(job.eventsPerSecond)} events/s)`);
      }
    }
  }
}

/**
 * Samples the projections' lag from the stores' files while the service runs: the age of the oldest event the
 * slowest projection has not applied (what GET /v1/projections calls lagSeconds), without loading the service.
 */
class LagSampler {
  static readonly INTERVAL_MS = 20;
  private readonly samplesMs: number[] = [];
  private readonly slowest: Record<string, number> = {};
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly events: SqliteEventStore,
    private readonly reads: SqliteReadStore,
    private readonly projections: readonly string[],
  ) {}

  static async open(dataDir: string, projections: readonly string[]): Promise<LagSampler> {
    return new LagSampler(SqliteEventStore.open(path.join(dataDir, 'events.db'), { readonly: true }), SqliteReadStore.open(path.join(dataDir, 'read-models.db')), projections);
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.sample();
        await sleep(LagSampler.INTERVAL_MS);
      }
    })();
  }

  async stop(): Promise<{ samplesMs: number[]; slowest: Record<string, number> }> {
    this.running = false;
    await this.loop;
    await this.events.close();
    await this.reads.close();
    return { samplesMs: this.samplesMs, slowest: this.slowest };
  }

  private async sample(): Promise<void> {
    const head = await this.events.headPosition();
    if (head === null) {
      this.samplesMs.push(0);
      return;
    }
    let behind: { name: string; position: Position | null } | null = null;
    for (const name of this.projections) {
      const checkpoint = await this.reads.checkpoint(name);
      const position = checkpoint?.position ?? null;
      if (position !== null && comparePositions(position, head) >= 0) continue;
      if (behind === null || position === null || (behind.position !== null && comparePositions(position, behind.position) < 0)) behind = { name, position };
    }
    if (behind === null) {
      this.samplesMs.push(0);
      return;
    }
    const [oldest] = await this.events.readAll({ from: behind.position ?? 'start', maxCount: 1 });
    const lag = oldest ? Math.max(0, Date.now() - oldest.recordedAt.getTime()) : 0;
    this.samplesMs.push(lag);
    if (lag > 0) this.slowest[behind.name] = (this.slowest[behind.name] ?? 0) + 1;
  }
}
