import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, liveReservationAt, numberDecider } from '@cards/domain';
import { EVENT_STORE, StreamRevisionConflictError, type EventStore, type EventToAppend, type RecordedEvent } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import { ConcurrentModificationError } from '../shared/application-errors';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { eventMetadata } from '../shared/event-metadata';
import { numberHoldsStream, numberStream } from '../shared/streams';
import { NUMBER_SETTINGS, type NumberSettings } from './number-settings';

export const NUMBER_HOLD_COUNTED = 'NumberHoldCounted';
export const NUMBER_HOLD_RELEASED = 'NumberHoldReleased';
/** A hold whose reservation never reached the number's stream stops counting after this long. */
export const ORPHANED_HOLD_AFTER_MS = 60_000;
const MAX_HOLD_ATTEMPTS = 50;

export type HoldReleaseReason = 'RELEASED' | 'EXPIRED' | 'ASSIGNED' | 'LOST' | 'ORPHANED';

interface Hold {
  readonly msisdn: string;
  readonly expiresAt: string;
  readonly recordedAt: Date;
}

export function reservationLimitReached(max: number, active: number): DomainError {
  return new DomainError('conflict', 'RESERVATION_LIMIT_REACHED', `This customer already holds ${active} number reservations, the most one customer may hold`, {
    maxReservationsPerCustomer: max,
    activeReservations: active,
  });
}

/**
 * At most NUMBER_MAX_RESERVATIONS_PER_CUSTOMER live reservations per customer. Each reservation is counted in
 * `number-holds-<customerId>` before the number's stream is written, with the exact revision read as the expected
 * revision: every count is decided on all the counts before it. A hold counts while its reservation is live in the
 * number's stream (docs/numbers.md, "Streams"); the ones that no longer do are released in the next count's append.
 */
@Injectable()
export class NumberHolds {
  private readonly logger = new Logger(NumberHolds.name);

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NUMBER_SETTINGS) private readonly settings: NumberSettings,
    private readonly runner: AggregateRunner,
  ) {}

  /** Counts a reservation against its customer, or throws RESERVATION_LIMIT_REACHED. A hold counted already counts once. */
  async count(hold: { customerId: string; reservationId: string; msisdn: string; expiresAt: string; ctx: CommandContext; now: string }): Promise<void> {
    const stream = numberHoldsStream(hold.customerId);
    const max = this.settings.maxReservationsPerCustomer;
    for (let attempt = 1; attempt <= MAX_HOLD_ATTEMPTS; attempt++) {
      const events = await this.eventStore.readStream(stream);
      const holds = countedHolds(events);
      if (holds.has(hold.reservationId)) return;
      const releases = await this.releasesDue(holds);
      const active = holds.size - releases.length;
      if (active >= max) throw reservationLimitReached(max, active);
      const expected = events.length === 0 ? 'no_stream' : events[events.length - 1].revision;
      const metadata = eventMetadata(hold.ctx, hold.now, 'API');
      const toAppend: EventToAppend[] = [
        ...releases.map(({ reservationId, reason }) => ({
          id: deterministicUuid('number-hold-released', stream, String(expected), reservationId),
          type: NUMBER_HOLD_RELEASED,
          data: { reservationId, reason, releasedAt: hold.now },
          metadata,
        })),
        {
          id: deterministicUuid('number-hold-counted', stream, String(expected), hold.reservationId),
          type: NUMBER_HOLD_COUNTED,
          data: { reservationId: hold.reservationId, msisdn: hold.msisdn, expiresAt: hold.expiresAt, countedAt: hold.now },
          metadata,
        },
      ];
      try {
        await this.eventStore.appendToStream(stream, toAppend, { expectedRevision: expected });
        return;
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
        await sleep(Math.random() * 5 * Math.min(attempt, 4));
      }
    }
    throw new ConcurrentModificationError(stream, MAX_HOLD_ATTEMPTS);
  }

  /** Gives back the hold of a reservation that did not happen (the number was taken). Best effort: it lapses anyway. */
  async giveBack(customerId: string, reservationId: string, ctx: CommandContext, now: string): Promise<void> {
    const stream = numberHoldsStream(customerId);
    try {
      for (let attempt = 1; attempt <= MAX_HOLD_ATTEMPTS; attempt++) {
        const events = await this.eventStore.readStream(stream);
        if (!countedHolds(events).has(reservationId)) return;
        const expected = events[events.length - 1].revision;
        try {
          await this.eventStore.appendToStream(
            stream,
            [
              {
                id: deterministicUuid('number-hold-released', stream, String(expected), reservationId),
                type: NUMBER_HOLD_RELEASED,
                data: { reservationId, reason: 'LOST', releasedAt: now },
                metadata: eventMetadata(ctx, now, 'API'),
              },
            ],
            { expectedRevision: expected },
          );
          return;
        } catch (error) {
          if (!(error instanceof StreamRevisionConflictError)) throw error;
          await sleep(Math.random() * 5 * Math.min(attempt, 4));
        }
      }
    } catch (error) {
      this.logger.warn({ err: error, customerId, correlationId: ctx.correlationId }, 'Could not give a number hold back now; it lapses by itself');
    }
  }

  private async releasesDue(holds: ReadonlyMap<string, Hold>): Promise<Array<{ reservationId: string; reason: HoldReleaseReason }>> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const checked = await Promise.all(
      [...holds].map(async ([reservationId, hold]) => {
        if (Date.parse(hold.expiresAt) <= now.getTime()) return { reservationId, reason: 'EXPIRED' as const };
        const number = await this.runner.load(numberStream(hold.msisdn), numberDecider);
        const outcome = number.state.reservations[reservationId];
        if (outcome === undefined) {
          // Measured on the store's clock: a reservation still on its way to the number's stream keeps counting.
          return now.getTime() - hold.recordedAt.getTime() > ORPHANED_HOLD_AFTER_MS ? { reservationId, reason: 'ORPHANED' as const } : null;
        }
        if (liveReservationAt(number.state, nowIso)?.reservationId === reservationId) return null;
        return { reservationId, reason: outcome === 'LIVE' ? ('EXPIRED' as const) : outcome };
      }),
    );
    return checked.filter((release) => release !== null);
  }
}

/** The holds counted and not released since. */
function countedHolds(events: readonly RecordedEvent[]): Map<string, Hold> {
  const holds = new Map<string, Hold>();
  for (const event of events) {
    const { reservationId, msisdn, expiresAt } = event.data;
    if (typeof reservationId !== 'string') continue;
    if (event.type === NUMBER_HOLD_COUNTED && typeof msisdn === 'string' && typeof expiresAt === 'string') {
      holds.set(reservationId, { msisdn, expiresAt, recordedAt: event.recordedAt });
    } else if (event.type === NUMBER_HOLD_RELEASED) holds.delete(reservationId);
  }
  return holds;
}
