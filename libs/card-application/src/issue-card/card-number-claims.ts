import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@cards/domain';
import { EVENT_STORE, StreamRevisionConflictError, type EventStore } from '@cards/event-store';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { eventMetadata } from '../shared/event-metadata';
import { cardNumberClaimStream, cardStream } from '../shared/streams';

export const CARD_NUMBER_CLAIMED = 'CardNumberClaimed';

export interface CardNumberClaim {
  readonly panFingerprint: string;
  /** The card that is about to be issued with this number. */
  readonly cardId: string;
  /** The id the API derives from the number: where a card issued before claims existed would live. */
  readonly derivedCardId: string;
  readonly ctx: CommandContext;
  readonly now: string;
  readonly channel: string;
}

export function cardNumberAlreadyIssued(): DomainError {
  return new DomainError('conflict', 'CARD_NUMBER_ALREADY_ISSUED', 'This card number has already been issued');
}

/**
 * One card per card number, whoever chose the card's id (the API derives it from the number, an import brings
 * its own). The first issue appends `CardNumberClaimed { cardId }` to the number's claim stream with
 * `no_stream`, which the event store checks atomically; a later claim for another card is refused. The same
 * card claiming again (a retry, or a crash between the claim and CardIssued) goes on.
 */
@Injectable()
export class CardNumberClaims {
  constructor(@Inject(EVENT_STORE) private readonly eventStore: EventStore) {}

  async claim({ panFingerprint, cardId, derivedCardId, ctx, now, channel }: CardNumberClaim): Promise<void> {
    if (cardId !== derivedCardId && (await this.eventStore.readStream(cardStream(derivedCardId))).length > 0) {
      throw cardNumberAlreadyIssued();
    }
    const stream = cardNumberClaimStream(panFingerprint);
    const claimed = {
      // Deterministic, so that a resent claim is recognised by the store as the same append.
      id: deterministicUuid('card-number-claim', panFingerprint, cardId),
      type: CARD_NUMBER_CLAIMED,
      data: { cardId, claimedAt: now },
      metadata: eventMetadata(ctx, now, channel),
    };
    try {
      await this.eventStore.appendToStream(stream, [claimed], { expectedRevision: 'no_stream' });
    } catch (error) {
      if (!(error instanceof StreamRevisionConflictError)) throw error;
      const [first] = await this.eventStore.readStream(stream);
      if (first?.data.cardId !== cardId) throw cardNumberAlreadyIssued();
    }
  }
}
