import { randomUUID } from 'node:crypto';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import type { ReadStore, WriteOp } from '../read-store.port';
import { SqliteReadStore } from '../sqlite/sqlite-read-store';
import { BatchView } from './batch-view';
import { CARDS, cardsProjection } from './cards.projection';
import { DISPUTES, disputesProjection } from './disputes.projection';
import type { Projection } from './projection';
import { VERIFICATION_FAILURES, verificationFailuresProjection } from './verification-failures.projection';

const CARD = '5b7d8c2e-1f3a-4b5c-9d6e-7f8091a2b3c4';
const CUSTOMER = 'c3f5a3a0-1f0e-4a4b-8c55-0c0a3c1d2e11';

let nextPosition = 1n;
function recorded(type: string, data: JsonObject, revision: number, metadata: JsonObject = {}): RecordedEvent {
  const position = nextPosition++;
  return {
    id: randomUUID(),
    streamId: `card-${CARD}`,
    revision: BigInt(revision),
    position: { commit: position, prepare: position },
    type,
    data,
    metadata,
    recordedAt: new Date('2026-11-23T00:00:00.000Z'),
  };
}

/** A whole card story: issued, a failed then a passed verification, linked, two bad CVVs, activated, disputed, rejected, suspended, reinstated. */
function story(): RecordedEvent[] {
  let r = 0;
  return [
    recorded('CardIssued', { cardId: CARD, customerId: CUSTOMER, product: 'DEBIT', panBin: '411111', panLast4: '1111', panFingerprint: 'f', panLength: 16, expiry: '12/29', channel: 'BRANCH', branchId: 'BJ-1', issuedAt: '2026-11-01T01:00:00.000Z' }, r++, { imported: true }),
    recorded('IdentityVerificationFailed', { method: 'FACE', reasons: ['NAME_MISMATCH', 'LOW_MATCH_SCORE'], matchScore: 0.2, failedAt: '2026-11-01T02:00:00.000Z' }, r++),
    recorded('IdentityVerified', { method: 'ID_DOCUMENT', verifiedAt: '2026-11-01T03:00:00.000Z' }, r++),
    recorded('CardLinked', { accountId: 'ACC-1', linkedAt: '2026-11-02T00:00:00.000Z' }, r++),
    recorded('ActivationAttemptFailed', { channel: 'APP', reason: 'CVV_MISMATCH', attempt: 1, attemptsLeft: 2, failedAt: '2026-11-03T00:00:00.000Z' }, r++),
    recorded('ActivationAttemptFailed', { channel: 'APP', reason: 'CVV_MISMATCH', attempt: 2, attemptsLeft: 1, failedAt: '2026-11-03T00:01:00.000Z' }, r++),
    recorded('CardActivated', { channel: 'APP', activatedAt: '2026-11-03T00:02:00.000Z' }, r++),
    recorded('CardDisputed', { disputeId: 'd-1', reason: 'FRAUD', description: 'x', openedAt: '2026-11-04T00:00:00.000Z' }, r++),
    recorded('DisputeResolved', { disputeId: 'd-1', outcome: 'REJECTED', note: 'ok', resolvedAt: '2026-11-05T12:00:00.000Z' }, r++),
    recorded('CardSuspended', { reason: 'LOST', suspendedAt: '2026-11-06T00:00:00.000Z' }, r++),
    recorded('CardReinstated', { reinstatedAt: '2026-11-07T00:00:00.000Z' }, r++),
    // Not a card stream's business: ignored.
    { ...recorded('IdempotentResponseRecorded', { statusCode: 201 }, 0), streamId: 'idempotency-abc' },
  ];
}

/** An event of a notice's own stream, `notification-<notificationId>`, about a card. */
function notice(notificationId: string, type: string, data: JsonObject, revision: number, ref: JsonObject = {}): RecordedEvent {
  const about = { notificationId, templateId: 'activation-confirmation', channel: 'SMS', customerId: CUSTOMER, cardId: CARD, ...ref };
  return { ...recorded(type, { ...about, ...data }, revision), streamId: `notification-${notificationId}` };
}

/** The events as the log holds them: positions renumbered in array order. */
function inLogOrder(events: RecordedEvent[]): RecordedEvent[] {
  return events.map((event) => {
    const position = nextPosition++;
    return { ...event, position: { commit: position, prepare: position } };
  });
}

/**
 * The card's story with notices among it: the activation confirmation by SMS failed once, then went through; then
 * another activation confirmation (by e-mail) and a notice of another template were sent later, and an activation
 * confirmation about a card this projection never saw.
 */
function storyWithNotices(): RecordedEvent[] {
  const events = story();
  const activatedAt = events.findIndex((e) => e.type === 'CardActivated');
  const requested = { kind: 'TRANSACTIONAL', sendAt: '2026-11-03T00:02:01.000Z', requestedAt: '2026-11-03T00:02:01.000Z' };
  const notices = [
    notice('n-sms', 'NotificationRequested', requested, 0),
    notice('n-sms', 'NotificationFailed', { attempt: 1, reason: 'TIMEOUT', error: 'no answer in 5 s', nextAttemptAt: '2026-11-03T00:03:00.000Z', failedAt: '2026-11-03T00:02:06.000Z' }, 1),
    notice('n-sms', 'NotificationSent', { providerMessageId: 'sms-1', attempt: 2, sentAt: '2026-11-03T00:03:01.000Z' }, 2),
    notice('n-mail', 'NotificationSent', { providerMessageId: 'mail-1', attempt: 1, sentAt: '2026-11-03T00:04:00.000Z' }, 0, { channel: 'EMAIL' }),
    notice('n-other', 'NotificationSent', { providerMessageId: 'sms-2', attempt: 1, sentAt: '2026-11-03T00:05:00.000Z' }, 0, { templateId: 'card-suspended' }),
    notice('n-stranger', 'NotificationSent', { providerMessageId: 'sms-3', attempt: 1, sentAt: '2026-11-03T00:06:00.000Z' }, 0, { cardId: 'card-nobody-knows' }),
  ];
  return inLogOrder([...events.slice(0, activatedAt + 1), ...notices, ...events.slice(activatedAt + 1)]);
}

/** One commit per event, as the runner does when events trickle in live. */
async function projectOneByOne(projection: Projection, events: RecordedEvent[], store: ReadStore): Promise<void> {
  for (const event of events) {
    const ops = await projection.project(event, new BatchView(store));
    await store.commit(projection.name, event.position, 1, ops);
  }
}

/** All events in one commit, as the runner does when catching up: reads must see the batch's earlier writes. */
async function projectAsOneBatch(projection: Projection, events: RecordedEvent[], store: ReadStore): Promise<void> {
  const view = new BatchView(store);
  const ops: WriteOp[] = [];
  for (const event of events) {
    const eventOps = await projection.project(event, view);
    await view.apply(eventOps);
    ops.push(...eventOps);
  }
  await store.commit(projection.name, events[events.length - 1].position, events.length, ops);
}

describe('projections: given events, then read models', () => {
  let store: ReadStore;
  beforeEach(async () => {
    store = SqliteReadStore.open(':memory:');
    await store.ensureCollections([cardsProjection, disputesProjection, verificationFailuresProjection].flatMap((p) => p.collections));
  });
  afterEach(() => store.close());

  it('cards: follows a card through its whole story', async () => {
    await projectOneByOne(cardsProjection, story(), store);
    expect(await store.get(CARDS, CARD)).toEqual({
      _id: CARD,
      cardId: CARD,
      customerId: CUSTOMER,
      product: 'DEBIT',
      status: 'ACTIVE',
      statusSince: '2026-11-07T00:00:00.000Z',
      panBin: '411111',
      panLast4: '1111',
      msisdn: null,
      expiry: '12/29',
      channel: 'BRANCH',
      branchId: 'BJ-1',
      accountId: 'ACC-1',
      activationChannel: 'APP',
      issuedAt: '2026-11-01T01:00:00.000Z',
      identityVerifiedAt: '2026-11-01T03:00:00.000Z',
      linkedAt: '2026-11-02T00:00:00.000Z',
      activatedAt: '2026-11-03T00:02:00.000Z',
      notifiedAt: null,
      suspendedAt: '2026-11-06T00:00:00.000Z',
      disputedAt: '2026-11-04T00:00:00.000Z',
      cancelledAt: null,
      identityVerificationFailures: 1,
      failedActivationAttempts: 0,
      openDisputeId: null,
      disputeCount: 1,
      suspensionReason: null,
      cancellationReason: null,
      statusBeforeSuspension: null,
      statusBeforeDispute: null,
      revision: 10,
      updatedAt: '2026-11-07T00:00:00.000Z',
      imported: true,
    });
  });

  it('cards: one batch gives exactly what one commit per event gives', async () => {
    const events = story();
    await projectOneByOne(cardsProjection, events, store);
    const expected = await store.get(CARDS, CARD);
    await store.reset('cards', [CARDS]);
    await projectAsOneBatch(cardsProjection, events, store);
    expect(await store.get(CARDS, CARD)).toEqual(expected);
  });

  it('cards: a replayed event is a no-op (the commit is behind the checkpoint)', async () => {
    const events = story();
    await projectOneByOne(cardsProjection, events, store);
    const before = await store.get(CARDS, CARD);
    const replayed = events[4]; // an ActivationAttemptFailed
    const applied = await store.commit('cards', replayed.position, 1, await cardsProjection.project(replayed, new BatchView(store)));
    expect(applied).toBe(false);
    expect(await store.get(CARDS, CARD)).toEqual(before);
  });

  it('cards: the first activation confirmation sent marks the card notified; revision and updatedAt follow the card stream', async () => {
    // given the card's story alone
    await projectOneByOne(cardsProjection, story(), store);
    const withoutNotices = await store.get(CARDS, CARD);
    await store.reset('cards', [CARDS]);

    // when the same story is projected with its notices
    await projectOneByOne(cardsProjection, storyWithNotices(), store);

    // then only notifiedAt differs: the SMS that went through first, not the later e-mail nor the other template
    expect(await store.get(CARDS, CARD)).toEqual({ ...withoutNotices, notifiedAt: '2026-11-03T00:03:01.000Z' });
    // and a notice about a card without a summary creates none
    expect(await store.get(CARDS, 'card-nobody-knows')).toBeNull();
    expect(await store.count(CARDS)).toBe(1);
  });

  it('cards: a notice of another template, or one that failed, does not mark the card notified', async () => {
    const events = storyWithNotices().filter((e) => !(e.type === 'NotificationSent' && e.data.templateId === 'activation-confirmation'));
    await projectOneByOne(cardsProjection, inLogOrder(events), store);
    expect(await store.get(CARDS, CARD)).toMatchObject({ notifiedAt: null, revision: 10 });
  });

  it('cards: a rebuild with the notices, in one batch, gives exactly what the live run gave', async () => {
    const events = storyWithNotices();
    await projectOneByOne(cardsProjection, events, store);
    const live = await store.get(CARDS, CARD);
    await store.reset('cards', [CARDS]);
    await projectAsOneBatch(cardsProjection, events, store);
    expect(await store.get(CARDS, CARD)).toEqual(live);
    expect(live).toMatchObject({ notifiedAt: '2026-11-03T00:03:01.000Z', revision: 10, updatedAt: '2026-11-07T00:00:00.000Z' });
  });

  it('cards: an upheld dispute leaves the card cancelled', async () => {
    const events = story().slice(0, 8);
    events.push(recorded('DisputeResolved', { disputeId: 'd-1', outcome: 'UPHELD', note: 'fraud', resolvedAt: '2026-11-05T00:00:00.000Z' }, 8));
    events.push(recorded('CardCancelled', { reason: 'DISPUTE_UPHELD', cancelledAt: '2026-11-05T00:00:00.000Z' }, 9));
    await projectOneByOne(cardsProjection, events, store);
    expect(await store.get(CARDS, CARD)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'DISPUTE_UPHELD', openDisputeId: null, disputeCount: 1 });
  });

  it('disputes: time to resolve in seconds', async () => {
    await projectOneByOne(disputesProjection, story(), store);
    expect(await store.get(DISPUTES, 'd-1')).toEqual({
      _id: 'd-1',
      disputeId: 'd-1',
      cardId: CARD,
      reason: 'FRAUD',
      openedAt: '2026-11-04T00:00:00.000Z',
      outcome: 'REJECTED',
      resolvedAt: '2026-11-05T12:00:00.000Z',
      secondsToResolve: 129_600,
    });
  });

  it('verification failures: one document per failed attempt with its reasons', async () => {
    const events = story();
    await projectOneByOne(verificationFailuresProjection, events, store);
    const docs = await store.find(VERIFICATION_FAILURES, { limit: 10 });
    expect(docs).toEqual([
      { _id: events[1].id, cardId: CARD, method: 'FACE', reasons: ['NAME_MISMATCH', 'LOW_MATCH_SCORE'], failedAt: '2026-11-01T02:00:00.000Z' },
    ]);
    expect((await store.checkpoint('verification-failures'))?.eventsApplied).toBe(events.length);
  });
});
