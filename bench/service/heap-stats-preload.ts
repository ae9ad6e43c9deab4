/**
 * Preloaded (`node -r`) into card-api when BENCH_HEAP_SNAPSHOT=1, beside `--heapsnapshot-signal=SIGUSR2`: on that
 * signal, writes the V8 heap's figures (process.memoryUsage(), v8.getHeapStatistics() and the heap spaces) to
 * BENCH_HEAP_STATS_FILE, so that the snapshot's live objects can be set against what V8 holds and what the process
 * holds. Node's own snapshot handler is a `process.on(signal)` listener registered before any preload, and the
 * snapshot it writes forces a full GC and grows the heap: this listener is prepended, so the figures are those of
 * the moment the bench measured, before the snapshot.
 *
 * It also counts the garbage collections and notes the heap in use just after the last full one (mark-compact):
 * the old generation holds dead objects until the next full collection, which V8 starts only once the heap has
 * grown by some factor over what the last one left, so "in use" alone does not say how much is alive.
 */
import * as fs from 'node:fs';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import * as v8 from 'node:v8';

const file = process.env.BENCH_HEAP_STATS_FILE;

if (file) {
  const started = Date.now();
  const collections = { scavenges: 0, markCompacts: 0, other: 0 };
  let lastMarkCompact: { secondsAfterStart: number; heapUsedAfterMB: number } | null = null;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      const kind = entry.detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) collections.scavenges++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        collections.markCompacts++;
        // The observer runs a little after the collection: what it left, plus what was allocated since.
        lastMarkCompact = { secondsAfterStart: (Date.now() - started) / 1000, heapUsedAfterMB: Math.round(process.memoryUsage().heapUsed / 1048576) };
      } else collections.other++;
    }
  }).observe({ entryTypes: ['gc'] });

  process.prependListener('SIGUSR2', () => {
    const stats = {
      memoryUsage: process.memoryUsage(),
      heap: v8.getHeapStatistics(),
      spaces: v8.getHeapSpaceStatistics(),
      collections,
      lastMarkCompact,
      secondsAfterStart: (Date.now() - started) / 1000,
    };
    fs.writeFileSync(`${file}.partial`, JSON.stringify(stats));
    fs.renameSync(`${file}.partial`, file);
  });
}
