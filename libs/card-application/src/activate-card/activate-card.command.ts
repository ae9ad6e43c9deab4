import { timingSafeEqual } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  DomainError,
  expiryToYymm,
  validateCardNumber,
  ValidationFailed,
  type ActivateCard,
  type ActivationAttemptFailed,
  type ActivationChannel,
  type IssuedCardState,
} from '@cards/domain';
import { CARD_VERIFICATION, PanFingerprinter, type CardVerification } from '@cards/security';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import type { CommandContext } from '../shared/command-context';

export interface ActivateCardInput {
  readonly channel: ActivationChannel;
  /** Presented to prove possession (DEBIT, CREDIT): compared by fingerprint, never kept. */
  readonly cardNumber?: string;
  /** Checked by the CardVerification port (an HSM in production), never kept. */
  readonly cvv?: string;
  /**
   * Imported history only: the old system checked possession (card number and CVV2) when the card was
   * activated, so it is taken as proven. Never reachable over HTTP (the request body does not have it).
   */
  readonly possessionCheckedElsewhere?: boolean;
}

const PROVEN_ELSEWHERE = { cardNumberMatches: true, cvvMatches: true } as const;

export class ActivateCardCommand extends Command<CardCommandOutcome> {
  constructor(readonly cardId: string, readonly input: ActivateCardInput, readonly ctx: CommandContext) {
    super();
  }
}

const NEEDS_CVV = new Set(['DEBIT', 'CREDIT']);

@CommandHandler(ActivateCardCommand)
export class ActivateCardHandler implements ICommandHandler<ActivateCardCommand, CardCommandOutcome> {
  constructor(
    private readonly cards: CardCommandExecutor,
    @Inject(PanFingerprinter) private readonly fingerprinter: PanFingerprinter,
    @Inject(CARD_VERIFICATION) private readonly verification: CardVerification,
  ) {}

  async execute({ cardId, input, ctx }: ActivateCardCommand): Promise<CardCommandOutcome> {
    if (input.possessionCheckedElsewhere === true && ctx.imported !== true) {
      throw new Error('possessionCheckedElsewhere is only for imported history');
    }
    const outcome = await this.cards.execute(cardId, ctx, async (card, now) => ({
      type: 'ActivateCard',
      channel: input.channel,
      ...(card.exists && {
        possession: input.possessionCheckedElsewhere === true ? PROVEN_ELSEWHERE : await this.checkPossession(card, input),
      }),
      now,
    }));

    // A failed proof is kept as evidence (it was appended) and still answered as a refusal.
    const failure = outcome.newEvents.find((e): e is ActivationAttemptFailed => e.type === 'ActivationAttemptFailed');
    if (failure) {
      const left = failure.data.attemptsLeft;
      throw new DomainError(
        'rejected',
        'ACTIVATION_ATTEMPT_FAILED',
        failure.data.reason === 'CVV_MISMATCH'
          ? `The CVV2 is wrong. ${left > 0 ? `${left} attempt(s) left before the card is suspended.` : 'The card is now suspended.'}`
          : `The card number does not match this card. ${left > 0 ? `${left} attempt(s) left before the card is suspended.` : 'The card is now suspended.'}`,
        {
          reason: failure.data.reason,
          attemptsLeft: left,
          cardId,
          cardStatus: outcome.card.status,
          revision: outcome.revision.toString(),
        },
      );
    }
    return outcome;
  }

  private async checkPossession(
    card: IssuedCardState,
    input: ActivateCardInput,
  ): Promise<ActivateCard['possession']> {
    if (input.cardNumber === undefined) return undefined;
    // A mistyped number is the caller's slip, not a failed proof: refuse it without spending an attempt.
    const number = validateCardNumber(input.cardNumber, card.product);
    if (!number.ok) throw new ValidationFailed([{ field: 'cardNumber', reason: number.reason }]);
    if (NEEDS_CVV.has(card.product) && input.cvv === undefined) return undefined;
    const digits = number.digits;
    const cardNumberMatches = sameHex(this.fingerprinter.fingerprint(digits), card.panFingerprint);
    const cvvMatches =
      cardNumberMatches &&
      input.cvv !== undefined &&
      card.expiry !== undefined &&
      (await this.verification.verifyCvv2({ cardNumber: digits, expiryYymm: expiryToYymm(card.expiry), cvv: input.cvv }));
    return { cardNumberMatches, cvvMatches };
  }
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
