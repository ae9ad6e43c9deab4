import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, type EraseCustomerPersonalData } from '@cards/domain';
import { PersonalDataCipher } from '@cards/security';
import { AggregateRunner } from '../shared/aggregate-runner';
import type { CommandContext } from '../shared/command-context';
import { customerStream } from '../shared/streams';
import { IdNumberRegistry } from '../register-customer/id-number-registry';

export interface PersonalDataErasure {
  readonly customerId: string;
  readonly erasedAt: string;
  readonly revision: bigint;
}

export class EraseCustomerPersonalDataCommand extends Command<PersonalDataErasure> {
  constructor(readonly customerId: string, readonly reason: string, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * Erasure (PIPL / GDPR): the customer's data key is destroyed, so every personal field ever written for them
 * reads '[erased]' from then on, in the events and everywhere derived from them; the events themselves stay.
 * The key goes first: if recording the erasure fails, a retry finds the key gone and records it then.
 * Before the key, the customer's id document is released from the registry (which needs the id number in clear,
 * so it cannot come after): the person may register again later. If the key cannot be destroyed, a retry finds
 * the document released already and goes on.
 */
@CommandHandler(EraseCustomerPersonalDataCommand)
export class EraseCustomerPersonalDataHandler implements ICommandHandler<EraseCustomerPersonalDataCommand, PersonalDataErasure> {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly cipher: PersonalDataCipher,
    private readonly registry: IdNumberRegistry,
  ) {}

  async execute({ customerId, reason, ctx }: EraseCustomerPersonalDataCommand): Promise<PersonalDataErasure> {
    const result = await this.runner.execute(customerStream(customerId), customerDecider, ctx, async (state, now) => {
      const command: EraseCustomerPersonalData = { type: 'EraseCustomerPersonalData', reason, now };
      // Refuse an unknown customer or a bad reason before anything is destroyed (deciding is pure: asking twice
      // costs nothing); destroying the key again on a retried attempt changes nothing.
      customerDecider.decide(command, state);
      // Still readable here (an erased id number reads '[erased]' and is skipped: it was released before its key went).
      if (state.exists) await this.registry.release(customerId, { idType: state.idType, idNumber: state.idNumber }, 'ERASED', ctx, now);
      await this.cipher.erase(customerId, ctx.actor.id, reason.trim());
      return command;
    });
    const erasedAt = result.state.exists ? result.state.personalDataErasedAt : undefined;
    return { customerId, erasedAt: erasedAt ?? '', revision: result.revision };
  }
}
