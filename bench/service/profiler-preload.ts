/**
 * Preloaded (`node -r`) into a process the benchmark starts with --profile: SIGWINCH starts a CPU profile, the next
 * SIGWINCH stops it and writes BENCH_PROFILE_DIR/<BENCH_PROFILE_PREFIX>-<n>.cpuprofile (n = 1, 2, …), so that only
 * the measured steps are profiled, not the start-up. (`node --cpu-prof` would profile the whole life, and a
 * NestJS app that ends on SIGTERM never writes it. Not SIGUSR2: Nest's enableShutdownHooks() shuts down on it;
 * SIGWINCH is ignored by default and only a terminal sends it.)
 */
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
const prefix = process.env.BENCH_PROFILE_PREFIX ?? 'process';

if (dir) {
  const session = new inspector.Session();
  session.connect();
  let running = false;
  let count = 0;
  process.on('SIGWINCH', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, answer) => {
      if (error) return;
      const file = path.join(dir, `${prefix}-${++count}.cpuprofile`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(`${file}.partial`, JSON.stringify(answer.profile));
      fs.renameSync(`${file}.partial`, file);
    });
  });
}
