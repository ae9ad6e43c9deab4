import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import {
  AUDIT_STREAM,
  CHECKPOINT_EVENT_TYPE,
  comparePositions,
  EVENT_STORE,
  parsePosition,
  type AllSubscription,
  type EventStore,
  type Position,
} from '@cards/event-store';
import { AUDIT_CHECKPOINT_SETTINGS, type AuditCheckpointSettings } from '../audit-keys';
import { AuditCheckpointer, checkpointerContext } from './audit-checkpointer';

/** How long the loop waits after a failure before it tries again: doubling from the first to the last. Optional. */
export const AUDIT_CHECKPOINT_BACKOFF_MS = Symbol('AUDIT_CHECKPOINT_BACKOFF_MS');
const DEFAULT_BACKOFF_MS: readonly [number, number] = [1_000, 60_000];

/**
 * Signs a checkpoint every AUDIT_CHECKPOINT_EVERY events: follows the log from the last checkpoint, counts the
 * events outside AUDIT_STREAM that no checkpoint covers yet, and calls signNow when there are enough. Checkpoints
 * signed elsewhere (another instance, an auditor's POST) start the count again.
 *
 * It runs where the projections run (card-api with PROJECTIONS_IN_PROCESS, or card-projector). A failure (the
 * store unreachable, a lost race) is logged and retried after a growing pause; it never stops the application.
 */
@Injectable()
export class AuditCheckpointLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditCheckpointLoop.name);
  private readonly backoff: readonly [number, number];
  private running: Promise<void> | undefined;
  private subscription: AllSubscription | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly checkpointer: AuditCheckpointer,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(AUDIT_CHECKPOINT_SETTINGS) private readonly settings: AuditCheckpointSettings,
    @Optional() @Inject(AUDIT_CHECKPOINT_BACKOFF_MS) backoff?: readonly [number, number],
  ) {
    this.backoff = backoff ?? DEFAULT_BACKOFF_MS;
  }

  onApplicationBootstrap(): void {
    if (!this.settings.runLoop) return;
    this.start();
    this.logger.log(`Signing an audit checkpoint every ${this.settings.every} events in this process`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Starts following the log (once). */
  start(): void {
    if (this.running !== undefined || this.stopping) return;
    this.running = this.run();
  }

  /** Stops after the checkpoint being signed, if any, is appended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.subscription?.close();
    await this.running;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.follow(() => {
          failures = 0;
        });
        // The subscription ended without being asked to: follow again, after a pause.
        if (!this.stopping) await this.pause(this.backoff[0]);
      } catch (error) {
        if (this.stopping) break;
        failures += 1;
        const pauseMs = Math.min(this.backoff[0] * 2 ** Math.min(failures - 1, 16), this.backoff[1]);
        this.logger.warn(
          { err: error, failures, retryInMs: pauseMs },
          `Audit checkpoints: ${(error as Error).message ?? String(error)}; trying again in ${pauseMs} ms`,
        );
        await this.pause(pauseMs);
      } finally {
        await this.subscription?.close();
        this.subscription = undefined;
      }
    }
  }

  /** Follows the log from the last checkpoint, signing every `every` uncovered events. Returns only when stopped. */
  private async follow(onProgress: () => void): Promise<void> {
    const latest = await this.checkpointer.latest();
    let coveredUpTo: Position | null = latest === null ? null : parsePosition(latest.checkpoint.upToPosition);
    let uncovered = 0;
    if (this.stopping) return;
    this.subscription = this.eventStore.subscribeToAll({ from: coveredUpTo ?? 'start' });
    for await (const event of this.subscription) {
      if (this.stopping) return;
      if (event.streamId === AUDIT_STREAM) {
        const upTo = event.type === CHECKPOINT_EVENT_TYPE ? readPosition(event.data.upToPosition) : null;
        if (upTo !== null && (coveredUpTo === null || comparePositions(upTo, coveredUpTo) > 0)) {
          coveredUpTo = upTo;
          uncovered = 0;
        }
        continue;
      }
      if (coveredUpTo !== null && comparePositions(event.position, coveredUpTo) <= 0) continue;
      uncovered += 1;
      if (uncovered < this.settings.every) continue;
      const outcome = await this.checkpointer.signNow(checkpointerContext());
      const newest = outcome.signed ? outcome.checkpoints[outcome.checkpoints.length - 1] : outcome.latest;
      if (newest !== null) coveredUpTo = parsePosition(newest.checkpoint.upToPosition);
      uncovered = 0;
      onProgress();
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

function readPosition(value: unknown): Position | null {
  if (typeof value !== 'string') return null;
  try {
    return parsePosition(value);
  } catch {
    return null;
  }
}
