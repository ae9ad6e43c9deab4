import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type BiometricResult, type CustomerEvent, type CustomerState } from '@cards/domain';
import type { Position } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CARD_POLICY, type CardPolicy } from '../shared/card-policy';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream } from '../shared/streams';
import { BiometricCheck } from './biometric-check';
import type { VerifyIdentityInput } from './verify-identity.command';

export interface CustomerVerificationOutcome {
  readonly customer: Extract<CustomerState, { exists: true }>;
  readonly newEvents: readonly CustomerEvent[];
  readonly revision: bigint;
  readonly position: Position;
}

export class VerifyCustomerIdentityCommand extends Command<CustomerVerificationOutcome> {
  constructor(readonly customerId: string, readonly input: Omit<VerifyIdentityInput, 'matchScore'>, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * A customer proves who they are again, by the same methods as a card's verification: a new phone number takes
 * effect only then. Compared with what their own stream holds (decrypted).
 */
@CommandHandler(VerifyCustomerIdentityCommand)
export class VerifyCustomerIdentityHandler implements ICommandHandler<VerifyCustomerIdentityCommand, CustomerVerificationOutcome> {
  constructor(
    private readonly runner: AggregateRunner,
    @Inject(CARD_POLICY) private readonly policy: CardPolicy,
    private readonly biometrics: BiometricCheck,
  ) {}

  async execute({ customerId, input, ctx }: VerifyCustomerIdentityCommand): Promise<CustomerVerificationOutcome> {
    const requestId = ctx.idempotencyKey ? deterministicUuid('customer-identity-comparison', ctx.actor.id, ctx.idempotencyKey) : randomUUID();
    let biometric: Promise<BiometricResult | undefined> | undefined;
    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, async (state, now) => {
      if (state.exists && state.personalDataErasedAt === undefined) {
        biometric ??= this.biometrics.result(input, { name: state.name, idType: state.idType, idNumber: state.idNumber }, requestId, ctx);
      }
      const scored = biometric === undefined ? undefined : await biometric;
      return {
        type: 'VerifyCustomerIdentity' as const,
        method: input.method,
        presented: {
          ...(input.name !== undefined && { name: input.name }),
          ...(input.idNumber !== undefined && { idNumber: input.idNumber }),
          ...(input.birthDate !== undefined && { birthDate: input.birthDate }),
          ...(input.mrz !== undefined && { mrz: input.mrz }),
        },
        ...(scored !== undefined && { biometric: scored }),
        ...(input.method === 'BRANCH_STAFF' && { attestedBy: input.staffId ?? ctx.actor.id }),
        thresholds: this.policy.identityScoreThresholds,
        requestedBy: ctx.actor.id,
        now,
      };
    });
    if (!result.state.exists) throw new Error(`Customer ${customerId} has no state after a successful command`);
    return { customer: result.state, newEvents: result.newEvents, revision: result.revision, position: result.position };
  }
}
