import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  cardDecider,
  customerDecider,
  DomainError,
  validateCardNumber,
  ValidationFailed,
  type IssueCard,
  type IssueChannel,
  type Product,
} from '@cards/domain';
import { PanFingerprinter } from '@cards/security';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';
import { customerStream } from '../shared/streams';
import { CardNumberClaims } from './card-number-claims';
import { SimQuota } from './sim-quota';
import { NumberAssignments } from '../numbers/number-assignments';

export interface IssueCardInput {
  readonly customerId: string;
  readonly product: Product;
  /** The full card number: used here to derive what may be kept, then dropped. */
  readonly cardNumber: string;
  readonly expiry?: string;
  readonly channel: IssueChannel;
  readonly branchId?: string;
  /**
   * The card's id when the caller chooses it (imported history keeps its own ids). Not accepted over HTTP:
   * the API derives the id from the number.
   */
  readonly cardId?: string;
  /** SIM only: the phone number, reserved for this customer beforehand (docs/numbers.md). */
  readonly msisdn?: string;
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
    private readonly claims: CardNumberClaims,
    private readonly simQuota: SimQuota,
    @Inject(PanFingerprinter) private readonly fingerprinter: PanFingerprinter,
    private readonly numbers: NumberAssignments,
  ) {}

  async execute({ input, ctx }: IssueCardCommand): Promise<CardCommandOutcome> {
    const number = validateCardNumber(input.cardNumber, input.product);
    if (!number.ok) throw new ValidationFailed([{ field: 'cardNumber', reason: number.reason }]);

    // The API derives the card id from the number (keyed), so an API retry lands on the same stream; imported
    // cards keep their own ids. Either way the number's claim stream keeps it to one card.
    const derivedCardId = this.fingerprinter.deriveCardId(number.digits);
    const cardId = input.cardId ?? derivedCardId;
    const panFingerprint = this.fingerprinter.fingerprint(number.digits);
    const customer = await this.runner.load(customerStream(input.customerId), customerDecider);

    return this.cards.execute(cardId, ctx, async (card, now) => {
      if (card.exists && card.panFingerprint !== panFingerprint) {
        // Only a caller-chosen id can get here: a derived id always belongs to its own number.
        throw new DomainError('conflict', 'CARD_ID_IN_USE', 'Another card already has this card id', { cardId });
      }
      const command: IssueCard = {
        type: 'IssueCard',
        cardId,
        customerId: input.customerId,
        customerExists: customer.state.exists,
        product: input.product,
        pan: { bin: number.bin, last4: number.last4, fingerprint: panFingerprint, length: number.digits.length },
        ...(input.expiry !== undefined && { expiry: input.expiry }),
        channel: input.channel,
        ...(input.branchId !== undefined && { branchId: input.branchId }),
        ...(input.msisdn !== undefined && { msisdn: input.msisdn }),
        now,
      };
      // Decided once before claiming, so that a refused issue (unknown customer, expiry in the past…) never
      // holds the number; the runner then decides it for real.
      cardDecider.decide(command, card);
      // The number must be reserved for this customer: checked before anything is counted or claimed.
      if (command.msisdn !== undefined) await this.numbers.checkAssignable(command.msisdn, cardId, input.customerId, now);
      // Real-name rule: a SIM counts against its holder's id number before the card exists. A number already
      // issued is refused by its claim after that; the count is then given back at once (and were that to fail,
      // it lapses once it is clearly orphaned), so a refused issue holds neither the number nor a slot.
      const simHolder = input.product === 'SIM' && customer.state.exists ? customer.state : undefined;
      if (simHolder) await this.simQuota.count({ cardId, customerId: input.customerId, idNumber: simHolder.idNumber, ctx, now, channel: input.channel });
      try {
        await this.claims.claim({ panFingerprint, cardId, derivedCardId, ctx, now, channel: input.channel });
        // The number is assigned before CardIssued, so that a card never shows a number someone else holds; a
        // retry finds it assigned to this very card and goes on.
        if (command.msisdn !== undefined) await this.numbers.assign(command.msisdn, cardId, input.customerId, ctx, now);
      } catch (error) {
        if (simHolder && error instanceof DomainError) await this.simQuota.giveBack(cardId, simHolder.idNumber, ctx, now);
        throw error;
      }
      return command;
    });
  }
}
