import { randomUUID } from 'node:crypto';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type RegisterCustomer } from '@cards/domain';
import { AggregateRunner } from '../shared/aggregate-runner';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream } from '../shared/streams';

export type RegisterCustomerInput = Omit<RegisterCustomer, 'type' | 'customerId' | 'now'>;

export interface CustomerRegistration {
  readonly customerId: string;
  readonly revision: bigint;
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
    // With an Idempotency-Key the id is derived from it, so a retry whose first answer was lost lands on the
    // same stream and is recognised there instead of registering the customer twice.
    const customerId = ctx.idempotencyKey ? deterministicUuid('customer', ctx.idempotencyKey) : randomUUID();
    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, (_state, now) => ({
      ...input,
      type: 'RegisterCustomer' as const,
      customerId,
      now,
    }));
    return { customerId, revision: result.revision, replayed: result.replayed };
  }
}
