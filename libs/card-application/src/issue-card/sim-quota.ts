import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { cardDecider, customerDecider, DomainError, ERASED } from '@cards/domain';
import { EVENT_STORE, StreamRevisionConflictError, type EventStore, type EventToAppend, type RecordedEvent } from '@cards/event-store';
import { LookupHasher } from '@cards/security';
import { AggregateRunner } from '../shared/aggregate-runner';
import { ConcurrentModificationError } from '../shared/application-errors';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { eventMetadata } from '../shared/event-metadata';
import { cardStream, customerStream, simQuotaStream } from '../shared/streams';

export const SIM_CARD_COUNTED = 'SimCardCounted';
export const SIM_CARD_RELEASED = 'SimCardReleased';
export type SimReleaseReason = 'CANCELLED' | 'ORPHANED';

/** DI token: how many active or pending SIM cards one id number may hold (MAX_SIMS_PER_ID, a positive integer). */
export const MAX_SIMS_PER_ID = Symbol('MAX_SIMS_PER_ID');
export const DEFAULT_MAX_SIMS_PER_ID = 5;

/**
 * A counted card whose stream still does not exist after this long was never issued (the issue died between the
 * count and CardIssued): it no longer counts.
 */
export const ORPHANED_SIM_COUNT_AFTER_MS = 60_000;

/**
 * A count that loses a race is decided again on the new stream. Each lost race means another count or release
 * was appended, so with many branches issuing at once for one person this bound is generous.
 */
export const MAX_SIM_QUOTA_ATTEMPTS = 50;

export function simLimitReached(maxSimsPerId: number, activeSims: number): DomainError {
  return new DomainError(
    'conflict',
    'SIM_LIMIT_REACHED',
    `The holder's id number already has ${activeSims} active or pending SIM cards, the most one id number may hold (real-name rule)`,
    { maxSimsPerId, activeSims },
  );
}

export interface SimCount {
  readonly cardId: string;
  readonly customerId: string;
  /** The holder's id number as registered (normalised); never written anywhere, only hashed. */
  readonly idNumber: string;
  readonly ctx: CommandContext;
  readonly now: string;
  readonly channel: string;
}

interface Counted {
  readonly customerId: string;
  readonly recordedAt: Date;
}

/**
 * The real-name rule for SIM cards: at most MAX_SIMS_PER_ID active or pending SIM cards per id number, across
 * every customer registered with it. Each SIM is counted in `sim-quota-<keyed hash of the id number>` before its
 * card stream is written, with the exact revision read as the expected revision: every count is decided on all
 * the counts before it, so racing issues cannot together go past the limit on either event store. Cancelled cards
 * and counts whose card was never written are released in the same append. docs/identity.md, "Real-name rules".
 */
@Injectable()
export class SimQuota {
  private readonly logger = new Logger(SimQuota.name);

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(LookupHasher) private readonly hasher: LookupHasher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(MAX_SIMS_PER_ID) private readonly maxSimsPerId: number,
    private readonly runner: AggregateRunner,
  ) {}

  /** The quota stream of an id number (whatever the document type). The name holds a keyed hash only. */
  streamOf(idNumber: string): string {
    return simQuotaStream(this.hasher.hash('idNumber', idNumber));
  }

  /**
   * Counts the card against its holder's id number, or throws SIM_LIMIT_REACHED (409). A card counted already
   * and not released (a retried issue) counts once and writes nothing.
   */
  async count({ cardId, customerId, idNumber, ctx, now, channel }: SimCount): Promise<void> {
    if (idNumber === ERASED) throw personalDataErased();
    const stream = this.streamOf(idNumber);
    for (let attempt = 1; attempt <= MAX_SIM_QUOTA_ATTEMPTS; attempt++) {
      const events = await this.eventStore.readStream(stream);
      const counted = countedCards(events);
      if (counted.has(cardId)) return;

      const releases = await this.releasesDue(counted);
      const activeSims = counted.size - releases.length;
      if (activeSims >= this.maxSimsPerId) throw simLimitReached(this.maxSimsPerId, activeSims);

      const expected = events.length === 0 ? 'no_stream' : events[events.length - 1].revision;
      const metadata = eventMetadata(ctx, now, channel);
      const toAppend: EventToAppend[] = [
        ...releases.map(({ cardId: released, reason }) => ({
          id: deterministicUuid('sim-card-released', stream, String(expected), released),
          type: SIM_CARD_RELEASED,
          data: { cardId: released, reason, releasedAt: now },
          metadata,
        })),
        {
          id: deterministicUuid('sim-card-counted', stream, String(expected), cardId),
          type: SIM_CARD_COUNTED,
          data: { cardId, customerId, countedAt: now },
          metadata,
        },
      ];
      try {
        await this.eventStore.appendToStream(stream, toAppend, { expectedRevision: expected });
        return;
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
        // Another issue or release got in first: count again on what it wrote, a little later so that many
        // branches racing for one person do not keep colliding in step.
        await sleep(Math.random() * 5 * Math.min(attempt, 4));
      }
    }
    throw new ConcurrentModificationError(stream, MAX_SIM_QUOTA_ATTEMPTS);
  }

  /**
   * Releases a cancelled SIM card at once (after CardCancelled was appended), so that its slot is free for the
   * next issue. Best effort: when this fails, or the holder's id number was erased, the next count for the id
   * number finds the card cancelled and releases it then.
   */
  async releaseCancelled(cardId: string, customerId: string, ctx: CommandContext, releasedAt: string): Promise<void> {
    await this.bestEffort(cardId, ctx, async () => {
      const customer = await this.runner.load(customerStream(customerId), customerDecider);
      if (!customer.state.exists || customer.state.idNumber === ERASED) return;
      await this.release(this.streamOf(customer.state.idNumber), cardId, 'CANCELLED', ctx, releasedAt);
    });
  }

  /**
   * Gives back the count of a card that will not be issued after all (its number was refused). Best effort: a
   * count whose card never appears lapses after ORPHANED_SIM_COUNT_AFTER_MS anyway.
   */
  async giveBack(cardId: string, idNumber: string, ctx: CommandContext, releasedAt: string): Promise<void> {
    await this.bestEffort(cardId, ctx, () => this.release(this.streamOf(idNumber), cardId, 'ORPHANED', ctx, releasedAt));
  }

  private async release(stream: string, cardId: string, reason: SimReleaseReason, ctx: CommandContext, releasedAt: string): Promise<void> {
    for (let attempt = 1; attempt <= MAX_SIM_QUOTA_ATTEMPTS; attempt++) {
      const events = await this.eventStore.readStream(stream);
      if (!countedCards(events).has(cardId)) return;
      const expected = events[events.length - 1].revision;
      const released: EventToAppend = {
        id: deterministicUuid('sim-card-released', stream, String(expected), cardId),
        type: SIM_CARD_RELEASED,
        data: { cardId, reason, releasedAt },
        metadata: eventMetadata(ctx, releasedAt, 'API'),
      };
      try {
        await this.eventStore.appendToStream(stream, [released], { expectedRevision: expected });
        return;
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
        await sleep(Math.random() * 5 * Math.min(attempt, 4));
      }
    }
    throw new ConcurrentModificationError(stream, MAX_SIM_QUOTA_ATTEMPTS);
  }

  private async bestEffort(cardId: string, ctx: CommandContext, release: () => Promise<void>): Promise<void> {
    try {
      await release();
    } catch (error) {
      this.logger.warn(
        { err: error, cardId, correlationId: ctx.correlationId },
        'Could not release a SIM card from its id number now; the next SIM issue for that id number will',
      );
    }
  }

  /** Counted cards that no longer count: cancelled ones, and counts whose card was never written. */
  private async releasesDue(counted: ReadonlyMap<string, Counted>): Promise<Array<{ cardId: string; reason: SimReleaseReason }>> {
    const now = this.clock.now().getTime();
    const checked = await Promise.all(
      [...counted].map(async ([cardId, { recordedAt }]) => {
        const card = await this.runner.load(cardStream(cardId), cardDecider);
        if (card.state.exists) return card.state.status === 'CANCELLED' ? { cardId, reason: 'CANCELLED' as const } : null;
        // Measured on the store's clock (recordedAt), never on countedAt, which an import dates in the past.
        return now - recordedAt.getTime() > ORPHANED_SIM_COUNT_AFTER_MS ? { cardId, reason: 'ORPHANED' as const } : null;
      }),
    );
    return checked.filter((release) => release !== null);
  }
}

/** A SIM card for a customer whose personal data was erased: there is no id number left to count it against. */
function personalDataErased(): DomainError {
  return new DomainError(
    'conflict',
    'CUSTOMER_PERSONAL_DATA_ERASED',
    "This customer's personal data was erased: a SIM card needs the holder's id number (real-name rule)",
  );
}

/** The cards counted and not released since, in the order they were counted. */
function countedCards(events: readonly RecordedEvent[]): Map<string, Counted> {
  const counted = new Map<string, Counted>();
  for (const event of events) {
    const { cardId, customerId } = event.data;
    if (typeof cardId !== 'string') continue;
    if (event.type === SIM_CARD_COUNTED && typeof customerId === 'string') counted.set(cardId, { customerId, recordedAt: event.recordedAt });
    else if (event.type === SIM_CARD_RELEASED) counted.delete(cardId);
  }
  return counted;
}
