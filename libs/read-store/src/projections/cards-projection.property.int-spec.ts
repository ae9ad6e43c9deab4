import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { cardDecider, fold, type CardEvent, type CardState } from '@cards/domain';
import { CARD_ID, NOW, REGISTERED, decideIdentityReview, issueCard, verifyIdentity } from '@cards/domain/testing/card-fixtures';
import { cardCommandSequence, runCardCommands } from '@cards/domain/testing/card-arbitraries';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import type { WriteOp } from '../read-store.port';
import { SqliteReadStore } from '../sqlite/sqlite-read-store';
import { BatchView } from './batch-view';
import { CARDS, cardsProjection } from './cards.projection';
import type { CardSummaryDocument } from './documents';

const SEED = 20260410;
const RUNS = 150;

/** The events of one card's stream as the store would hand them to a projection, after `position` in the log. */
function asRecorded(history: readonly CardEvent[], firstPosition: bigint): RecordedEvent[] {
  return history.map((event, revision) => {
    const position = firstPosition + BigInt(revision);
    return {
      id: `e-${position}`,
      streamId: `card-${CARD_ID}`,
      revision: BigInt(revision),
      position: { commit: position, prepare: position },
      type: event.type,
      data: JSON.parse(JSON.stringify(event.data)) as JsonObject,
      metadata: { occurredAt: '2025-06-01T08:00:00.000Z' },
      recordedAt: new Date('2025-06-01T08:00:00.000Z'),
    };
  });
}

/** What the cards read model must show of a card, read off the decider's state. */
function expectedSummary(state: Extract<CardState, { exists: true }>, revision: number): Partial<CardSummaryDocument> {
  return {
    status: state.status,
    revision,
    accountId: state.accountId ?? null,
    activationChannel: state.activationChannel ?? null,
    identityVerifiedAt: state.timestamps.identityVerifiedAt ?? null,
    linkedAt: state.timestamps.linkedAt ?? null,
    activatedAt: state.timestamps.activatedAt ?? null,
    suspendedAt: state.timestamps.suspendedAt ?? null,
    disputedAt: state.timestamps.disputedAt ?? null,
    cancelledAt: state.timestamps.cancelledAt ?? null,
    openDisputeId: state.openDispute?.disputeId ?? null,
    failedActivationAttempts: state.failedActivationAttempts,
    suspensionReason: state.suspensionReason ?? null,
    cancellationReason: state.cancellationReason ?? null,
    statusBeforeSuspension: state.statusBeforeSuspension ?? null,
  };
}

function pick(doc: CardSummaryDocument, like: Partial<CardSummaryDocument>): Partial<CardSummaryDocument> {
  return Object.fromEntries(Object.keys(like).map((key) => [key, doc[key as keyof CardSummaryDocument]])) as Partial<CardSummaryDocument>;
}

describe('cards read model = evolve over the same events (property, real SQLite read store)', () => {
  let dir: string;
  let store: SqliteReadStore;
  let position = 1n;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cards-projection-property-'));
    store = SqliteReadStore.open(path.join(dir, 'read-models.db'));
    await store.ensureCollections(cardsProjection.collections);
  });
  afterAll(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows a card waiting for a review, locked, and back at ISSUED once the review rejects it (it stayed ISSUED before)', async () => {
    const { history } = runCardCommands([
      issueCard({ now: NOW }),
      ...[1, 2, 3].map(() => verifyIdentity({ presented: { name: '李四', idNumber: REGISTERED.idNumber }, now: NOW })),
    ]);
    await store.reset(cardsProjection.name, [CARDS]);
    const events = asRecorded(history, position);
    position += BigInt(events.length);
    for (const event of events) await store.commit(cardsProjection.name, event.position, 1, await cardsProjection.project(event, new BatchView(store)));
    expect(await store.get(CARDS, CARD_ID)).toMatchObject({ status: 'VERIFICATION_LOCKED', statusSince: NOW, revision: 5 });

    // the reviewer (not the clerk who asked) rejects it
    const state = fold(cardDecider, history);
    const more = cardDecider.decide(decideIdentityReview({ decision: 'REJECT', now: NOW }), state);
    const next = asRecorded([...history, ...more], position - BigInt(events.length)).slice(history.length);
    position += BigInt(more.length);
    for (const event of next) await store.commit(cardsProjection.name, event.position, 1, await cardsProjection.project(event, new BatchView(store)));
    expect(await store.get(CARDS, CARD_ID)).toMatchObject({ status: 'ISSUED', revision: 7 });
  });

  it('after every generated history, one event per commit or all in one batch', async () => {
    const statuses = new Set<string>();
    await fc.assert(
      fc.asyncProperty(cardCommandSequence(), fc.boolean(), async (commands, oneBatch) => {
        const { history } = runCardCommands(commands);
        fc.pre(history.length > 0);
        await store.reset(cardsProjection.name, [CARDS]);
        const events = asRecorded(history, position);
        position += BigInt(events.length);

        if (oneBatch) {
          const view = new BatchView(store);
          const ops: WriteOp[] = [];
          for (const event of events) {
            const eventOps = await cardsProjection.project(event, view);
            await view.apply(eventOps);
            ops.push(...eventOps);
          }
          await store.commit(cardsProjection.name, events[events.length - 1].position, events.length, ops);
        } else {
          for (const event of events) {
            await store.commit(cardsProjection.name, event.position, 1, await cardsProjection.project(event, new BatchView(store)));
          }
        }

        const state = fold(cardDecider, history);
        if (!state.exists) throw new Error('a history that starts with CardIssued always gives a card');
        history.reduce((along, event) => {
          const next = cardDecider.evolve(along, event);
          if (next.exists) statuses.add(next.status);
          return next;
        }, cardDecider.initialState);
        const doc = (await store.get(CARDS, CARD_ID)) as unknown as CardSummaryDocument | null;
        expect(doc).not.toBeNull();
        const expected = expectedSummary(state, history.length - 1);
        expect({ events: history.map((e) => e.type), summary: pick(doc!, expected) }).toEqual({ events: history.map((e) => e.type), summary: expected });
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // the histories went through the review statuses and the holding ones, not only the happy path
    expect([...statuses]).toEqual(expect.arrayContaining(['IDENTITY_REVIEW', 'VERIFICATION_LOCKED', 'ACTIVE', 'SUSPENDED', 'CANCELLED']));
  });
});
