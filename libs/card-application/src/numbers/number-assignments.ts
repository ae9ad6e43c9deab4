import { Inject, Injectable, Logger } from '@nestjs/common';
import { numberDecider, type AssignNumber, type QuarantineNumber } from '@cards/domain';
import { AggregateRunner } from '../shared/aggregate-runner';
import type { CommandContext } from '../shared/command-context';
import { numberStream } from '../shared/streams';
import { NumberInventory } from './number-inventory';
import { NUMBER_SETTINGS, type NumberSettings } from './number-settings';

/** What issuing and cancelling a SIM card do to its number (docs/numbers.md, "Reserving, issuing, cancelling"). */
@Injectable()
export class NumberAssignments {
  private readonly logger = new Logger(NumberAssignments.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly inventory: NumberInventory,
    @Inject(NUMBER_SETTINGS) private readonly settings: NumberSettings,
  ) {}

  private async assignCommand(msisdn: string, cardId: string, customerId: string, now: string): Promise<AssignNumber> {
    const inventory = await this.inventory.entryOf(msisdn);
    const commitments = this.settings.tierRules.tiers[inventory?.tier ?? 'STANDARD'];
    return { type: 'AssignNumber', msisdn, inventory, cardId, customerId, commitments, now };
  }

  /** Throws what assigning would throw now (not reserved for this customer…), writing nothing. */
  async checkAssignable(msisdn: string, cardId: string, customerId: string, now: string): Promise<void> {
    const number = await this.runner.load(numberStream(msisdn), numberDecider);
    numberDecider.decide(await this.assignCommand(msisdn, cardId, customerId, now), number.state);
  }

  /** Assigns the number to the card; nothing is written when it is assigned to that card already (a retry). */
  async assign(msisdn: string, cardId: string, customerId: string, ctx: CommandContext, now: string): Promise<void> {
    const command = await this.assignCommand(msisdn, cardId, customerId, now);
    const number = await this.runner.load(numberStream(msisdn), numberDecider);
    if (numberDecider.decide(command, number.state).length === 0) return;
    await this.runner.execute(numberStream(msisdn), numberDecider, ctx, (_state, at) => ({ ...command, now: at }));
  }

  /**
   * The number of a cancelled card rests for NUMBER_QUARANTINE_DAYS. Best effort, after CardCancelled: a retried
   * cancellation does it again (nothing is written twice).
   */
  async quarantine(msisdn: string, cardId: string, ctx: CommandContext, cancelledAt: string): Promise<void> {
    try {
      const inventory = await this.inventory.entryOf(msisdn);
      const command: QuarantineNumber = { type: 'QuarantineNumber', msisdn, inventory, cardId, quarantineDays: this.settings.quarantineDays, now: cancelledAt };
      const number = await this.runner.load(numberStream(msisdn), numberDecider);
      if (numberDecider.decide(command, number.state).length === 0) return;
      await this.runner.execute(numberStream(msisdn), numberDecider, ctx, () => command);
    } catch (error) {
      this.logger.warn({ err: error, cardId, correlationId: ctx.correlationId }, 'Could not quarantine the number of a cancelled card');
    }
  }
}
