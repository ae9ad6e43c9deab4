import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type RegisterCustomer } from '@cards/domain';
import type { Position } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream } from '../shared/streams';
import { IdNumberRegistry } from './id-number-registry';

export type RegisterCustomerInput = Omit<RegisterCustomer, 'type' | 'customerId' | 'now'> & {
  /** The customer's id when the caller chooses it (imported history); not accepted over HTTP. */
  readonly customerId?: string;
};

export interface CustomerRegistration {
  readonly customerId: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly replayed: boolean;
}

export class RegisterCustomerCommand extends Command<CustomerRegistration> {
  constructor(readonly input: RegisterCustomerInput, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(RegisterCustomerCommand)
export class RegisterCustomerHandler implements ICommandHandler<RegisterCustomerCommand, CustomerRegistration> {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly registry: IdNumberRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: RegisterCustomerCommand): Promise<CustomerRegistration> {
    // Unless the caller chose the id (imported history), with an Idempotency-Key it is derived from the key, so a
    // retry whose first answer was lost lands on the same stream and is recognised there instead of registering
    // the customer twice.
    const { customerId: chosenId, ...details } = input;
    const customerId = chosenId ?? (ctx.idempotencyKey ? deterministicUuid('customer', ctx.idempotencyKey) : randomUUID());
    const command = (now: string): RegisterCustomer => ({ ...details, type: 'RegisterCustomer', customerId, now });

    // One customer per id document: claimed before the customer's stream is written. A customer that exists
    // already needs no claim: the runner answers a retry from its events, or refuses a second registration.
    const existing = await this.runner.load(customerStream(customerId), customerDecider);
    if (!existing.state.exists) {
      // Decided once first, so that an invalid registration never claims, and with the id number as the domain
      // normalises it.
      const now = ctx.occurredAt ?? this.clock.now().toISOString();
      const [registered] = customerDecider.decide(command(now), existing.state);
      if (registered?.type === 'CustomerRegistered') {
        await this.registry.claim(customerId, { idType: registered.data.idType, idNumber: registered.data.idNumber }, ctx, now);
      }
    }

    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, (_state, now) => command(now));
    return { customerId, revision: result.revision, position: result.position, replayed: result.replayed };
  }
}
