import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectorStartScriptNodeFlags, startScriptNodeFlags } from '../../scripts/production-node-flags';
import { ROOT, type BenchContext, type BenchGroup } from '../core/context';
import type { Row } from '../core/rows';
import { ensureBuild, scriptOf, type Build } from '../service/build';

/** Rows 4–9 of issue 8: the service as its own process over a store of 1,000,000 events (service-scenario.ts). */
export const SERVICE_ROW_IDS = [
  'projections.rebuild',
  'http.commands',
  'http.commands.p50',
  'http.commands.p99',
  'projections.lag.p99',
  'http.get-card',
  'http.get-card.p99',
  'audit.replay.p99',
  'audit.verify',
  'memory.rss',
  'http.commands.split',
] as const;

/** What the parent sends the scenario's process. */
export interface ScenarioRequest {
  readonly quick: boolean;
  readonly only: readonly string[];
  readonly profileDir: string | null;
  readonly startedAt: number;
  readonly buildDir: string;
  readonly compiled: boolean;
  /**
   * BENCH_HEAP_SNAPSHOT=1: where card-api's heap snapshot goes (bench/heap-snapshots). Decided here: the scenario's
   * process has a clean environment, and its ROOT is the build's directory.
   */
  readonly heapSnapshotDir: string | null;
  /** The Node.js flags card-api runs with in production (`npm start`): read here, where package.json is. */
  readonly serviceNodeFlags: readonly string[];
  /** card-projector's (`npm run start:projector`): the rebuild's process runs with them. */
  readonly projectorNodeFlags: readonly string[];
}

/** What it sends back: progress lines, then its rows or its error. */
export type ScenarioMessage =
  | { kind: 'progress'; line: string }
  | { kind: 'rows'; rows: Row[]; failures: { group: string; error: string }[] }
  | { kind: 'error'; error: string };

/**
 * The scenario runs in a process of its own, from the private build (service/build.ts) like the service: its
 * in-process steps (writing the history, the rebuild) run the same compiled JavaScript as production, and the
 * bench process does not load the whole application through ts-node.
 */
export const serviceGroup: BenchGroup = {
  name: 'service (1,000,000 events, HTTP)',
  rowIds: SERVICE_ROW_IDS,
  async run(ctx: BenchContext): Promise<Row[]> {
    const build = await ensureBuild((line) => ctx.progress(line));
    return runInChild(ctx, build);
  },
};

function runInChild(ctx: BenchContext, build: Build): Promise<Row[]> {
  const child = fork(scriptOf(build, 'bench/groups/service-child.ts'), [], {
    execArgv: [...build.nodeArgs],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(process.env.BENCH_KEEP_DIRS && { BENCH_KEEP_DIRS: process.env.BENCH_KEEP_DIRS }), ...build.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const packageJson = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
  const request: ScenarioRequest = {
    quick: ctx.quick,
    only: ctx.options.only,
    profileDir: ctx.options.profileDir,
    startedAt: ctx.options.startedAt ?? Date.now(),
    buildDir: build.dir,
    compiled: build.compiled,
    heapSnapshotDir: process.env.BENCH_HEAP_SNAPSHOT === '1' ? path.join(ROOT, 'bench', 'heap-snapshots') : null,
    serviceNodeFlags: startScriptNodeFlags(packageJson),
    projectorNodeFlags: projectorStartScriptNodeFlags(packageJson),
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (message: ScenarioMessage) => {
      if (message.kind === 'progress') ctx.options.progress(message.line);
      else if (message.kind === 'rows') {
        settled = true;
        ctx.failures.push(...message.failures);
        resolve(message.rows);
      } else {
        settled = true;
        reject(new Error(message.error));
      }
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`the service scenario's process ended (${code ?? signal}) without an answer`));
    });
    child.send(request);
  });
}
