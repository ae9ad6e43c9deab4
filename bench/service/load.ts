import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { LoadPlan, LoadResult } from '../loadgen';
import { percentile } from '../core/stats';
import { scriptOf, type Build } from './build';

let planCounter = 0;

/** Runs one autocannon load in its own process (bench/loadgen.ts of the build) and answers what it measured. */
export async function runLoad(build: Build, workDir: string, plan: LoadPlan): Promise<LoadResult> {
  const planFile = path.join(workDir, `plan-${++planCounter}.json`);
  fs.writeFileSync(planFile, JSON.stringify(plan));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [...build.nodeArgs, scriptOf(build, 'bench/loadgen.ts'), planFile], {
      env: { PATH: process.env.PATH ?? '', ...build.env },
      maxBuffer: 256 * 2 ** 20,
    });
    return JSON.parse(stdout) as LoadResult;
  } finally {
    fs.rmSync(planFile, { force: true });
  }
}

/** Several loads taken as one: all requests over the sum of their durations, latencies pooled. */
export interface CombinedLoad {
  readonly requests: number;
  readonly ok: number;
  readonly durationMs: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
}

export function combine(results: readonly LoadResult[]): CombinedLoad {
  const latencies = results.flatMap((r) => r.latenciesMs);
  const statusCounts: Record<string, number> = {};
  for (const r of results) for (const [status, count] of Object.entries(r.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + count;
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const durationMs = results.reduce((sum, r) => sum + r.durationMs, 0);
  const ok = Object.entries(statusCounts)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    requests,
    ok,
    durationMs,
    perSecond: durationMs > 0 ? (requests * 1000) / durationMs : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    statusCounts,
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
  };
}

/** Refuses a load whose answers were not all 2xx: its figure would be the speed of errors. */
export function assertAllOk(what: string, result: LoadResult): void {
  const bad = Object.entries(result.statusCounts).filter(([status]) => !status.startsWith('2'));
  if (bad.length === 0 && result.errors === 0 && result.timeouts === 0) return;
  throw new Error(
    `${what}: not every answer was 2xx (${JSON.stringify(result.statusCounts)}, ${result.errors} errors, ${result.timeouts} timeouts); first failures: ${JSON.stringify(result.failures)}`,
  );
}
