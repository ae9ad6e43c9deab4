import { Injectable } from '@nestjs/common';
import { cardDecider, type CardCommand, type CardState } from '@cards/domain';
import { AggregateRunner } from './aggregate-runner';
import type { CommandContext } from './command-context';
import { toCardOutcome, type CardCommandOutcome } from './card-outcome';
import { cardStream } from './streams';

/** Runs a command against one card's stream and answers with the card as it now is. */
@Injectable()
export class CardCommandExecutor {
  constructor(private readonly runner: AggregateRunner) {}

  async execute(
    cardId: string,
    ctx: CommandContext,
    makeCommand: (state: CardState, now: string) => CardCommand | Promise<CardCommand>,
  ): Promise<CardCommandOutcome> {
    const result = await this.runner.execute(cardStream(cardId), cardDecider, ctx, makeCommand);
    return toCardOutcome(cardId, result);
  }
}
