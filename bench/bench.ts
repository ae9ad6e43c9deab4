import * as path from 'node:path';
import * as os from 'node:os';
import { BenchContext, ROOT, type BenchGroup, type BenchOptions } from './core/context';
import { machineInfo, type BenchResults } from './core/report';
import type { Row } from './core/rows';
import { eventStoreGroup } from './groups/event-store';
import { casesGroup } from './groups/later';
import { numbersGroup } from './groups/numbers';
import { serviceGroup } from './groups/service';

/** Every group, in the order they run. The service group is the long one (1,000,000 events, the HTTP mix). */
export const GROUPS: readonly BenchGroup[] = [eventStoreGroup, serviceGroup, numbersGroup, casesGroup];

export const DEFAULT_RESULTS_FILE = path.join(ROOT, 'bench', 'results.json');

/** Runs the selected groups and gathers their rows; a group that fails is reported and the others still run. */
export async function runBench(options: BenchOptions, groups: readonly BenchGroup[] = GROUPS): Promise<BenchResults> {
  const startedAt = new Date();
  const machine = machineInfo();
  const ctx = new BenchContext({ ...options, startedAt: options.startedAt ?? startedAt.getTime() });
  const rows: Row[] = [];
  const failures: { group: string; error: string }[] = [];
  try {
    for (const group of groups) {
      if (group.rowIds.length === 0 || !ctx.wantsAny(group.rowIds)) continue;
      ctx.progress(`group: ${group.name}`);
      try {
        rows.push(...(await group.run(ctx)));
      } catch (error) {
        ctx.fail(group.name, error);
      }
    }
  } finally {
    ctx.cleanUp();
  }
  failures.push(...ctx.failures);
  const finishedAt = new Date();
  // A row's profile under its id; a row that profiled another process too has it under `${id} (${process})`.
  const profiles = Object.fromEntries(
    rows.flatMap((r) => [
      ...(r.details.profile !== undefined ? [[r.id, r.details.profile]] : []),
      ...Object.entries((r.details.otherProfiles ?? {}) as Record<string, unknown>).map(([process, profile]) => [`${r.id} (${process})`, profile]),
    ]),
  );
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    quick: options.quick,
    only: options.only,
    machine,
    loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
    rows,
    failures,
    ...(Object.keys(profiles).length > 0 && { profiles }),
  };
}
