/**
 * A one-line progress bar on a terminal stream (stderr, so stdout stays clean for data): a bar, a percentage,
 * counts, a rate, and free text. On a non-TTY (CI, a pipe) it prints a plain line at most every few seconds.
 */
export class ProgressBar {
  private lastPlain = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream | { isTTY?: boolean; columns?: number; write(s: string): boolean } = process.stderr,
    private readonly width = 30,
  ) {}

  /** `done` of `total` (null when unknown), with `unit` for the rate, e.g. "events". */
  update(done: number, total: number | null, unit: string, note = ''): void {
    const elapsed = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const rate = Math.round(done / elapsed);
    const fraction = total && total > 0 ? Math.min(1, done / total) : null;
    const filled = fraction === null ? 0 : Math.round(fraction * this.width);
    const bar = fraction === null ? '' : `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}% `;
    const counts = total === null ? `${done}` : `${done}/${total}`;
    const line = `${bar}${counts} ${unit}, ${rate} ${unit}/s${note ? `, ${note}` : ''}`;
    if (this.out.isTTY) {
      this.out.write(`\r${line.slice(0, (this.out.columns ?? 120) - 1).padEnd(Math.min(this.out.columns ?? 120, 120) - 1)}`);
    } else if (Date.now() - this.lastPlain >= 2000 || (total !== null && done >= total)) {
      this.lastPlain = Date.now();
      this.out.write(`${line}\n`);
    }
  }

  done(message: string): void {
    if (this.out.isTTY) this.out.write('\n');
    this.out.write(`${message}\n`);
  }

  get seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }
}
