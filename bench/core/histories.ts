import { createHash, randomUUID } from 'node:crypto';
import { type EventToAppend, type JsonObject, newEventId } from '@cards/event-store';

/**
 * Synthetic card histories, shaped like the events the service writes (libs/card-domain card.types.ts), with
 * the metadata a command gives them. They are marked `imported: true`, as a million-card history brought from
 * another system would be: the notification reactor sends no notice for imported events.
 */

/** Events per card of the three kinds of history, and how often each occurs (per 10 cards). */
export const HISTORY_KINDS = [
  { events: 4, per10: 6, what: 'issued, verified, linked, activated' },
  { events: 6, per10: 2, what: 'with a failed identity check and a wrong CVV2 before activation' },
  { events: 20, per10: 2, what: 'a busy card: failed checks, suspensions, a rejected dispute, cancelled' },
] as const;

/** Mean events per card over the mix. */
export const MEAN_EVENTS_PER_CARD = HISTORY_KINDS.reduce((sum, k) => sum + k.events * k.per10, 0) / 10;

/** How long a card with this index's history is, in events. */
export function historyLength(index: number): number {
  const slot = index % 10;
  let seen = 0;
  for (const kind of HISTORY_KINDS) {
    seen += kind.per10;
    if (slot < seen) return kind.events;
  }
  return HISTORY_KINDS[0].events;
}

function metadata(actorId: string, occurredAt: string, imported: boolean): JsonObject {
  const id = randomUUID();
  const base: JsonObject = { schemaVersion: 1, actor: { id: actorId, role: 'issuer' }, channel: 'API', correlationId: id, causationId: id, occurredAt };
  return imported ? { ...base, imported: true } : base;
}

/** The events of card number `index` (its stream is `card-<cardId>`), its times spread from 2025-01-01 on. */
export function cardHistory(cardId: string, index: number): EventToAppend[] {
  const start = Date.UTC(2025, 0, 1) + (index % 500_000) * 60_000;
  const at = (hours: number) => new Date(start + hours * 3_600_000).toISOString();
  const fingerprint = createHash('sha256').update(`bench-pan-${index}`).digest('hex');
  const event = (type: string, data: JsonObject, hours: number): EventToAppend => ({ id: randomUUID(), type, data, metadata: metadata(`teller-${index % 250}`, at(hours), true) });
  const issued = event(
    'CardIssued',
    {
      cardId,
      customerId: randomUUID(),
      product: 'DEBIT',
      panBin: '411111',
      panLast4: String(index % 10_000).padStart(4, '0'),
      panFingerprint: fingerprint,
      panLength: 16,
      expiry: '12/29',
      channel: 'BRANCH',
      branchId: `BJ-${String(index % 300).padStart(3, '0')}`,
      issuedAt: at(0),
    },
    0,
  );
  const verified = (h: number) => event('IdentityVerified', { method: 'ID_DOCUMENT', verifiedAt: at(h) }, h);
  const failedCheck = (h: number) => event('IdentityVerificationFailed', { method: 'ID_DOCUMENT', reasons: ['NAME_MISMATCH'], failedAt: at(h) }, h);
  const linked = (h: number) => event('CardLinked', { accountId: `ACC-${100_000 + index}`, linkedAt: at(h) }, h);
  const wrongCvv = (h: number) => event('ActivationAttemptFailed', { channel: 'APP', reason: 'CVV_MISMATCH', attempt: 1, attemptsLeft: 2, failedAt: at(h) }, h);
  const activated = (h: number) => event('CardActivated', { channel: 'APP', activatedAt: at(h) }, h);
  const suspended = (h: number, reason: string) => event('CardSuspended', { reason, suspendedAt: at(h) }, h);
  const reinstated = (h: number) => event('CardReinstated', { reason: 'Found by the customer', reinstatedAt: at(h) }, h);

  switch (historyLength(index)) {
    case 4:
      return [issued, verified(20), linked(30), activated(50)];
    case 6:
      return [issued, failedCheck(10), verified(20), linked(30), wrongCvv(45), activated(50)];
    default: {
      const disputeId = randomUUID();
      const events = [
        issued,
        failedCheck(10),
        verified(20),
        linked(30),
        wrongCvv(45),
        activated(50),
        suspended(100, 'LOST_REPORTED'),
        reinstated(120),
        event('CardDisputed', { disputeId, reason: 'UNRECOGNIZED_ACTIVATION', description: 'Customer does not recognise a change', openedAt: at(200) }, 200),
        event('DisputeResolved', { disputeId, outcome: 'REJECTED', note: 'Done from the registered device', resolvedAt: at(230) }, 230),
      ];
      for (let n = 0; events.length < 18; n++) events.push(n % 2 === 0 ? suspended(300 + n * 24, 'TRAVEL_HOLD') : reinstated(300 + n * 24));
      events.push(suspended(900, 'FRAUD_SUSPECTED'), event('CardCancelled', { reason: 'Customer request', cancelledAt: at(950) }, 950));
      return events;
    }
  }
}

/** One event like a command writes (a suspension), for the append rows: data and metadata of a real size. */
export function sampleEvent(): EventToAppend {
  const at = new Date().toISOString();
  return {
    // As the service's commands make them (the aggregate runner): time-ordered.
    id: newEventId(),
    type: 'CardSuspended',
    data: { reason: 'LOST_REPORTED', suspendedAt: at },
    metadata: metadata('teller-0042', at, false),
  };
}
