import { randomUUID } from 'node:crypto';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { DisputeReason } from '@cards/domain';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';

export interface OpenDisputeInput {
  readonly reason: DisputeReason;
  readonly description: string;
  /** The dispute's id when the caller chooses it (imported history); not accepted over HTTP. */
  readonly disputeId?: string;
}

export class OpenDisputeCommand extends Command<CardCommandOutcome> {
  constructor(readonly cardId: string, readonly input: OpenDisputeInput, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(OpenDisputeCommand)
export class OpenDisputeHandler implements ICommandHandler<OpenDisputeCommand, CardCommandOutcome> {
  constructor(private readonly cards: CardCommandExecutor) {}

  execute({ cardId, input, ctx }: OpenDisputeCommand): Promise<CardCommandOutcome> {
    const disputeId =
      input.disputeId ?? (ctx.idempotencyKey ? deterministicUuid('dispute', cardId, ctx.idempotencyKey) : randomUUID());
    return this.cards.execute(cardId, ctx, (_card, now) => ({
      type: 'OpenDispute',
      disputeId,
      reason: input.reason,
      description: input.description,
      now,
    }));
  }
}
