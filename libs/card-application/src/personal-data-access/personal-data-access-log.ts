import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, newEventId } from '@cards/event-store';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';

/** One read of a customer's personal data in clear: who, in which role, when, and why. */
export interface PersonalDataAccess {
  readonly customerId: string;
  readonly by: string;
  readonly role: string;
  readonly reason: string | null;
  readonly at: string;
  readonly correlationId: string;
}

const READ = 'PersonalDataRead';

/** The access log lives in the event store, one stream per customer: as durable and tamper-evident as the rest. */
export const accessLogStream = (customerId: string): string => `pii-access-${customerId}`;

/**
 * Every read of a customer's personal data in clear is recorded before the data is answered (fail closed: if
 * it cannot be recorded, it is not shown). Admins and auditors read the log per customer.
 */
@Injectable()
export class PersonalDataAccessLog {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(customerId: string, ctx: CommandContext, reason: string | undefined): Promise<void> {
    const at = this.clock.now().toISOString();
    await this.eventStore.appendToStream(accessLogStream(customerId), [
      {
        id: newEventId(),
        type: READ,
        data: { customerId, by: ctx.actor.id, role: ctx.actor.role, reason: reason ?? null, at },
        metadata: { schemaVersion: 1, actor: { id: ctx.actor.id, role: ctx.actor.role }, correlationId: ctx.correlationId, causationId: ctx.causationId, occurredAt: at },
      },
    ]);
  }

  async list(customerId: string): Promise<PersonalDataAccess[]> {
    const events = await this.eventStore.readStream(accessLogStream(customerId));
    return events
      .filter((e) => e.type === READ)
      .map((e) => ({
        customerId,
        by: String(e.data.by),
        role: String(e.data.role),
        reason: typeof e.data.reason === 'string' ? e.data.reason : null,
        at: String(e.data.at),
        correlationId: String(e.metadata.correlationId ?? ''),
      }));
  }
}
