import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type VerificationMethod } from '@cards/domain';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import { CARD_POLICY, type CardPolicy } from '../shared/card-policy';
import type { CommandContext } from '../shared/command-context';
import { customerStream } from '../shared/streams';

export interface VerifyIdentityInput {
  readonly method: VerificationMethod;
  readonly name: string;
  readonly idNumber: string;
  readonly matchScore?: number;
}

export class VerifyIdentityCommand extends Command<CardCommandOutcome> {
  constructor(readonly cardId: string, readonly input: VerifyIdentityInput, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(VerifyIdentityCommand)
export class VerifyIdentityHandler implements ICommandHandler<VerifyIdentityCommand, CardCommandOutcome> {
  constructor(
    private readonly cards: CardCommandExecutor,
    private readonly runner: AggregateRunner,
    @Inject(CARD_POLICY) private readonly policy: CardPolicy,
  ) {}

  execute({ cardId, input, ctx }: VerifyIdentityCommand): Promise<CardCommandOutcome> {
    return this.cards.execute(cardId, ctx, async (card, now) => {
      // What the customer presented is compared with what they registered (their own stream).
      let registered = { name: '', idNumber: '' };
      if (card.exists) {
        const customer = await this.runner.load(customerStream(card.customerId), customerDecider);
        if (customer.state.exists) registered = { name: customer.state.name, idNumber: customer.state.idNumber };
      }
      return {
        type: 'VerifyIdentity',
        method: input.method,
        name: input.name,
        idNumber: input.idNumber,
        ...(input.matchScore !== undefined && { matchScore: input.matchScore }),
        registered,
        matchScoreThreshold: this.policy.identityMatchScoreThreshold,
        now,
      };
    });
  }
}
