import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  customerDecider,
  DEFAULT_RESERVATION_TTL_SECONDS,
  DomainError,
  isMsisdn,
  MSISDN_RULE,
  numberDecider,
  ValidationFailed,
  type NumberReserved,
  type NumberTier,
} from '@cards/domain';
import type { Position } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream, numberStream } from '../shared/streams';
import { NumberHolds } from './number-holds';
import { NumberInventory } from './number-inventory';

export interface NumberReservation {
  readonly reservationId: string;
  readonly msisdn: string;
  readonly customerId: string;
  readonly region: string;
  readonly tier: NumberTier;
  readonly reservedAt: string;
  readonly expiresAt: string;
  readonly position: Position;
  readonly replayed: boolean;
}

export function validMsisdn(msisdn: string): string {
  if (!isMsisdn(msisdn)) throw new ValidationFailed([{ field: 'msisdn', reason: MSISDN_RULE }]);
  return msisdn;
}

export class ReserveNumberCommand extends Command<NumberReservation> {
  constructor(readonly input: { readonly msisdn: string; readonly customerId: string; readonly ttlSeconds?: number }, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * Holds a number for one customer: counted against the customer's limit first, then reserved in the number's own
 * stream, whose optimistic concurrency decides a race (docs/numbers.md). A reservation that loses gives its hold back.
 */
@CommandHandler(ReserveNumberCommand)
@Injectable()
export class ReserveNumberHandler implements ICommandHandler<ReserveNumberCommand, NumberReservation> {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly inventory: NumberInventory,
    private readonly holds: NumberHolds,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: ReserveNumberCommand): Promise<NumberReservation> {
    const msisdn = validMsisdn(input.msisdn);
    const ttlSeconds = input.ttlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS;
    const inventory = await this.inventory.entryOf(msisdn);
    const customer = await this.runner.load(customerStream(input.customerId), customerDecider);
    if (!customer.state.exists) {
      throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', 'No customer with this id is registered', { customerId: input.customerId });
    }
    // A keyed retry gets the same reservation id, so its hold counts once and the number's stream answers it.
    const reservationId = ctx.idempotencyKey === undefined ? randomUUID() : deterministicUuid('number-reservation', ctx.actor.id, ctx.idempotencyKey, msisdn);
    const command = (now: string) => ({ type: 'ReserveNumber' as const, msisdn, inventory, reservationId, customerId: input.customerId, ttlSeconds, now });

    // Refuse early what the number's stream refuses anyway (not in inventory, taken, bad TTL), so that no hold is
    // counted for it; a retry already written is left to the runner to answer.
    const now = this.clock.now().toISOString();
    const number = await this.runner.load(numberStream(msisdn), numberDecider);
    const retried = ctx.idempotencyKey !== undefined && number.events.some((e) => e.metadata.idempotencyKey === ctx.idempotencyKey);
    if (!retried) numberDecider.decide(command(now), number.state);

    const expiresAt = new Date(Date.parse(now) + ttlSeconds * 1000).toISOString();
    await this.holds.count({ customerId: input.customerId, reservationId, msisdn, expiresAt, ctx, now });
    let result;
    try {
      result = await this.runner.execute(numberStream(msisdn), numberDecider, ctx, (_state, at) => command(at));
    } catch (error) {
      await this.holds.giveBack(input.customerId, reservationId, ctx, now);
      throw error;
    }
    const reserved = result.newEvents.find((e): e is NumberReserved => e.type === 'NumberReserved');
    if (!reserved) throw new Error(`Reserving ${msisdn} wrote no NumberReserved`);
    return { ...reserved.data, position: result.position, replayed: result.replayed };
  }
}

export class ReleaseNumberReservationCommand extends Command<{ msisdn: string; reservationId: string; releasedAt: string; position: Position }> {
  constructor(readonly msisdn: string, readonly reservationId: string, readonly ctx: CommandContext) {
    super();
  }
}

/** Ends a live reservation early: the number is available again at once. */
@CommandHandler(ReleaseNumberReservationCommand)
@Injectable()
export class ReleaseNumberReservationHandler implements ICommandHandler<ReleaseNumberReservationCommand> {
  constructor(private readonly runner: AggregateRunner, private readonly inventory: NumberInventory) {}

  async execute({ msisdn, reservationId, ctx }: ReleaseNumberReservationCommand) {
    validMsisdn(msisdn);
    const inventory = await this.inventory.entryOf(msisdn);
    const result = await this.runner.execute(numberStream(msisdn), numberDecider, ctx, (_state, now) => ({
      type: 'ReleaseNumberReservation' as const,
      msisdn,
      inventory,
      reservationId,
      now,
    }));
    const released = result.newEvents.find((e) => e.type === 'NumberReservationReleased');
    return { msisdn, reservationId, releasedAt: released?.data.releasedAt as string, position: result.position };
  }
}

export class WithdrawNumberCommand extends Command<{ msisdn: string; reason: string; withdrawnAt: string; position: Position }> {
  constructor(readonly msisdn: string, readonly reason: string, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * Takes a number out of circulation for good (a number the regulator reclaims, one that must never be handed out):
 * only an AVAILABLE or QUARANTINED number; a reserved or assigned one is refused with its status.
 */
@CommandHandler(WithdrawNumberCommand)
@Injectable()
export class WithdrawNumberHandler implements ICommandHandler<WithdrawNumberCommand> {
  constructor(private readonly runner: AggregateRunner, private readonly inventory: NumberInventory) {}

  async execute({ msisdn, reason, ctx }: WithdrawNumberCommand) {
    validMsisdn(msisdn);
    const inventory = await this.inventory.entryOf(msisdn);
    const result = await this.runner.execute(numberStream(msisdn), numberDecider, ctx, (_state, now) => ({
      type: 'WithdrawNumber' as const,
      msisdn,
      inventory,
      reason,
      now,
    }));
    const withdrawn = result.newEvents.find((e) => e.type === 'NumberWithdrawn');
    return { msisdn, reason: String(withdrawn?.data.reason ?? reason.trim()), withdrawnAt: String(withdrawn?.data.withdrawnAt), position: result.position };
  }
}
