import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';

export type CardStatusChange = 'SuspendCard' | 'ReinstateCard' | 'CancelCard';

/** Suspension, reinstatement and cancellation: the same shape, a reason and a target card. */
export class ChangeCardStatusCommand extends Command<CardCommandOutcome> {
  constructor(
    readonly cardId: string,
    readonly change: CardStatusChange,
    readonly reason: string | undefined,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ChangeCardStatusCommand)
export class ChangeCardStatusHandler implements ICommandHandler<ChangeCardStatusCommand, CardCommandOutcome> {
  constructor(private readonly cards: CardCommandExecutor) {}

  execute({ cardId, change, reason, ctx }: ChangeCardStatusCommand): Promise<CardCommandOutcome> {
    return this.cards.execute(cardId, ctx, (_card, now) => {
      switch (change) {
        case 'SuspendCard':
          return { type: 'SuspendCard', reason: reason ?? '', now };
        case 'CancelCard':
          return { type: 'CancelCard', reason: reason ?? '', now };
        case 'ReinstateCard':
          return { type: 'ReinstateCard', ...(reason !== undefined && { reason }), now };
      }
    });
  }
}
