/**
 * Rebuilds every projection card-api runs from zero, in a process of its own (from the benchmark's build), and
 * says on stdout, one JSON object a line: `{"kind":"start","at":<ms>}` right before the runner starts, then
 * `{"kind":"done","profile":…,"peakRssMB":…}` once every checkpoint is at the head. The bench watches the checkpoints from its
 * own connection meanwhile: a catch-up keeps this process's event loop busy with microtasks, so a timer here would
 * only fire at the end. Environment: card-api's (DATA_DIR, …), and BENCH_PROFILE_DIR to profile the rebuild.
 */
import * as fs from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { comparePositions, EVENT_STORE, type EventStore } from '@cards/event-store';
import { InfrastructureModule, loadAppConfig, PROJECTIONS } from '@cards/platform';
import { ProjectionRunner, READ_STORE, type Projection, type ReadStore } from '@cards/read-store';
import { profileInProcess } from '../core/profiler';
import { sleep } from '../core/stats';

const say = (message: object) => fs.writeSync(1, `${JSON.stringify(message)}\n`);

async function main(): Promise<void> {
  const config = loadAppConfig(process.env);
  // The projection list exactly as the service builds it (the customers projection with its cipher and hasher).
  const app = await NestFactory.createApplicationContext(InfrastructureModule.forRoot(config), { logger: false });
  try {
    const projections = app.get<Projection[]>(PROJECTIONS);
    const events = app.get<EventStore>(EVENT_STORE);
    const reads = app.get<ReadStore>(READ_STORE);
    const head = await events.headPosition();
    if (head === null) throw new Error('the log is empty');
    const runner = new ProjectionRunner(events, reads, projections);
    const { summary } = await profileInProcess(process.env.BENCH_PROFILE_DIR || null, 'projections-rebuild', async () => {
      say({ kind: 'start', at: Date.now(), projections: projections.map((p) => p.name) });
      await runner.start();
      let checked = Date.now();
      for (;;) {
        const checkpoints = await Promise.all(projections.map((p) => reads.checkpoint(p.name)));
        if (checkpoints.every((c) => c?.position && comparePositions(c.position, head) >= 0)) break;
        if (Date.now() - checked > 5000) {
          // Only now and then, to see a projection that failed; states() reads nothing (status() would read up to
          // 10,000 events of the log per projection to count its lag, a fifth of the rebuild's time when it was used).
          checked = Date.now();
          const failed = runner.states().find((s) => s.state === 'failed');
          if (failed) throw new Error(`projection ${failed.name} failed during the rebuild: ${failed.error}`);
        }
        await sleep(20);
      }
    });
    await runner.stop();
    // The process's peak resident memory (kilobytes): what card-projector needs for a rebuild from zero.
    say({ kind: 'done', profile: summary, peakRssMB: Math.round(process.resourceUsage().maxRSS / 102.4) / 10 });
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    say({ kind: 'error', error: error.stack ?? error.message });
    process.exit(1);
  },
);
