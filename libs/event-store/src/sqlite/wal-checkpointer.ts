import { Worker } from 'node:worker_threads';

export interface WalCheckpointerOptions {
  /**
   * The writer's `synchronous` setting. A checkpoint syncs the WAL before copying it and the database file after, as
   * the checkpointing connection's setting says; the worker's connection takes the writer's.
   */
  readonly synchronous: 'FULL' | 'NORMAL';
  /** Time between two checkpoints (default 200 ms). */
  readonly intervalMs?: number;
}

export interface WalCheckpointerStats {
  /** Checkpoints run so far, and how many of them copied frames (found the WAL changed since the one before). */
  readonly runs: number;
  readonly copying: number;
  /** The last checkpoint's failure (the file gone, the disk full…), or the worker's; null when the last one worked. */
  readonly lastError: string | null;
}

const DEFAULT_INTERVAL_MS = 200;
/** How long `stop` waits for the worker's checkpoint under way before ending the thread. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * The worker's code, run with `eval`: it needs nothing but better-sqlite3, whose path the parent passes, so it runs the
 * same from the TypeScript sources (tests) and from a build. A PASSIVE checkpoint never waits for the writer or for
 * readers and never stops them: it copies what it can, and a later one copies the rest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
let timer = null;
let runs = 0;
let copying = 0;
let last = { log: 0, checkpointed: 0 };
const report = (error) => parentPort.postMessage({ runs, copying, lastError: error === null ? null : String(error && error.message || error) });
const pass = () => {
  timer = null;
  try {
    if (db === null) {
      db = new Database(workerData.file, { fileMustExist: true });
      db.pragma('synchronous = ' + workerData.synchronous);
    }
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    runs += 1;
    // The counts are of the WAL as it stands (frames in it, frames copied so far), not of this run: it copied
    // something when there are copied frames and the WAL is not as the run before left it.
    if (result.checkpointed > 0 && (result.log !== last.log || result.checkpointed !== last.checkpointed)) copying += 1;
    last = result;
    report(null);
  } catch (error) {
    runs += 1;
    report(error);
  }
  timer = setTimeout(pass, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  try { if (db !== null) db.close(); } catch {}
  parentPort.close();
});
timer = setTimeout(pass, workerData.intervalMs);
`;

/**
 * Copies a SQLite file's write-ahead log into the database from a thread of its own, with its own connection.
 *
 * SQLite checkpoints on the connection whose commit makes the WAL reach `wal_autocheckpoint` pages, inside that
 * commit: it copies every page written since the last one into the database and syncs both files, and on this
 * machine's disk a 40 MB checkpoint of the read models took some 150 ms, during which the process's event loop (card-api
 * answering requests, the projections applying events) stood still. Here a worker does that work every `intervalMs`,
 * PASSIVE, so it never holds up the writer; when the writer next begins a transaction with the whole WAL copied, SQLite
 * starts the WAL over. The writer keeps its own `wal_autocheckpoint` as a bound: if the worker falls behind (a writer
 * that never pauses) or stops, the writer's own checkpoint finds most frames already copied.
 *
 * Each checkpoint syncs the files as the writer would (`synchronous`): a commit durable before is durable after.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private stats: WalCheckpointerStats = { runs: 0, copying: 0, lastError: null };
  private readonly exited: Promise<void>;

  private constructor(filePath: string, options: WalCheckpointerOptions) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: filePath,
        driver: require.resolve('better-sqlite3'),
        synchronous: options.synchronous,
        intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
      },
      // A thread of its own, but small: its heap holds one connection and a timer.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker.on('message', (stats: WalCheckpointerStats) => (this.stats = stats));
    this.worker.on('error', (error: Error) => (this.stats = { ...this.stats, lastError: error.message }));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // Never what keeps a process alive: a store left open ends with its process, as without the worker.
    this.worker.unref();
  }

  /** Starts checkpointing `filePath` (a file in WAL mode that exists: the writer has opened it). */
  static start(filePath: string, options: WalCheckpointerOptions): WalCheckpointer {
    return new WalCheckpointer(filePath, options);
  }

  /** What the worker has done so far, as it last reported. */
  get status(): WalCheckpointerStats {
    return this.stats;
  }

  /** Lets the checkpoint under way finish, closes the worker's connection and ends the thread. */
  async stop(): Promise<void> {
    // Referenced again while it ends: an unreferenced thread and nothing else to do would let the process exit with
    // this promise pending (a caller awaiting close() would never go on).
    this.worker.ref();
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
    try {
      if ((await Promise.race([this.exited.then(() => 'exited' as const), late])) === 'late') await this.worker.terminate();
    } finally {
      clearTimeout(timer);
    }
  }
}
