import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type CustomerEvent, type IdType, type ReviewDecision } from '@cards/domain';
import type { Position } from '@cards/event-store';
import { IdNumberRegistry } from '../register-customer/id-number-registry';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream } from '../shared/streams';

export interface IdentityCorrectionInput {
  readonly name?: string;
  readonly idNumber?: string;
  readonly reason: string;
}

export interface CustomerReviewOutcome {
  readonly customerId: string;
  readonly reviewId: string;
  readonly newEvents: readonly CustomerEvent[];
  readonly revision: bigint;
  readonly position: Position;
}

export class RequestIdentityCorrectionCommand extends Command<CustomerReviewOutcome> {
  constructor(readonly customerId: string, readonly input: IdentityCorrectionInput, readonly ctx: CommandContext) {
    super();
  }
}

/** Asks for a customer's name or id number to be corrected: a review, decided by someone else, with a reason. */
@CommandHandler(RequestIdentityCorrectionCommand)
export class RequestIdentityCorrectionHandler implements ICommandHandler<RequestIdentityCorrectionCommand, CustomerReviewOutcome> {
  constructor(private readonly runner: AggregateRunner) {}

  async execute({ customerId, input, ctx }: RequestIdentityCorrectionCommand): Promise<CustomerReviewOutcome> {
    const reviewId = ctx.idempotencyKey ? deterministicUuid('identity-correction', ctx.actor.id, ctx.idempotencyKey) : randomUUID();
    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, (_state, now) => ({
      type: 'RequestIdentityCorrection' as const,
      reviewId,
      ...(input.name !== undefined && { name: input.name }),
      ...(input.idNumber !== undefined && { idNumber: input.idNumber }),
      reason: input.reason,
      requestedBy: ctx.actor.id,
      now,
    }));
    const requested = result.newEvents.find((e) => e.type === 'CustomerIdentityCorrectionRequested');
    return {
      customerId,
      reviewId: requested?.type === 'CustomerIdentityCorrectionRequested' ? requested.data.reviewId : reviewId,
      newEvents: result.newEvents,
      revision: result.revision,
      position: result.position,
    };
  }
}

export class DecideIdentityCorrectionCommand extends Command<CustomerReviewOutcome> {
  constructor(
    readonly customerId: string,
    readonly reviewId: string,
    readonly decision: ReviewDecision,
    readonly note: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/**
 * Decides a correction review. Approving a new id number moves the customer's claim in the id registry: the new
 * document is claimed first (409 ID_NUMBER_ALREADY_REGISTERED when another customer holds it: then reject), the
 * correction recorded, and the old document released. A crash after the claim leaves the customer holding both for
 * a while (the release is retried by deciding again); never a document held by nobody.
 */
@CommandHandler(DecideIdentityCorrectionCommand)
export class DecideIdentityCorrectionHandler implements ICommandHandler<DecideIdentityCorrectionCommand, CustomerReviewOutcome> {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly registry: IdNumberRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ customerId, reviewId, decision, note, ctx }: DecideIdentityCorrectionCommand): Promise<CustomerReviewOutcome> {
    const loaded = await this.runner.load(customerStream(customerId), customerDecider);
    const state = loaded.state;
    const open = state.exists ? state.openCorrection : undefined;
    const oldDocument = state.exists ? { idType: state.idType as IdType, idNumber: state.idNumber } : null;
    const newIdNumber = decision === 'APPROVE' && open?.reviewId === reviewId ? open.idNumber : undefined;
    const now = this.clock.now().toISOString();
    if (newIdNumber !== undefined && oldDocument !== null) {
      // Decided once first, so that a refused decision (four eyes, a bad note) never claims anything.
      customerDecider.decide({ type: 'DecideIdentityCorrection', reviewId, decision, note, decidedBy: ctx.actor.id, now }, state);
      await this.registry.claim(customerId, { idType: oldDocument.idType, idNumber: newIdNumber }, ctx, now);
    }
    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, (_state, at) => ({
      type: 'DecideIdentityCorrection' as const,
      reviewId,
      decision,
      note,
      decidedBy: ctx.actor.id,
      now: at,
    }));
    if (newIdNumber !== undefined && oldDocument !== null && result.newEvents.some((e) => e.type === 'CustomerIdentityCorrected')) {
      await this.registry.release(customerId, oldDocument, 'CORRECTED', ctx, now);
    }
    return { customerId, reviewId, newEvents: result.newEvents, revision: result.revision, position: result.position };
  }
}

