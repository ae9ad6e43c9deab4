import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  customerDecider,
  validateCardNumber,
  ValidationFailed,
  type IssueChannel,
  type Product,
} from '@cards/domain';
import { PanFingerprinter } from '@cards/security';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';
import { customerStream } from '../shared/streams';

export interface IssueCardInput {
  readonly customerId: string;
  readonly product: Product;
  /** The full card number: used here to derive what may be kept, then dropped. */
  readonly cardNumber: string;
  readonly expiry?: string;
  readonly channel: IssueChannel;
  readonly branchId?: string;
}

export class IssueCardCommand extends Command<CardCommandOutcome> {
  constructor(readonly input: IssueCardInput, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(IssueCardCommand)
export class IssueCardHandler implements ICommandHandler<IssueCardCommand, CardCommandOutcome> {
  constructor(
    private readonly cards: CardCommandExecutor,
    private readonly runner: AggregateRunner,
    @Inject(PanFingerprinter) private readonly fingerprinter: PanFingerprinter,
  ) {}

  async execute({ input, ctx }: IssueCardCommand): Promise<CardCommandOutcome> {
    const number = validateCardNumber(input.cardNumber, input.product);
    if (!number.ok) throw new ValidationFailed([{ field: 'cardNumber', reason: number.reason }]);

    // The card id is derived from the number (keyed), so a second issue of the same number meets an existing
    // stream: uniqueness is enforced by the event store's own no-stream check, on every backend.
    const cardId = this.fingerprinter.deriveCardId(number.digits);
    const customer = await this.runner.load(customerStream(input.customerId), customerDecider);

    return this.cards.execute(cardId, ctx, (_state, now) => ({
      type: 'IssueCard',
      cardId,
      customerId: input.customerId,
      customerExists: customer.state.exists,
      product: input.product,
      pan: {
        bin: number.bin,
        last4: number.last4,
        fingerprint: this.fingerprinter.fingerprint(number.digits),
        length: number.digits.length,
      },
      ...(input.expiry !== undefined && { expiry: input.expiry }),
      channel: input.channel,
      ...(input.branchId !== undefined && { branchId: input.branchId }),
      now,
    }));
  }
}
