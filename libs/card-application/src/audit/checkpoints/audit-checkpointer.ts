import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  AUDIT_STREAM,
  CHECKPOINT_EVENT_TYPE,
  comparePositions,
  EVENT_STORE,
  formatPosition,
  GENESIS_HASH,
  parsePosition,
  signCheckpoint,
  StreamRevisionConflictError,
  type EventStore,
  type JsonObject,
  type Position,
  type ReadAllFrom,
  type SignedCheckpoint,
} from '@cards/event-store';
import { CLOCK, type Clock } from '../../shared/clock';
import { EVENT_SCHEMA_VERSION, type Actor, type CommandContext } from '../../shared/command-context';
import { deterministicUuid } from '../../shared/deterministic-id';
import { AUDIT_KEYS, type AuditKeys } from '../audit-keys';
import { CheckpointRange } from './checkpoint-range';

/** Who signs the checkpoints the service makes on its own (every AUDIT_CHECKPOINT_EVERY events). */
export const AUDIT_CHECKPOINTER_ACTOR: Actor = { id: 'audit-checkpointer', role: 'system' };

/** Limits of one signNow; tests make them small. Optional; defaults below. */
export const AUDIT_CHECKPOINTER_LIMITS = Symbol('AUDIT_CHECKPOINTER_LIMITS');

export interface AuditCheckpointerLimits {
  /** Events per readAll page. Default 1000. */
  readonly pageSize?: number;
  /** Streams named in one checkpoint at most; more changed streams make several checkpoints. Default 5000. */
  readonly maxStreamsPerCheckpoint?: number;
  /** Appends lost to another signer (revision conflicts) before giving up. Default 5. */
  readonly maxConflicts?: number;
}

/** A checkpoint as it is stored: its data, and where its event is. */
export interface StoredCheckpoint {
  readonly checkpoint: SignedCheckpoint;
  /** The revision of its event in AUDIT_STREAM. */
  readonly revision: bigint;
  /** The global position of its event. */
  readonly position: Position;
}

export type SignOutcome =
  | { readonly signed: true; readonly checkpoints: readonly StoredCheckpoint[] }
  | { readonly signed: false; readonly message: string; readonly latest: StoredCheckpoint | null };

/** A checkpoint cannot be signed: the tail of AUDIT_STREAM is not a checkpoint this code can continue from. */
export class CheckpointChainError extends Error {
  readonly code = 'AUDIT_CHECKPOINT_CHAIN_UNREADABLE';
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointChainError';
  }
}

const READ_WINDOW = 100n;

/** The context of a checkpoint the service signs on its own. */
export function checkpointerContext(): CommandContext {
  const id = randomUUID();
  return { actor: AUDIT_CHECKPOINTER_ACTOR, correlationId: id, causationId: id };
}

/**
 * Signs audit checkpoints (libs/event-store/src/integrity/checkpoint.ts): each holds the head of every stream
 * changed since the previous one, links to the previous one by its hash, and is signed with AUDIT_SIGNING_KEY.
 * It is appended to AUDIT_STREAM at the exact revision the previous checkpoint left it, so two signers (another
 * instance, or the loop and an auditor's request) never fork the chain of checkpoints: the one that loses reloads
 * the tail and signs again on top of the other's.
 *
 * The tail of AUDIT_STREAM is read once and then kept (its revision and the last checkpoint); each signNow reads
 * only what was appended after it.
 */
@Injectable()
export class AuditCheckpointer {
  private readonly logger = new Logger(AuditCheckpointer.name);
  private readonly pageSize: number;
  private readonly maxStreams: number;
  private readonly maxConflicts: number;
  /** The tail of AUDIT_STREAM as last read: its last revision and the last checkpoint in it. */
  private tail: { revision: bigint | null; latest: StoredCheckpoint | null } | undefined;
  /** signNow calls of this process run one after the other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(AUDIT_KEYS) private readonly keys: AuditKeys,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(AUDIT_CHECKPOINTER_LIMITS) limits: AuditCheckpointerLimits = {},
  ) {
    this.pageSize = limits.pageSize ?? 1000;
    this.maxStreams = limits.maxStreamsPerCheckpoint ?? 5000;
    this.maxConflicts = limits.maxConflicts ?? 5;
  }

  /**
   * Signs what the log holds beyond the last checkpoint, up to its head now: one checkpoint, or several when more
   * streams changed than one may name. When nothing but checkpoints was written since the last one, signs nothing
   * and says so.
   */
  signNow(ctx: CommandContext = checkpointerContext()): Promise<SignOutcome> {
    const run = this.queue.then(() => this.sign(ctx));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The last checkpoint in AUDIT_STREAM (read up to its end now), or null when none was signed yet. */
  async latest(): Promise<StoredCheckpoint | null> {
    return (await this.readTail()).latest;
  }

  private async sign(ctx: CommandContext): Promise<SignOutcome> {
    const head = await this.eventStore.headPosition();
    const signed: StoredCheckpoint[] = [];
    let conflicts = 0;
    for (;;) {
      const tail = await this.readTail();
      const range = await this.rangeAfter(tail.latest, head);
      if (range.eventCount === 0) {
        if (signed.length > 0) return { signed: true, checkpoints: signed };
        return {
          signed: false,
          latest: tail.latest,
          message:
            tail.latest === null
              ? 'Nothing to sign: the log holds no events yet'
              : `Nothing to sign: no event was written after checkpoint ${tail.latest.checkpoint.checkpoint} (up to position ${tail.latest.checkpoint.upToPosition})`,
        };
      }
      const checkpoint = this.signRange(tail.latest, range);
      try {
        const result = await this.eventStore.appendToStream(
          AUDIT_STREAM,
          [
            {
              // Derived from its content: resending the same checkpoint is an idempotent retry, another one is not.
              id: deterministicUuid('audit-checkpoint', checkpoint.checkpointHash),
              type: CHECKPOINT_EVENT_TYPE,
              data: checkpoint as unknown as JsonObject,
              metadata: {
                schemaVersion: EVENT_SCHEMA_VERSION,
                actor: { id: ctx.actor.id, role: ctx.actor.role },
                correlationId: ctx.correlationId,
                causationId: ctx.causationId,
                occurredAt: checkpoint.signedAt,
              },
            },
          ],
          { expectedRevision: tail.revision ?? 'no_stream' },
        );
        const stored: StoredCheckpoint = { checkpoint, revision: result.nextExpectedRevision, position: result.position };
        this.tail = { revision: result.nextExpectedRevision, latest: stored };
        signed.push(stored);
        this.logger.log(
          { checkpoint: checkpoint.checkpoint, upToPosition: checkpoint.upToPosition, eventCount: checkpoint.eventCount, streams: checkpoint.streams.length, by: ctx.actor },
          'Audit checkpoint signed',
        );
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
        // Another signer appended first: read what it signed (readTail goes on from the revision kept) and sign on top.
        conflicts += 1;
        if (conflicts > this.maxConflicts) throw error;
      }
    }
  }

  private signRange(previous: StoredCheckpoint | null, range: CheckpointRange): SignedCheckpoint {
    return signCheckpoint(
      {
        checkpoint: previous === null ? 1 : previous.checkpoint.checkpoint + 1,
        previousCheckpointHash: previous === null ? GENESIS_HASH : previous.checkpoint.checkpointHash,
        fromPosition: previous === null ? null : previous.checkpoint.upToPosition,
        upToPosition: formatPosition(range.upToPosition!),
        eventCount: range.eventCount,
        streams: range.streams(),
        signedAt: this.clock.now().toISOString(),
      },
      this.keys.signingKey,
    );
  }

  /** The events after the previous checkpoint, up to `head` (and at most maxStreams streams). */
  private async rangeAfter(previous: StoredCheckpoint | null, head: Position | null): Promise<CheckpointRange> {
    const range = new CheckpointRange(this.maxStreams);
    if (head === null) return range;
    let from: ReadAllFrom = previous === null ? 'start' : parsePosition(previous.checkpoint.upToPosition);
    for (;;) {
      const page = await this.eventStore.readAll({ from, maxCount: this.pageSize });
      for (const event of page) {
        if (comparePositions(event.position, head) > 0 || !range.add(event)) return range;
      }
      if (page.length < this.pageSize) return range;
      from = page[page.length - 1].position;
      // The embedded store answers synchronously: let the process serve requests between pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Reads AUDIT_STREAM from where it was last read to its end, keeping its revision and last checkpoint. */
  private async readTail(): Promise<{ revision: bigint | null; latest: StoredCheckpoint | null }> {
    let { revision, latest } = this.tail ?? { revision: null, latest: null };
    for (;;) {
      const from = revision === null ? 0n : revision + 1n;
      const events = await this.eventStore.readStream(AUDIT_STREAM, { fromRevision: from, toRevision: from + READ_WINDOW - 1n });
      for (const event of events) {
        revision = event.revision;
        if (event.type !== CHECKPOINT_EVENT_TYPE) continue;
        const data = event.data as unknown as SignedCheckpoint;
        if (!Number.isSafeInteger(data.checkpoint) || typeof data.checkpointHash !== 'string' || typeof data.upToPosition !== 'string') {
          throw new CheckpointChainError(
            `The checkpoint at ${AUDIT_STREAM}@${String(event.revision)} is malformed, so no checkpoint can follow it: run a verification (POST /v1/audit/verifications)`,
          );
        }
        try {
          parsePosition(data.upToPosition);
        } catch {
          throw new CheckpointChainError(`The checkpoint at ${AUDIT_STREAM}@${String(event.revision)} has no readable upToPosition: run a verification (POST /v1/audit/verifications)`);
        }
        latest = { checkpoint: data, revision: event.revision, position: event.position };
      }
      if (BigInt(events.length) < READ_WINDOW) break;
    }
    this.tail = { revision, latest };
    return this.tail;
  }
}
