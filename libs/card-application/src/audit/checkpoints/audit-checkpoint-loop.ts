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
import { PROJECTION_LEASE, runUnderLease, type LeasedWorkHandle, type LeaseKeeper } from '@cards/read-store';
import { AUDIT_CHECKPOINT_SETTINGS, type AuditCheckpointSettings } from '../audit-keys';
import { RetryingLoop } from '../../shared/retrying-loop';
import { AuditCheckpointer, checkpointerContext } from './audit-checkpointer';

/** How long the loop waits after a failure before it tries again: doubling from the first to the last. Optional. */
export const AUDIT_CHECKPOINT_BACKOFF_MS = Symbol('AUDIT_CHECKPOINT_BACKOFF_MS');
const DEFAULT_BACKOFF_MS: readonly [number, number] = [1_000, 60_000];

/**
 * Signs a checkpoint every AUDIT_CHECKPOINT_EVERY events: follows the log from the last checkpoint, counts the
 * events outside AUDIT_STREAM that no checkpoint covers yet, and calls signNow when there are enough. Checkpoints
 * signed elsewhere (another instance, an auditor's POST) start the count again.
 *
 * It runs where the projections run (card-api with PROJECTIONS_IN_PROCESS, or card-projector), while that process
 * holds the projections lease (PROJECTION_LEASE). A failure (the store unreachable, a lost race) is logged and
 * retried after a growing pause; it never stops the application.
 */
@Injectable()
export class AuditCheckpointLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditCheckpointLoop.name);
  private loop: RetryingLoop | undefined;
  private subscription: AllSubscription | undefined;
  private work: LeasedWorkHandle | undefined;
  private readonly backoff: readonly [number, number];

  constructor(
    private readonly checkpointer: AuditCheckpointer,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(AUDIT_CHECKPOINT_SETTINGS) private readonly settings: AuditCheckpointSettings,
    @Optional() @Inject(AUDIT_CHECKPOINT_BACKOFF_MS) backoff?: readonly [number, number],
    @Optional() @Inject(PROJECTION_LEASE) private readonly lease?: LeaseKeeper,
  ) {
    this.backoff = backoff ?? DEFAULT_BACKOFF_MS;
  }

  onApplicationBootstrap(): void {
    if (!this.settings.runLoop) return;
    this.work = runUnderLease(this.lease, {
      name: 'audit checkpoints',
      start: () => {
        this.start();
        this.logger.log(`Signing an audit checkpoint every ${this.settings.every} events in this process`);
      },
      stop: () => this.stop(),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await (this.work?.close() ?? this.stop());
  }

  /** Starts following the log; again after a stop (the projections lease taken back). */
  start(): void {
    if (this.loop !== undefined) return;
    const loop: RetryingLoop = new RetryingLoop({
      what: 'Audit checkpoints',
      logger: this.logger,
      backoffMs: this.backoff,
      round: (progressed) => this.follow(loop, progressed),
      afterRound: () => this.closeSubscription(),
    });
    this.loop = loop;
    loop.start();
  }

  /** Stops after the checkpoint being signed, if any, is appended. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (loop === undefined) return;
    await loop.stop(() => this.closeSubscription());
    if (this.loop === loop) this.loop = undefined;
  }

  private async closeSubscription(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close();
  }

  /** Follows the log from the last checkpoint, signing every `every` uncovered events. Returns only when stopped. */
  private async follow(loop: RetryingLoop, onProgress: () => void): Promise<void> {
    const latest = await this.checkpointer.latest();
    let coveredUpTo: Position | null = latest === null ? null : parsePosition(latest.checkpoint.upToPosition);
    let uncovered = 0;
    if (loop.stopping) return;
    this.subscription = this.eventStore.subscribeToAll({ from: coveredUpTo ?? 'start' });
    for await (const event of this.subscription) {
      if (loop.stopping) return;
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
}

function readPosition(value: unknown): Position | null {
  if (typeof value !== 'string') return null;
  try {
    return parsePosition(value);
  } catch {
    return null;
  }
}
