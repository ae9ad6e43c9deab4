import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { DisputeOutcome } from '@cards/domain';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';

export interface ResolveDisputeInput {
  readonly outcome: DisputeOutcome;
  readonly note: string;
}

export class ResolveDisputeCommand extends Command<CardCommandOutcome> {
  constructor(
    readonly cardId: string,
    readonly disputeId: string,
    readonly input: ResolveDisputeInput,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ResolveDisputeCommand)
export class ResolveDisputeHandler implements ICommandHandler<ResolveDisputeCommand, CardCommandOutcome> {
  constructor(private readonly cards: CardCommandExecutor) {}

  execute({ cardId, disputeId, input, ctx }: ResolveDisputeCommand): Promise<CardCommandOutcome> {
    return this.cards.execute(cardId, ctx, (_card, now) => ({
      type: 'ResolveDispute',
      disputeId,
      outcome: input.outcome,
      note: input.note,
      now,
    }));
  }
}
