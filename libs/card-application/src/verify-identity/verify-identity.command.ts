import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type BiometricResult, type VerificationMethod } from '@cards/domain';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { CardCommandOutcome } from '../shared/card-outcome';
import { CARD_POLICY, type CardPolicy } from '../shared/card-policy';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream } from '../shared/streams';
import { BiometricCheck } from './biometric-check';

export interface VerifyIdentityInput {
  readonly method: VerificationMethod;
  /** The name and id number as the document (or the customer) presents them. */
  readonly name?: string;
  readonly idNumber?: string;
  /** YYYY-MM-DD as printed on the document. */
  readonly birthDate?: string;
  /** A passport's machine-readable zone (two lines of 44 characters). */
  readonly mrz?: string;
  /** FACE / FINGERPRINT: base64 of the live sample, sent to the identity provider and never stored. */
  readonly sample?: string;
  /** BRANCH_STAFF: the member of staff who saw the original document (default: the caller). */
  readonly staffId?: string;
  /** Imported history only: the score the former system recorded (the provider is not asked again). */
  readonly matchScore?: number;
}

export class VerifyIdentityCommand extends Command<CardCommandOutcome> {
  constructor(readonly cardId: string, readonly input: VerifyIdentityInput, readonly ctx: CommandContext) {
    super();
  }
}

const isBiometric = (method: string): method is 'FACE' | 'FINGERPRINT' => method === 'FACE' || method === 'FINGERPRINT';

/**
 * Compares what the customer presents with what they registered (their own stream, decrypted), asking the
 * identity provider for FACE and FINGERPRINT. The domain decides: verified, failed (with a reason per check),
 * sent to review, locked after repeated failures, or not judged because the provider could not answer.
 */
@CommandHandler(VerifyIdentityCommand)
export class VerifyIdentityHandler implements ICommandHandler<VerifyIdentityCommand, CardCommandOutcome> {
  constructor(
    private readonly cards: CardCommandExecutor,
    private readonly runner: AggregateRunner,
    @Inject(CARD_POLICY) private readonly policy: CardPolicy,
    private readonly biometrics: BiometricCheck,
  ) {}

  execute({ cardId, input, ctx }: VerifyIdentityCommand): Promise<CardCommandOutcome> {
    // Ids that a retry of the same request (same Idempotency-Key) must find again.
    const key = ctx.idempotencyKey;
    const reviewId = key ? deterministicUuid('identity-review', ctx.actor.id, key) : randomUUID();
    const providerRequestId = key ? deterministicUuid('identity-comparison', ctx.actor.id, key) : randomUUID();
    // The provider is asked once per request, even when the command is decided again after a lost race.
    let biometric: Promise<BiometricResult | undefined> | undefined;

    return this.cards.execute(cardId, ctx, async (card, now) => {
      let registered: { name: string; idType: string; idNumber: string; birthDate?: string } = { name: '', idType: '', idNumber: '' };
      if (card.exists) {
        const customer = await this.runner.load(customerStream(card.customerId), customerDecider);
        if (customer.state.exists) {
          const { name, idType, idNumber, birthDate } = customer.state;
          registered = { name, idType, idNumber, ...(birthDate !== undefined && { birthDate }) };
        }
      }
      if (isBiometric(input.method)) {
        biometric ??= this.biometrics.result(input, registered, providerRequestId, ctx);
      }
      const result = biometric === undefined ? undefined : await biometric;
      return {
        type: 'VerifyIdentity',
        method: input.method,
        presented: {
          ...(input.name !== undefined && { name: input.name }),
          ...(input.idNumber !== undefined && { idNumber: input.idNumber }),
          ...(input.birthDate !== undefined && { birthDate: input.birthDate }),
          ...(input.mrz !== undefined && { mrz: input.mrz }),
        },
        registered,
        ...(result !== undefined && { biometric: result }),
        ...(input.method === 'BRANCH_STAFF' && { attestedBy: input.staffId ?? ctx.actor.id }),
        thresholds: this.policy.identityScoreThresholds,
        reviewId,
        requestedBy: ctx.actor.id,
        now,
      };
    });
  }
}

/**
 * The identity provider could not answer, so the customer was not judged: the attempt is recorded
 * (IdentityVerificationUnavailable) and the client should retry later, with a new Idempotency-Key.
 */
export class IdentityProviderUnavailableError extends Error {
  readonly code = 'IDENTITY_PROVIDER_UNAVAILABLE';
  readonly retryAfterSeconds = 30;
  constructor(readonly subject: { readonly cardId: string } | { readonly customerId: string }, readonly reason: string, readonly revision: bigint) {
    super(
      `The identity provider could not answer (${reason}); the attempt is recorded but not held against the customer. ` +
        'Retry later with a new Idempotency-Key, or verify with another method.',
    );
    this.name = 'IdentityProviderUnavailableError';
  }
}
