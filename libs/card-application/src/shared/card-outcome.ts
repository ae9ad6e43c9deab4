import type { CardEvent, IssuedCardState } from '@cards/domain';
import type { Position } from '@cards/event-store';
import type { ExecutionResult } from './aggregate-runner';
import type { CardState } from '@cards/domain';

/** What every card command answers with: the card as it is after the command. */
export interface CardCommandOutcome {
  readonly cardId: string;
  readonly card: IssuedCardState;
  readonly newEvents: readonly CardEvent[];
  readonly revision: bigint;
  readonly position: Position;
  readonly replayed: boolean;
}

export function toCardOutcome(cardId: string, result: ExecutionResult<CardState, CardEvent>): CardCommandOutcome {
  if (!result.state.exists) {
    // decide() never returns events for a card that does not exist without creating it.
    throw new Error(`Card ${cardId} has no state after a successful command`);
  }
  return {
    cardId,
    card: result.state,
    newEvents: result.newEvents,
    revision: result.revision,
    position: result.position,
    replayed: result.replayed,
  };
}
