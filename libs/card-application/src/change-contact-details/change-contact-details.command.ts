import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type ChangeContactDetails, type CustomerState } from '@cards/domain';
import type { Position } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import type { CommandContext } from '../shared/command-context';
import { customerStream } from '../shared/streams';

export type ContactDetailsInput = Omit<ChangeContactDetails, 'type' | 'now'>;

export interface ContactDetailsChange {
  readonly customer: Extract<CustomerState, { exists: true }>;
  readonly revision: bigint;
  readonly position: Position;
  /** False when the details asked for were already the customer's: nothing was recorded. */
  readonly changed: boolean;
}

export class ChangeContactDetailsCommand extends Command<ContactDetailsChange> {
  constructor(readonly customerId: string, readonly input: ContactDetailsInput, readonly ctx: CommandContext) {
    super();
  }
}

/** Customer service changes a customer's phone, e-mail, address, channels or locale (encrypted in the event). */
@CommandHandler(ChangeContactDetailsCommand)
export class ChangeContactDetailsHandler implements ICommandHandler<ChangeContactDetailsCommand, ContactDetailsChange> {
  constructor(private readonly runner: AggregateRunner) {}

  async execute({ customerId, input, ctx }: ChangeContactDetailsCommand): Promise<ContactDetailsChange> {
    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, (_state, now) => ({
      ...input,
      type: 'ChangeContactDetails' as const,
      now,
    }));
    if (!result.state.exists) throw new Error(`Customer ${customerId} vanished while its contact details changed`);
    return { customer: result.state, revision: result.revision, position: result.position, changed: result.newEvents.length > 0 || result.replayed };
  }
}
