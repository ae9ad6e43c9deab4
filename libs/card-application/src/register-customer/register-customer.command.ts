import { randomUUID } from 'node:crypto';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type RegisterCustomer } from '@cards/domain';
import type { Position } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream } from '../shared/streams';

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
  constructor(private readonly runner: AggregateRunner) {}

  async execute({ input, ctx }: RegisterCustomerCommand): Promise<CustomerRegistration> {
    // Unless the caller chose the id (imported history), with an Idempotency-Key it is derived from the key, so a
    // retry whose first answer was lost lands on the same stream and is recognised there instead of registering
    // the customer twice.
    const { customerId: chosenId, ...details } = input;
    const customerId = chosenId ?? (ctx.idempotencyKey ? deterministicUuid('customer', ctx.idempotencyKey) : randomUUID());
    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, (_state, now) => ({
      ...details,
      type: 'RegisterCustomer' as const,
      customerId,
      now,
    }));
    return { customerId, revision: result.revision, position: result.position, replayed: result.replayed };
  }
}
