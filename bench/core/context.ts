import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Row } from './rows';

/** The repository's root: bench/core/.. /.. */
export const ROOT = path.resolve(__dirname, '..', '..');

export interface BenchOptions {
  /** Small sizes: a smoke test, and quick feedback while developing (the whole run in well under a minute). */
  readonly quick: boolean;
  /** Only the rows whose id starts with one of these prefixes (all when empty). */
  readonly only: readonly string[];
  /** Capture CPU profiles of the measured steps (figures from such a run are not the recorded ones). */
  readonly profileDir: string | null;
  /** Where progress lines go (stderr in a run; a buffer in tests). */
  readonly progress: (line: string) => void;
  /** When the run began (Date.now()), for the time stamp of progress lines; default: when the context was made. */
  readonly startedAt?: number;
}

/** What a group of rows gets: its options, a way to say what it is doing, and fresh temporary directories. */
export class BenchContext {
  private readonly started: number;
  private readonly dirs: string[] = [];
  /** Steps that failed: their rows are missing from the table. */
  readonly failures: { group: string; error: string }[] = [];

  constructor(readonly options: BenchOptions) {
    this.started = options.startedAt ?? Date.now();
  }

  get quick(): boolean {
    return this.options.quick;
  }

  /** Whether a row id is selected by --only (every row when no prefix is given). */
  wants(rowId: string): boolean {
    return this.options.only.length === 0 || this.options.only.some((prefix) => rowId.startsWith(prefix));
  }

  /** Whether any of these row ids is selected. */
  wantsAny(rowIds: readonly string[]): boolean {
    return rowIds.some((id) => this.wants(id));
  }

  /** One progress line on stderr, stamped with the seconds since the run began. */
  progress(message: string): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    this.options.progress(`[bench ${seconds} s] ${message}`);
  }

  /** Records a step that failed (its rows will be missing) and says so on the progress channel. */
  fail(what: string, error: unknown): void {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.progress(`${what} failed: ${message}`);
    this.failures.push({ group: what, error: message });
  }

  /**
   * A fresh directory under the OS temp directory; removed by `cleanUp` (or by the caller through `remove`), both of
   * which keep it with BENCH_KEEP_DIRS=1 (`cleanUp` then says where it is).
   */
  tempDir(name: string): { path: string; remove: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `card-bench-${name}-`));
    this.dirs.push(dir);
    return {
      path: dir,
      remove: () => {
        if (keepDirs()) return;
        removeDir(dir);
        const index = this.dirs.indexOf(dir);
        if (index >= 0) this.dirs.splice(index, 1);
      },
    };
  }

  /** Removes the temporary directories, unless BENCH_KEEP_DIRS=1 (to look at a run's stores and logs). */
  cleanUp(): void {
    if (keepDirs()) {
      for (const dir of this.dirs.splice(0)) this.options.progress(`kept ${dir} (BENCH_KEEP_DIRS=1)`);
      return;
    }
    for (const dir of this.dirs.splice(0)) removeDir(dir);
  }
}

const keepDirs = (): boolean => process.env.BENCH_KEEP_DIRS === '1';

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A group of rows measured in one scenario (its own temporary DATA_DIR). */
export interface BenchGroup {
  readonly name: string;
  /** Every row id this group can produce, so --only can skip groups without starting them. */
  readonly rowIds: readonly string[];
  run(ctx: BenchContext): Promise<Row[]>;
}
