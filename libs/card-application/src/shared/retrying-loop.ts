/** Where a RetryingLoop says that a round failed. */
export interface LoopLogger {
  warn(context: object, message: string): void;
}

export interface RetryingLoopOptions {
  /** Names the loop in log lines: "Audit checkpoints", "Webhook relay", … */
  readonly what: string;
  readonly logger: LoopLogger;
  /** The pause after the first failure, doubled after each further one, up to the second value. */
  readonly backoffMs: readonly [number, number];
  /**
   * One round: typically a subscription followed until it ends. It calls `progressed` when it got something done
   * (the failure count starts again). A round that returns without being stopped is started again after backoffMs[0].
   */
  readonly round: (progressed: () => void) => Promise<void>;
  /** After every round, however it ended (close its subscription). */
  readonly afterRound?: () => Promise<void>;
}

/**
 * A background loop that runs rounds until stopped, and after a failure (the store unreachable, a lost race) logs it
 * and tries again after a growing pause: it never stops the application. Shared by the loops that follow the log
 * where the projections run (audit checkpoints, the notification reactor, the webhook relay).
 */
export class RetryingLoop {
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: RetryingLoopOptions) {}

  get stopping(): boolean {
    return this.stopped;
  }

  /** Starts the rounds (once). */
  start(): void {
    if (this.running !== undefined || this.stopped) return;
    this.running = this.run();
  }

  /** Stops: interrupts a pause, lets `interrupt` end the round under way (close its subscription), waits for it. */
  async stop(interrupt?: () => Promise<void>): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await interrupt?.();
    await this.running;
  }

  /** Waits `ms`, or less when the loop is stopped meanwhile. */
  pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    const [first, last] = this.options.backoffMs;
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.options.round(() => {
          failures = 0;
        });
        if (!this.stopped) await this.pause(first);
      } catch (error) {
        if (this.stopped) break;
        failures += 1;
        const waitMs = Math.min(first * 2 ** Math.min(failures - 1, 16), last);
        this.options.logger.warn(
          { err: error, failures, retryInMs: waitMs },
          `${this.options.what}: ${(error as Error)?.message ?? String(error)}; trying again in ${waitMs} ms`,
        );
        await this.pause(waitMs);
      } finally {
        await this.options.afterRound?.();
      }
    }
  }
}
