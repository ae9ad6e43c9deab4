import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DomainError, fold, type Decider } from '@cards/domain';
import {
  EVENT_STORE,
  newEventId,
  StreamRevisionConflictError,
  type EventStore,
  type Position,
  type RecordedEvent,
} from '@cards/event-store';
import { ConcurrentModificationError, RevisionMismatchError } from './application-errors';
import { CLOCK, type Clock } from './clock';
import type { CommandContext } from './command-context';
import { deterministicUuid } from './deterministic-id';
import { eventMetadata } from './event-metadata';
import { EVENT_CODEC, plainEventCodec, type EventCodec } from './event-codec';

interface DomainEvent {
  readonly type: string;
  readonly data: object;
}

export interface LoadedAggregate<S, E = unknown> {
  readonly state: S;
  /** The stream's events as the domain sees them (decoded), index for index with `events`. */
  readonly domainEvents: readonly E[];
  /** Revision of the stream's last event; null when the stream does not exist. */
  readonly revision: bigint | null;
  readonly events: readonly RecordedEvent[];
}

export interface ExecutionResult<S, E> {
  /** The state after the command's events. */
  readonly state: S;
  readonly newEvents: readonly E[];
  readonly revision: bigint;
  readonly position: Position;
  /** True when this Idempotency-Key had already been applied and nothing new was written. */
  readonly replayed: boolean;
}

/** How often a command is decided again after losing an optimistic-concurrency race. */
export const MAX_CONCURRENCY_ATTEMPTS = 4;

/**
 * The plumbing of every command: load the stream, fold it, decide, append with the revision that was read.
 * A lost race is retried on the new state (the command may still be valid); a stale If-Match is not.
 */
@Injectable()
export class AggregateRunner {
  private readonly logger = new Logger(AggregateRunner.name);

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(EVENT_CODEC) codec?: EventCodec,
  ) {
    this.codec = codec ?? plainEventCodec;
  }

  private readonly codec: EventCodec;

  async load<C, E extends DomainEvent, S>(streamId: string, decider: Decider<C, E, S>): Promise<LoadedAggregate<S, E>> {
    const events = await this.eventStore.readStream(streamId);
    const domainEvents = await Promise.all(
      events.map(async (e) => ({ type: e.type, data: await this.codec.decode(streamId, e.type, e.data) }) as unknown as E),
    );
    const state = fold(decider, domainEvents);
    const revision = events.length === 0 ? null : events[events.length - 1].revision;
    return { state, domainEvents, revision, events };
  }

  async execute<C, E extends DomainEvent, S>(
    streamId: string,
    decider: Decider<C, E, S>,
    ctx: CommandContext,
    makeCommand: (state: S, now: string) => C | Promise<C>,
  ): Promise<ExecutionResult<S, E>> {
    for (let attempt = 1; attempt <= MAX_CONCURRENCY_ATTEMPTS; attempt++) {
      try {
        const result = await this.attempt(streamId, decider, ctx, makeCommand);
        if (attempt > 1) {
          this.logRace(streamId, attempt, ctx, result.replayed ? 'replayed' : 'appended', result.replayed
            ? `answered on attempt ${attempt} of ${MAX_CONCURRENCY_ATTEMPTS} from the events its Idempotency-Key already wrote`
            : `appended on attempt ${attempt} of ${MAX_CONCURRENCY_ATTEMPTS}, decided again on the new state`);
        }
        return result;
      } catch (error) {
        if (!(error instanceof LostRace)) {
          // A command that lost a race and is no longer valid on the new state is refused (409, 412, …): said here, once.
          if (attempt > 1) this.logRace(streamId, attempt, ctx, 'refused', `refused on attempt ${attempt} of ${MAX_CONCURRENCY_ATTEMPTS} on the new state: ${codeOf(error)}`);
          throw error;
        }
        if (attempt < MAX_CONCURRENCY_ATTEMPTS) {
          this.logRace(streamId, attempt, ctx, 'retrying', `lost an optimistic-concurrency race on attempt ${attempt} of ${MAX_CONCURRENCY_ATTEMPTS} (the stream is at ${String(error.actualRevision)}); deciding again on the new state`);
        } else {
          this.logRace(streamId, attempt, ctx, 'gave-up', `lost an optimistic-concurrency race on attempt ${attempt} of ${MAX_CONCURRENCY_ATTEMPTS}; giving up (409 CONCURRENT_MODIFICATION)`);
        }
      }
    }
    throw new ConcurrentModificationError(streamId, MAX_CONCURRENCY_ATTEMPTS);
  }

  /** One line per step of a race, naming the stream, the attempt and what came of it. */
  private logRace(streamId: string, attempt: number, ctx: CommandContext, outcome: RaceOutcome, what: string): void {
    const line = { streamId, attempt, maxAttempts: MAX_CONCURRENCY_ATTEMPTS, outcome, correlationId: ctx.correlationId };
    const message = `Command on ${streamId} ${what}`;
    if (outcome === 'retrying' || outcome === 'gave-up') this.logger.warn(line, message);
    else this.logger.log(line, message);
  }

  /** Load, decide, append once; a lost race without If-Match is a LostRace for execute to retry. */
  private async attempt<C, E extends DomainEvent, S>(
    streamId: string,
    decider: Decider<C, E, S>,
    ctx: CommandContext,
    makeCommand: (state: S, now: string) => C | Promise<C>,
  ): Promise<ExecutionResult<S, E>> {
    const loaded = await this.load(streamId, decider);

    const alreadyApplied = this.findAppliedWithKey(loaded.events, ctx.idempotencyKey);
    if (alreadyApplied) return this.replay(decider, loaded, alreadyApplied);

    if (ctx.expectedRevision !== undefined && ctx.expectedRevision !== loaded.revision) {
      throw new RevisionMismatchError(streamId, ctx.expectedRevision, loaded.revision);
    }

    // Imported history carries its own time; everything else happens now.
    const now = ctx.occurredAt ?? this.clock.now().toISOString();
    if (ctx.occurredAt !== undefined) refuseOutOfOrder(loaded.events, ctx.occurredAt);
    const command = await makeCommand(loaded.state, now);
    const newEvents = decider.decide(command, loaded.state);
    const metadata = eventMetadata(ctx, now, channelOf(command));
    const expected = loaded.revision ?? 'no_stream';
    const toAppend = await Promise.all(
      newEvents.map(async (event, index) => ({
        id:
          ctx.idempotencyKey === undefined
            ? newEventId()
            : deterministicUuid('event', ctx.idempotencyKey, streamId, String(expected), String(index)),
        type: event.type,
        data: await this.codec.encode(streamId, event),
        metadata,
      })),
    );

    try {
      const appended = await this.eventStore.appendToStream(streamId, toAppend, { expectedRevision: expected });
      return {
        state: newEvents.reduce((s, e) => decider.evolve(s, e), loaded.state),
        newEvents,
        revision: appended.nextExpectedRevision,
        position: appended.position,
        replayed: false,
      };
    } catch (error) {
      if (!(error instanceof StreamRevisionConflictError)) throw error;
      if (ctx.expectedRevision !== undefined) {
        const actual = error.actualRevision === 'no_stream' ? null : error.actualRevision;
        throw new RevisionMismatchError(streamId, ctx.expectedRevision, actual);
      }
      throw new LostRace(error.actualRevision);
    }
  }

  /** The events an earlier request with the same Idempotency-Key wrote (its answer was lost), if any. */
  private findAppliedWithKey(events: readonly RecordedEvent[], key: string | undefined): RecordedEvent[] | undefined {
    if (key === undefined) return undefined;
    const applied = events.filter((e) => e.metadata.idempotencyKey === key);
    return applied.length > 0 ? applied : undefined;
  }

  private replay<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    loaded: LoadedAggregate<S, E>,
    applied: readonly RecordedEvent[],
  ): ExecutionResult<S, E> {
    const last = applied[applied.length - 1];
    const decoded = (recorded: RecordedEvent) => loaded.domainEvents[loaded.events.indexOf(recorded)];
    return {
      state: fold(decider, loaded.events.filter((e) => e.revision <= last.revision).map(decoded)),
      newEvents: applied.map(decoded),
      revision: last.revision,
      position: last.position,
      replayed: true,
    };
  }
}

type RaceOutcome = 'retrying' | 'appended' | 'replayed' | 'refused' | 'gave-up';

/** Another writer appended between this attempt's read and its append (no If-Match: the command may be decided again). */
class LostRace extends Error {
  constructor(readonly actualRevision: bigint | 'no_stream') {
    super(`Lost an optimistic-concurrency race (the stream is at ${String(actualRevision)})`);
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : String(error);
}

/**
 * History is appended in the order it happened: an event dated before the stream's last one would make the
 * stream disagree with itself (a card activated before it was issued) and give the reports negative durations.
 */
function refuseOutOfOrder(events: readonly RecordedEvent[], occurredAt: string): void {
  const last = events[events.length - 1];
  const lastAt = last?.metadata.occurredAt;
  if (typeof lastAt !== 'string' || Date.parse(occurredAt) >= Date.parse(lastAt)) return;
  throw new DomainError(
    'conflict',
    'OCCURRED_BEFORE_LAST_EVENT',
    `occurredAt ${occurredAt} is before the last event of this ${aggregateOf(last.streamId)} (${lastAt}): history must be imported in the order it happened`,
    { lastOccurredAt: lastAt },
  );
}

function aggregateOf(streamId: string): string {
  return streamId.startsWith('customer-') ? 'customer' : 'card';
}

/** The channel a command came through, when it names one (activation, issue); otherwise the API itself. */
function channelOf(command: unknown): string {
  const channel = (command as { channel?: unknown }).channel;
  return typeof channel === 'string' ? channel : 'API';
}

