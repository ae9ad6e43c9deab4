import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { TokenMinter } from '@cards/security';
import { projectorStartScriptNodeFlags, startScriptNodeFlags } from '../../scripts/production-node-flags';
import { ROOT, type BenchContext, type BenchGroup } from '../core/context';
import { summariseProfile, type ProfileSummary } from '../core/profiler';
import { row, type Row } from '../core/rows';
import { msSince, now, perSecond, round1, shuffled, sleep } from '../core/stats';
import type { LoadResult, PlannedRequest } from '../loadgen';
import { ensureBuild, scriptOf, type Build } from '../service/build';
import { assertAllOk, combine, runLoad } from '../service/load';
import { freePort, memoryOf, startNodeProcess, stopProcess, waitUntilIdle, type NodeProcess } from '../service/processes';

/**
 * Issue 10's rows: an inventory of 1,000,000 SIM numbers imported through `POST /v1/numbers/imports` into card-api
 * (its own process, from the private build, projections in the process as by default), then suggestions and
 * special-number searches driven by autocannon in another process. docs/performance.md describes each row.
 */
export const NUMBERS_ROW_IDS = ['numbers.import', 'numbers.import.one-process', 'numbers.suggestions.p99', 'numbers.search.p99'] as const;

interface Sizes {
  /** Number blocks (the first seven digits), each imported whole: 10,000 numbers. */
  readonly blocks: number;
  /** Blocks of the smaller import into card-api alone (projections in the same process). */
  readonly oneProcessBlocks: number;
  readonly chunkLines: number;
  readonly loadSeconds: number;
  readonly warmupSeconds: number;
}

const FULL: Sizes = { blocks: 100, oneProcessBlocks: 20, chunkLines: 20_000, loadSeconds: 10, warmupSeconds: 2 };
const QUICK: Sizes = { blocks: Number(process.env.BENCH_NUMBER_BLOCKS ?? 5), oneProcessBlocks: 2, chunkLines: 10_000, loadSeconds: 1.5, warmupSeconds: 0 };

const NUMBERS_PER_BLOCK = 10_000;
/** Searches and suggestions at once: the rows' figures (SEARCH_CONNECTIONS_HIGH: in their details). */
const CONNECTIONS = 4;
const CONNECTIONS_HIGH = 8;
const REGIONS = ['010', '020', '021', '022', '023', '024', '025', '027', '028', '029'];
const PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '158', '159', '177', '180', '186', '188', '189'];
/** What customers ask for: a tail, a fixed part, the shapes, no 4, a birthday (docs/numbers.md, "Choosing"). */
const SEARCHES = ['pattern=*8888', 'pattern=*520', 'pattern=138*1234*', 'pattern=AABB', 'pattern=ABAB', 'pattern=AAAA', 'pattern=ASCENDING', 'exclude=4', 'birthday=0815', 'pattern=*66&exclude=4'];

export const numbersGroup: BenchGroup = {
  name: 'SIM numbers (1,000,000 in the inventory)',
  rowIds: NUMBERS_ROW_IDS,
  async run(ctx: BenchContext): Promise<Row[]> {
    const sizes = ctx.quick ? QUICK : FULL;
    const build = await ensureBuild((line) => ctx.progress(line));
    const work = ctx.tempDir('numbers');
    const blocks = numberBlocks(sizes.blocks);
    const total = blocks.length * NUMBERS_PER_BLOCK;
    const rows: Row[] = [];
    const profileDir = ctx.options.profileDir;
    /** card-api's profiles so far: the preload numbers them numbers-<n>.cpuprofile (service/profiler-preload.ts). */
    let profilesTaken = 0;
    const secret = `bench-${randomBytes(24).toString('hex')}`;
    const token = await TokenMinter.forSecret(secret).mint({ subject: 'bench', roles: ['admin', 'issuer', 'agent', 'analyst'], ttlSeconds: 6 * 3600 });
    const envFor = (dataDir: string, extra: Record<string, string> = {}) => ({
      ...build.env,
      DATA_DIR: dataDir,
      AUTH_JWT_SECRET: secret,
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
      ...extra,
    });
    // Each app with the Node.js flags of its production start (npm start, npm run start:projector).
    const packageJson = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const productionFlags = { 'card-api': startScriptNodeFlags(packageJson), 'card-projector': projectorStartScriptNodeFlags(packageJson) };
    const start = async (name: string, app: 'card-api' | 'card-projector', env: Record<string, string>, profilePrefix?: string) =>
      startNodeProcess({
        name,
        nodeArgs: [...productionFlags[app], ...build.nodeArgs, ...(profileDir !== null && profilePrefix ? ['-r', scriptOf(build, 'bench/service/profiler-preload.ts')] : [])],
        script: scriptOf(build, `apps/${app}/src/main.ts`),
        env: { ...env, ...(profileDir !== null && profilePrefix && { BENCH_PROFILE_DIR: profileDir, BENCH_PROFILE_PREFIX: profilePrefix }) },
        port: await freePort(),
        logFile: path.join(work.path, `${name}.log`),
        readyPath: '/health/ready',
      });

    ctx.progress(`numbers: bare inserts of ${total.toLocaleString('en-US')} numbers (the import's reference)`);
    const bare = bareInserts(path.join(work.path, 'bare.db'), blocks, sizes.chunkLines);
    const bareReference = { value: bare.perSecond, unit: 'numbers/s', label: `bare better-sqlite3 inserts of the same numbers, a transaction per ${sizes.chunkLines.toLocaleString('en-US')}, synchronous=FULL` };

    const processes: NodeProcess[] = [];
    try {
      // ---- the embedded default: one card-api, its projections in the same process (a smaller inventory) ----
      if (ctx.wants('numbers.import.one-process')) {
        const some = blocks.slice(0, sizes.oneProcessBlocks);
        const alone = await start('card-api-alone', 'card-api', envFor(path.join(work.path, 'data-alone')));
        processes.push(alone);
        await waitUntilIdle(alone.pid, 120_000);
        ctx.progress(`numbers: importing ${(some.length * NUMBERS_PER_BLOCK).toLocaleString('en-US')} numbers into card-api alone (projections in the same process)`);
        const run = await importAll(alone, alone, token, some, sizes.chunkLines);
        await stopProcess(alone);
        rows.push(
          row({
            id: 'numbers.import.one-process',
            label: 'numbers imported/s, card-api alone (the embedded default)',
            figure: { value: run.perSecond, unit: 'numbers/s' },
            reference: bareReference,
            details: {
              method: `${run.numbers.toLocaleString('en-US')} numbers (${some.length} blocks) sent as CSV in sequential requests of ${sizes.chunkLines.toLocaleString('en-US')} lines to card-api running its projections (and reactor, relay, audit loop) in its own process, as a newcomer's single process does; figure = numbers / time until the last answer`,
              ...run.details,
            },
          }),
        );
      }

      // ---- production layout: card-api takes the commands, card-projector runs the projections ----
      const dataDir = path.join(work.path, 'data');
      const service = await start('card-api', 'card-api', envFor(dataDir, { PROJECTIONS_IN_PROCESS: 'false' }), 'numbers');
      processes.push(service);
      const projector = await start('card-projector', 'card-projector', envFor(dataDir), 'projector');
      processes.push(projector);
      await waitUntilIdle(service.pid, 120_000);
      await waitUntilIdle(projector.pid, 120_000);

      ctx.progress(`numbers: importing ${total.toLocaleString('en-US')} numbers in requests of ${sizes.chunkLines.toLocaleString('en-US')} lines (card-api + card-projector)`);
      if (profileDir !== null) for (const pid of [service.pid, projector.pid]) process.kill(pid, 'SIGWINCH');
      const run = await importAll(service, projector, token, blocks, sizes.chunkLines);
      // Both until every number is searchable: card-projector's is where that time goes.
      const profile = profileDir !== null ? await stopProfile(service.pid, profileDir, 'numbers', ++profilesTaken, 'import') : null;
      const projectorProfile = profileDir !== null ? await stopProfile(projector.pid, profileDir, 'projector', 1, 'import') : null;
      ctx.progress(`numbers: recorded at ${Math.round(run.perSecond).toLocaleString('en-US')}/s, searchable after ${run.details.searchableAfterSeconds} s`);
      rows.push(
        row({
          id: 'numbers.import',
          label: 'numbers imported/s (POST /v1/numbers/imports, durable)',
          figure: { value: run.perSecond, unit: 'numbers/s' },
          reference: bareReference,
          target: { kind: 'at-least', value: 20_000 },
          details: {
            method: `${total.toLocaleString('en-US')} numbers (${blocks.length} blocks of 10,000, ten regions, tiers from the default rules) sent as CSV in sequential requests of ${sizes.chunkLines.toLocaleString('en-US')} lines to card-api with PROJECTIONS_IN_PROCESS=false while card-projector runs the projections on the same store (docs/scaling.md's layout); figure = numbers / time until the last answer (every number durably recorded)`,
            ...run.details,
            // Peak resident memory once every number is searchable (both with their production heap limits: README).
            peakRssMB: { cardApi: round1(memoryOf(service.pid).peakRssMB), cardProjector: round1(memoryOf(projector.pid).peakRssMB) },
            ...(profile && { profile }),
            ...(projectorProfile && { otherProfiles: { 'card-projector': projectorProfile } }),
          },
        }),
      );

      ctx.progress('numbers: waiting until card-api and card-projector are idle');
      await waitUntilIdle(service.pid, 600_000);
      await waitUntilIdle(projector.pid, 600_000);
      const bareApp = await startNodeProcess({
        name: 'bare NestJS app',
        nodeArgs: build.nodeArgs,
        script: scriptOf(build, 'bench/bare-app.ts'),
        env: build.env,
        port: await freePort(),
        logFile: path.join(work.path, 'bare-app.log'),
        readyPath: '/bare/8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21',
      });
      processes.push(bareApp);
      const load = (target: NodeProcess, requests: PlannedRequest[], seconds: number, connections: number): Promise<LoadResult> =>
        runLoad(build, work.path, { url: target.url, connections, headers: target === service ? { authorization: `Bearer ${token}` } : {}, requests, mode: { durationSeconds: seconds } });
      const bareGets: PlannedRequest[] = [{ method: 'GET', path: '/bare/8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21' }];
      ctx.progress(`numbers: bare GET for ${sizes.loadSeconds} s at ${CONNECTIONS} connections`);
      if (sizes.warmupSeconds > 0) await load(bareApp, bareGets, sizes.warmupSeconds, CONNECTIONS);
      const bareGet = combine([await load(bareApp, bareGets, sizes.loadSeconds, CONNECTIONS)]);
      const bareLabel = `bare NestJS + Fastify GET, same ValidationPipe, no work, ${CONNECTIONS} connections`;

      /** The figure at CONNECTIONS, and the same requests at CONNECTIONS_HIGH for the details. */
      const measure = async (what: string, requests: PlannedRequest[], profileKey: string | null) => {
        ctx.progress(`numbers: ${what} for ${sizes.loadSeconds} s at ${CONNECTIONS} connections, then at ${CONNECTIONS_HIGH}`);
        if (sizes.warmupSeconds > 0) await load(service, requests, sizes.warmupSeconds, CONNECTIONS);
        if (profileDir !== null && profileKey) process.kill(service.pid, 'SIGWINCH');
        const result = await load(service, requests, sizes.loadSeconds, CONNECTIONS);
        const profiled = profileDir !== null && profileKey ? await stopProfile(service.pid, profileDir, 'numbers', ++profilesTaken, profileKey) : null;
        assertAllOk(what, result);
        const high = await load(service, requests, sizes.loadSeconds, CONNECTIONS_HIGH);
        assertAllOk(what, high);
        const measured = combine([result]);
        const atHigh = combine([high]);
        return {
          measured,
          details: {
            requests: measured.requests,
            perSecond: Math.round(measured.perSecond),
            p50Ms: round1(measured.p50Ms),
            [`at${CONNECTIONS_HIGH}Connections`]: { requests: atHigh.requests, perSecond: Math.round(atHigh.perSecond), p50Ms: round1(atHigh.p50Ms), p99Ms: round1(atHigh.p99Ms) },
            ...(profiled && { profile: profiled }),
          },
        };
      };

      if (ctx.wants('numbers.suggestions')) {
        const requests: PlannedRequest[] = shuffled(
          REGIONS.flatMap((region) => ['', '&tier=STANDARD', '&tier=SILVER', '&tier=GOLD'].map((tier) => ({ method: 'GET' as const, path: `/v1/numbers/suggestions?region=${region}&count=10${tier}` }))),
        );
        const { measured, details } = await measure('suggestions', requests, 'suggestions');
        rows.push(
          row({
            id: 'numbers.suggestions.p99',
            label: 'GET /v1/numbers/suggestions p99 (10 numbers)',
            figure: { value: round1(measured.p99Ms), unit: 'ms' },
            reference: { value: round1(bareGet.p99Ms), unit: 'ms', label: bareLabel },
            target: { kind: 'below', value: 50 },
            details: {
              method: `autocannon, ${CONNECTIONS} connections, ${sizes.loadSeconds} s, cycling over ten regions × (any tier, STANDARD, SILVER, GOLD), count=10, over ${total.toLocaleString('en-US')} numbers`,
              ...details,
            },
          }),
        );
      }

      if (ctx.wants('numbers.search')) {
        const requests: PlannedRequest[] = shuffled(
          REGIONS.flatMap((region) => SEARCHES.map((search) => ({ method: 'GET' as const, path: `/v1/numbers/search?region=${region}&${search}` }))),
        );
        const { measured, details } = await measure('searches', requests, 'search');
        rows.push(
          row({
            id: 'numbers.search.p99',
            label: 'GET /v1/numbers/search p99 (a page of 50)',
            figure: { value: round1(measured.p99Ms), unit: 'ms' },
            reference: { value: round1(bareGet.p99Ms), unit: 'ms', label: bareLabel },
            target: { kind: 'below', value: 50 },
            details: {
              method: `autocannon, ${CONNECTIONS} connections, ${sizes.loadSeconds} s, cycling over ten regions × (${SEARCHES.join(' | ')}), default page (50), over ${total.toLocaleString('en-US')} numbers`,
              ...details,
            },
          }),
        );
      }
      return rows;
    } finally {
      for (const p of processes.reverse()) await stopProcess(p);
    }
  },
};

/** Sends the numbers as CSV chunks, one request after the other, then waits until `projections` has indexed them all. */
async function importAll(service: NodeProcess, projections: NodeProcess, token: string, blocks: readonly { block: string; region: string }[], chunkLines: number) {
  const chunks = csvChunks(blocks, chunkLines);
  const numbers = blocks.length * NUMBERS_PER_BLOCK;
  const started = now();
  let imported = 0;
  for (const [index, chunk] of chunks.entries()) {
    const res = await fetch(`${service.url}/v1/numbers/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'x-import-first-line': String(index * chunkLines + 1) },
      body: chunk,
    });
    const answer = (await res.json()) as { imported?: number; failed?: unknown[] };
    if (res.status !== 200 || (answer.failed?.length ?? 0) > 0) throw new Error(`import chunk ${index + 1}: ${res.status} ${JSON.stringify(answer).slice(0, 500)}`);
    imported += answer.imported ?? 0;
  }
  const importMs = msSince(started);
  if (imported !== numbers) throw new Error(`imported ${imported} of ${numbers} numbers`);
  await untilProjected(projections, token, 'numbers', 900_000);
  const untilSearchableMs = msSince(started);
  return {
    numbers,
    perSecond: perSecond(numbers, importMs),
    details: {
      numbers,
      requests: chunks.length,
      recordedSeconds: round1(importMs / 1000),
      searchableAfterSeconds: round1(untilSearchableMs / 1000),
      numbersSearchablePerSecond: Math.round(perSecond(numbers, untilSearchableMs)),
    },
  };
}

/** Distinct blocks (first seven digits) from a seeded generator, each given a region. */
function numberBlocks(count: number): { block: string; region: string }[] {
  let state = 0x9e3779b9;
  const random = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const seen = new Set<string>();
  const out: { block: string; region: string }[] = [];
  while (out.length < count) {
    const block = `${PREFIXES[random(PREFIXES.length)]}${String(random(10_000)).padStart(4, '0')}`;
    if (seen.has(block)) continue;
    seen.add(block);
    out.push({ block, region: REGIONS[out.length % REGIONS.length] });
  }
  return out;
}

function* numbersOf(blocks: readonly { block: string; region: string }[]): Generator<[string, string]> {
  for (const { block, region } of blocks) {
    for (let i = 0; i < NUMBERS_PER_BLOCK; i++) yield [`${block}${String(i).padStart(4, '0')}`, region];
  }
}

/** The file a carrier would send (block by block, number order), cut in chunks of CSV `msisdn,region`. */
function csvChunks(blocks: readonly { block: string; region: string }[], chunkLines: number): string[] {
  const chunks: string[] = [];
  let lines: string[] = [];
  for (const [msisdn, region] of numbersOf(blocks)) {
    lines.push(`${msisdn},${region}`);
    if (lines.length === chunkLines) {
      chunks.push(lines.join('\n'));
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(lines.join('\n'));
  return chunks;
}

/** The same numbers into a bare table (msisdn primary key, region, tier), a durable transaction per chunk. */
function bareInserts(file: string, blocks: readonly { block: string; region: string }[], chunkLines: number): { perSecond: number } {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE numbers (msisdn TEXT PRIMARY KEY, region TEXT NOT NULL, tier TEXT NOT NULL) WITHOUT ROWID');
    const insert = db.prepare('INSERT INTO numbers (msisdn, region, tier) VALUES (?, ?, ?)');
    const insertAll = db.transaction((rows: [string, string][]) => {
      for (const [msisdn, region] of rows) insert.run(msisdn, region, 'STANDARD');
    });
    const started = now();
    let batch: [string, string][] = [];
    let count = 0;
    for (const entry of numbersOf(blocks)) {
      batch.push(entry);
      if (batch.length === chunkLines) {
        insertAll(batch);
        count += batch.length;
        batch = [];
      }
    }
    if (batch.length > 0) insertAll(batch);
    count += batch.length;
    return { perSecond: perSecond(count, msSince(started)) };
  } finally {
    db.close();
  }
}

/**
 * Stops the CPU profile started with SIGWINCH (the preload writes <prefix>-<n>, n counting the process's profiles),
 * names it after its step, sums it up.
 */
async function stopProfile(pid: number, dir: string, prefix: string, n: number, step: string): Promise<ProfileSummary | null> {
  process.kill(pid, 'SIGWINCH');
  const written = path.join(dir, `${prefix}-${n}.cpuprofile`);
  for (let i = 0; i < 600 && !fs.existsSync(written); i++) await sleep(100);
  if (!fs.existsSync(written)) return null;
  const named = path.join(dir, `${prefix}-${step}.cpuprofile`);
  fs.renameSync(written, named);
  return summariseProfile(named);
}

/** Waits until the projection has applied every event in the log; answers how long it waited. */
async function untilProjected(service: NodeProcess, token: string, projection: string, timeoutMs: number): Promise<number> {
  const started = now();
  for (;;) {
    const res = await fetch(`${service.url}/v1/projections`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) {
      const { items } = (await res.json()) as { items: { name: string; lagEvents: number }[] };
      if (items.find((p) => p.name === projection)?.lagEvents === 0) return msSince(started);
    }
    if (msSince(started) > timeoutMs) throw new Error(`projection ${projection} did not reach the head within ${timeoutMs} ms`);
    await sleep(100);
  }
}
