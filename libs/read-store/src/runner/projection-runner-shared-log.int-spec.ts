import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { comparePositions, SqliteEventStore, type EventStore, type EventToAppend, type Position, type RecordedEvent } from '@cards/event-store';
import type { ReadDocument, ReadStore, WriteOp } from '../read-store.port';
import { SqliteReadStore } from '../sqlite/sqlite-read-store';
import { CARDS, cardsProjection } from '../projections/cards.projection';
import { DISPUTES, disputesProjection } from '../projections/disputes.projection';
import type { Projection } from '../projections/projection';
import { ProjectionRunner } from './projection-runner';
import { waitForProjections } from './wait-for-position';

/**
 * The runner's loops share one reader of the log (SharedLog): what each projection applies must not depend on it.
 * Every projection applies every event after its own checkpoint exactly once, whatever the others do.
 */
jest.setTimeout(30_000);

const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();

async function writeCards(store: EventStore, count: number, withDispute = false): Promise<void> {
  for (let i = 0; i < count; i++) {
    const cardId = randomUUID();
    const events: EventToAppend[] = [
      {
        id: randomUUID(),
        type: 'CardIssued',
        data: { cardId, customerId: 'c-1', product: 'LOYALTY', panBin: '900001', panLast4: '0001', panFingerprint: 'f', panLength: 16, channel: 'WEB', issuedAt: at(i) },
        metadata: {},
      },
      { id: randomUUID(), type: 'CardSuspended', data: { reason: 'x', suspendedAt: at(i) }, metadata: {} },
      { id: randomUUID(), type: 'CardReinstated', data: { reinstatedAt: at(i) }, metadata: {} },
    ];
    if (withDispute) events.push({ id: randomUUID(), type: 'CardDisputed', data: { disputeId: `d-${cardId}`, reason: 'FRAUD', description: 'x', openedAt: at(i) }, metadata: {} });
    await store.appendToStream(`card-${cardId}`, events, { expectedRevision: 'no_stream' });
  }
}

async function dump(store: ReadStore, collection: string): Promise<ReadDocument[]> {
  const docs: ReadDocument[] = [];
  for await (const doc of store.scan(collection)) docs.push(doc);
  return docs;
}

/** A projection that keeps every event it is given (to check order, gaps and repeats), and writes nothing. */
function recorder(name: string): Projection & { readonly seen: RecordedEvent[] } {
  const seen: RecordedEvent[] = [];
  return { name, collections: [], seen, project: async (event) => (seen.push(event), []) };
}

/** cardsProjection, keeping every event it is given as well. */
function recordingCards(): Projection & { readonly seen: RecordedEvent[] } {
  const seen: RecordedEvent[] = [];
  return { ...cardsProjection, seen, project: (event, view) => (seen.push(event), cardsProjection.project(event, view)) };
}

function strictlyAscending(events: readonly RecordedEvent[]): boolean {
  return events.every((e, i) => i === 0 || comparePositions(events[i - 1].position, e.position) < 0);
}

describe('ProjectionRunner: projections fed by one shared reader of the log', () => {
  let dir: string;
  let events: EventStore;
  let readStore: SqliteReadStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-shared-'));
    events = SqliteEventStore.open(path.join(dir, 'events.db'));
    readStore = SqliteReadStore.open(path.join(dir, 'read.db'));
  });
  afterEach(async () => {
    await readStore.close();
    await events.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function atHead(store: ReadStore, names: string[]): Promise<void> {
    const head = await events.headPosition();
    expect(await waitForProjections(store, head!, names, 20_000)).toBe(true);
  }

  async function freshRun(projection: Projection, collection: string): Promise<ReadDocument[]> {
    const fresh = SqliteReadStore.open(':memory:');
    const runner = new ProjectionRunner(events, fresh, [projection]);
    await runner.start();
    await atHead(fresh, [projection.name]);
    await runner.stop();
    const docs = await dump(fresh, collection);
    await fresh.close();
    return docs;
  }

  it('two projections at different checkpoints: each applies the events after its own checkpoint once, then they share the events', async () => {
    await writeCards(events, 400); // 1,200 events
    const first = new ProjectionRunner(events, readStore, [cardsProjection]);
    await first.start();
    await atHead(readStore, ['cards']);
    await first.stop();
    const cardsCheckpoint = (await readStore.checkpoint('cards'))!.position!;
    await writeCards(events, 400); // 1,200 more: cards starts at 1,200, the recorder from zero

    const cards = recordingCards();
    const tally = recorder('tally');
    const runner = new ProjectionRunner(events, readStore, [cards, tally], { batchSize: 100 });
    await runner.start();
    try {
      await atHead(readStore, ['cards', 'tally']);
      await writeCards(events, 5); // live
      await atHead(readStore, ['cards', 'tally']);
      const log = await events.readAll({ maxCount: 10_000 });
      expect(log).toHaveLength(2415);

      expect(tally.seen.map((e) => e.id)).toEqual(log.map((e) => e.id));
      expect(cards.seen.map((e) => e.id)).toEqual(log.filter((e) => comparePositions(e.position, cardsCheckpoint) > 0).map((e) => e.id));
      expect(strictlyAscending(cards.seen) && strictlyAscending(tally.seen)).toBe(true);
      expect((await readStore.checkpoint('cards'))?.eventsApplied).toBe(2415);
      expect((await readStore.checkpoint('tally'))?.eventsApplied).toBe(2415);
      // One reader once they met: the live events are the same objects in both projections.
      expect(cards.seen.at(-1)).toBe(tally.seen.at(-1));
      expect(await dump(readStore, CARDS)).toEqual(await freshRun(cardsProjection, CARDS));
    } finally {
      await runner.stop();
    }
  });

  it("a projection whose commits fail does not hold up the others, and resumes from its own checkpoint", async () => {
    await writeCards(events, 300, true); // 1,200 events
    let refuse = true;
    let refused = 0;
    let cardsCommits = 0;
    const flakyCommits: ReadStore = Object.create(readStore, {
      commit: {
        value: (projection: string, position: Position, eventsInBatch: number, ops: readonly WriteOp[]) => {
          // cards commits its first batch, then every commit fails until it is let through.
          if (projection === 'cards' && refuse && cardsCommits++ > 0) {
            refused++;
            return Promise.reject(new Error('disk trouble'));
          }
          return readStore.commit(projection, position, eventsInBatch, ops);
        },
      },
    });
    const runner = new ProjectionRunner(events, flakyCommits, [cardsProjection, disputesProjection], { batchSize: 100, backoffMs: 5, maxBackoffMs: 20 });
    await runner.start();
    try {
      // disputes reaches the head while cards keeps failing.
      await atHead(readStore, ['disputes']);
      while (refused < 3) await new Promise((r) => setTimeout(r, 5));
      const stuck = (await runner.status()).find((s) => s.name === 'cards')!;
      expect(stuck.eventsApplied).toBe(100);
      expect(stuck.error).toBe('disk trouble');

      refuse = false;
      await atHead(readStore, ['cards', 'disputes']);
      expect((await readStore.checkpoint('cards'))?.eventsApplied).toBe(1200);
      expect((await readStore.checkpoint('disputes'))?.eventsApplied).toBe(1200);
      expect(await dump(readStore, CARDS)).toEqual(await freshRun(cardsProjection, CARDS));
      expect(await dump(readStore, DISPUTES)).toEqual(await freshRun(disputesProjection, DISPUTES));
    } finally {
      await runner.stop();
    }
  });

  it('applies a batch that never fills even when the store never says it caught up', async () => {
    await writeCards(events, 5); // 15 events, far from a batch of 500
    const silentStore: EventStore = Object.create(events, {
      subscribeToAll: { value: (options: { from?: Position | 'start' } = {}) => events.subscribeToAll({ from: options.from }) },
    });
    const runner = new ProjectionRunner(silentStore, readStore, [cardsProjection]);
    await runner.start();
    try {
      await atHead(readStore, ['cards']);
      expect((await readStore.checkpoint('cards'))?.eventsApplied).toBe(15);
      await writeCards(events, 1);
      await atHead(readStore, ['cards']);
      expect((await readStore.checkpoint('cards'))?.eventsApplied).toBe(18);
    } finally {
      await runner.stop();
    }
  });

  it('an event handed to several projections cannot be changed by one of them', async () => {
    await writeCards(events, 50);
    const vandal: Projection = {
      name: 'vandal',
      collections: [],
      async project(event) {
        (event.data as Record<string, unknown>).cardId = 'someone-else';
        return [];
      },
    };
    const runner = new ProjectionRunner(events, readStore, [vandal, cardsProjection], { backoffMs: 60_000 });
    await runner.start();
    try {
      await atHead(readStore, ['cards']);
      const status = await runner.status();
      expect(status.find((s) => s.name === 'vandal')).toMatchObject({ state: 'failed', eventsApplied: 0 });
      expect(status.find((s) => s.name === 'vandal')?.error).toMatch(/read only|read-only|Cannot assign/);
      const cards = await dump(readStore, CARDS);
      expect(cards).toHaveLength(50);
      expect(cards.every((card) => card.cardId === card._id)).toBe(true);
    } finally {
      await runner.stop();
    }
  });
});
