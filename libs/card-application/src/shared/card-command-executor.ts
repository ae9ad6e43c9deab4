import { Injectable } from '@nestjs/common';
import { cardDecider, type CardCommand, type CardState } from '@cards/domain';
import { SimQuota } from '../issue-card/sim-quota';
import { NumberAssignments } from '../numbers/number-assignments';
import { AggregateRunner } from './aggregate-runner';
import type { CommandContext } from './command-context';
import { toCardOutcome, type CardCommandOutcome } from './card-outcome';
import { cardStream } from './streams';

/** Runs a command against one card's stream and answers with the card as it now is. */
@Injectable()
export class CardCommandExecutor {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly simQuota: SimQuota,
    private readonly numbers: NumberAssignments,
  ) {}

  async execute(
    cardId: string,
    ctx: CommandContext,
    makeCommand: (state: CardState, now: string) => CardCommand | Promise<CardCommand>,
  ): Promise<CardCommandOutcome> {
    const result = await this.runner.execute(cardStream(cardId), cardDecider, ctx, makeCommand);
    const outcome = toCardOutcome(cardId, result);
    // A cancelled SIM gives its slot back under the real-name rule, whichever command cancelled it (CancelCard, an
    // upheld dispute…), after the card's own append. Best effort, and done again by a retry answered from the
    // events (it changes nothing once done): should it never happen (a crash in between), the next SIM issue for
    // the id number finds the card cancelled and releases it then.
    const cancelled = outcome.newEvents.find((event) => event.type === 'CardCancelled');
    if (cancelled && outcome.card.product === 'SIM') {
      await this.simQuota.releaseCancelled(cardId, outcome.card.customerId, ctx, cancelled.data.cancelledAt);
    }
    // Its phone number rests for NUMBER_QUARANTINE_DAYS (docs/numbers.md); best effort in the same way.
    if (cancelled && outcome.card.msisdn !== undefined) {
      await this.numbers.quarantine(outcome.card.msisdn, cardId, ctx, cancelled.data.cancelledAt);
    }
    return outcome;
  }
}
