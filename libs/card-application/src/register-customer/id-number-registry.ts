import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ERASED, type IdType } from '@cards/domain';
import { EVENT_STORE, StreamRevisionConflictError, type EventStore, type RecordedEvent } from '@cards/event-store';
import { LookupHasher } from '@cards/security';
import { ConcurrentModificationError } from '../shared/application-errors';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { eventMetadata } from '../shared/event-metadata';
import { customerStream, idNumberRegistryStream } from '../shared/streams';

export const ID_NUMBER_CLAIMED = 'IdNumberClaimed';
export const ID_NUMBER_RELEASED = 'IdNumberReleased';
export type IdNumberReleaseReason = 'ERASED' | 'CORRECTED';

/**
 * How long a claim whose customer was never registered is left alone before another registration may take it
 * over: far longer than the moment between the claim and CustomerRegistered, so only a registration that died in
 * between (a crash, the store gone) leaves one that old.
 */
export const ORPHANED_ID_CLAIM_AFTER_MS = 60_000;

/** Claims and releases are re-decided on the new stream after losing a race; this many times at most. */
const MAX_REGISTRY_ATTEMPTS = 20;

export function idNumberAlreadyRegistered(existingCustomerId: string): DomainError {
  return new DomainError(
    'conflict',
    'ID_NUMBER_ALREADY_REGISTERED',
    'A customer with this id document (type and number) is already registered',
    { existingCustomerId },
  );
}

export interface IdDocument {
  readonly idType: IdType;
  /** As the domain normalised it (upper case, no spaces). */
  readonly idNumber: string;
}

interface Claimant {
  readonly customerId: string;
  readonly recordedAt: Date;
}

/**
 * One customer per id document (type and number). A registration first appends `IdNumberClaimed
 * { customerId, idType, claimedAt }` to `id-registry-<keyed hash of "<idType>:<idNumber>">`, with `no_stream`
 * for the first claim and the exact revision read otherwise, which both event stores check atomically: of
 * registrations racing for one document exactly one claim is appended, and every other one reads it and is
 * refused. Erasure appends `IdNumberReleased`, after which the document may be claimed again. docs/identity.md,
 * "Real-name rules".
 */
@Injectable()
export class IdNumberRegistry {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(LookupHasher) private readonly hasher: LookupHasher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The registry stream of a document. The name holds a keyed hash only: no id number, no type. */
  streamOf({ idType, idNumber }: IdDocument): string {
    return idNumberRegistryStream(this.hasher.hash('idNumber', `${idType}:${idNumber}`));
  }

  /**
   * Claims the document for the customer, or throws ID_NUMBER_ALREADY_REGISTERED (409, with the existing
   * customer's id). Goes on when the customer already holds it (a retry, or a crash before CustomerRegistered);
   * takes over a claim whose customer was never registered and that is older than ORPHANED_ID_CLAIM_AFTER_MS,
   * and a released one.
   */
  async claim(customerId: string, document: IdDocument, ctx: CommandContext, now: string): Promise<void> {
    const stream = this.streamOf(document);
    for (let attempt = 1; attempt <= MAX_REGISTRY_ATTEMPTS; attempt++) {
      const events = await this.eventStore.readStream(stream);
      const claimant = currentClaimant(events);
      if (claimant?.customerId === customerId) return;
      if (claimant !== null && !(await this.isOrphaned(claimant))) throw idNumberAlreadyRegistered(claimant.customerId);

      const expected = events.length === 0 ? 'no_stream' : events[events.length - 1].revision;
      const claimed = {
        // Derived, so that a resent append is recognised by the store as the same one.
        id: deterministicUuid('id-number-claimed', stream, String(expected), customerId),
        type: ID_NUMBER_CLAIMED,
        data: { customerId, idType: document.idType, claimedAt: now },
        metadata: eventMetadata(ctx, now, 'API'),
      };
      try {
        await this.eventStore.appendToStream(stream, [claimed], { expectedRevision: expected });
        return;
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
        // Someone else claimed (or released) meanwhile: decide again on what they wrote.
      }
    }
    throw new ConcurrentModificationError(stream, MAX_REGISTRY_ATTEMPTS);
  }

  /**
   * Releases the customer's claim on the document (erasure), so that the person may register again. Does nothing
   * when the customer does not hold it (released already, or registered before the registry existed), or when the
   * id number can no longer be read.
   */
  async release(customerId: string, document: IdDocument, reason: IdNumberReleaseReason, ctx: CommandContext, now: string): Promise<void> {
    if (document.idNumber === ERASED) return;
    const stream = this.streamOf(document);
    for (let attempt = 1; attempt <= MAX_REGISTRY_ATTEMPTS; attempt++) {
      const events = await this.eventStore.readStream(stream);
      if (currentClaimant(events)?.customerId !== customerId) return;
      const expected = events[events.length - 1].revision;
      const released = {
        id: deterministicUuid('id-number-released', stream, String(expected), customerId),
        type: ID_NUMBER_RELEASED,
        data: { customerId, reason, releasedAt: now },
        metadata: eventMetadata(ctx, now, 'API'),
      };
      try {
        await this.eventStore.appendToStream(stream, [released], { expectedRevision: expected });
        return;
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
        await sleep(Math.random() * 5);
      }
    }
    throw new ConcurrentModificationError(stream, MAX_REGISTRY_ATTEMPTS);
  }

  /**
   * A claim whose registration died between its two appends: the customer's stream has no CustomerRegistered,
   * and the claim was stored long enough ago. Its age is measured on the store's clock (`recordedAt`), never on
   * `claimedAt`, which an import dates in the past.
   */
  private async isOrphaned(claimant: Claimant): Promise<boolean> {
    if (this.clock.now().getTime() - claimant.recordedAt.getTime() <= ORPHANED_ID_CLAIM_AFTER_MS) return false;
    const customer = await this.eventStore.readStream(customerStream(claimant.customerId));
    return !customer.some((event) => event.type === 'CustomerRegistered');
  }
}

/** The customer of the last IdNumberClaimed not followed by an IdNumberReleased for them; null if none. */
function currentClaimant(events: readonly RecordedEvent[]): Claimant | null {
  let claimant: Claimant | null = null;
  for (const event of events) {
    const customerId = event.data.customerId;
    if (typeof customerId !== 'string') continue;
    if (event.type === ID_NUMBER_CLAIMED) claimant = { customerId, recordedAt: event.recordedAt };
    else if (event.type === ID_NUMBER_RELEASED && claimant?.customerId === customerId) claimant = null;
  }
  return claimant;
}
