import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';

export class LinkCardCommand extends Command<CardCommandOutcome> {
  constructor(readonly cardId: string, readonly accountId: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(LinkCardCommand)
export class LinkCardHandler implements ICommandHandler<LinkCardCommand, CardCommandOutcome> {
  constructor(private readonly cards: CardCommandExecutor) {}

  execute({ cardId, accountId, ctx }: LinkCardCommand): Promise<CardCommandOutcome> {
    return this.cards.execute(cardId, ctx, (_card, now) => ({ type: 'LinkCard', accountId, now }));
  }
}
