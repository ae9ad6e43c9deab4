import type { INestApplication, LoggerService } from '@nestjs/common';

/** How long a graceful stop may take before the process gives up on it. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

export interface GracefulShutdownOptions {
  /** What the log calls the process ("card-api"). */
  readonly name: string;
  readonly logger: LoggerService;
  /** Default SHUTDOWN_DEADLINE_MS. */
  readonly deadlineMs?: number;
  /** Default SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
  /** process.exit, unless a test says otherwise. */
  readonly exit?: (code: number) => void;
}

/**
 * Stops the process cleanly on SIGTERM (and SIGINT), in this order:
 *
 * 1. the HTTP server stops accepting connections; requests already in flight run to their end (each answer
 *    closes its connection), requests arriving meanwhile on kept-alive connections get a 503 problem;
 * 2. Nest's shutdown hooks: the loops stop (projections commit their last batch and checkpoint, reactors and
 *    checkpoint loops finish their round), then the stores close (SQLite checkpoints its WAL into the file);
 * 3. exit 0.
 *
 * If that has not finished within the deadline (a hook that hangs, a request that never ends), it logs what it
 * was waiting for and exits with 1, so an orchestrator never waits on a process that will not stop by itself.
 * A second signal during the stop is ignored. Replaces Nest's enableShutdownHooks(), whose order (hooks first,
 * HTTP server last) would stop the projections while requests still wait for them, and which re-raises the
 * signal instead of exiting 0.
 */
export function stopGracefullyOnSignals(app: INestApplication, options: GracefulShutdownOptions): void {
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const { logger, name } = options;
  let stage = 'not started';
  let stopping = false;

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${name} received ${signal} again while stopping (${stage}); still stopping`);
      return;
    }
    stopping = true;
    const startedAt = Date.now();
    logger.log(`${name} received ${signal}: stopping (no new requests; in-flight ones finish; then loops, checkpoints, stores; at most ${deadlineMs / 1000} s)`);
    const deadline = setTimeout(() => {
      logger.error(`${name} did not stop within ${deadlineMs / 1000} s (still ${stage}); exiting with code 1`);
      exit(1);
    }, deadlineMs);
    // The deadline must not be what keeps the process alive once everything else has stopped.
    deadline.unref();

    void (async () => {
      try {
        stage = 'draining HTTP requests in flight';
        await app.getHttpAdapter().close();
        stage = 'stopping loops and closing stores';
        await app.close();
        clearTimeout(deadline);
        logger.log(`${name} stopped cleanly in ${Date.now() - startedAt} ms`);
        exit(0);
      } catch (error) {
        clearTimeout(deadline);
        logger.error(`${name} failed to stop cleanly (${stage}): ${(error as Error).stack ?? String(error)}; exiting with code 1`);
        exit(1);
      }
    })();
  };

  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, stop);
}
