import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, type EventStore, type EventToAppend, type RecordedEvent } from '@cards/event-store';
import type { ReadDocument, ReadStore, WriteOp } from '../read-store.port';
import { SqliteReadStore } from '../sqlite/sqlite-read-store';
import { CARDS, cardsProjection } from '../projections/cards.projection';
import { DISPUTES, disputesProjection } from '../projections/disputes.projection';
import type { Projection } from '../projections/projection';
import { ProjectionRunner } from './projection-runner';
import { waitForProjections } from './wait-for-position';

jest.setTimeout(30_000);

function issued(cardId: string, at: string): EventToAppend {
  return {
    id: randomUUID(),
    type: 'CardIssued',
    data: { cardId, customerId: 'c-1', product: 'LOYALTY', panBin: '900001', panLast4: '0001', panFingerprint: 'f', panLength: 16, channel: 'WEB', issuedAt: at },
    metadata: {},
  };
}
const suspended = (at: string): EventToAppend => ({ id: randomUUID(), type: 'CardSuspended', data: { reason: 'x', suspendedAt: at }, metadata: {} });
const reinstated = (at: string): EventToAppend => ({ id: randomUUID(), type: 'CardReinstated', data: { reinstatedAt: at }, metadata: {} });
const disputed = (id: string, at: string): EventToAppend => ({ id: randomUUID(), type: 'CardDisputed', data: { disputeId: id, reason: 'FRAUD', description: 'x', openedAt: at }, metadata: {} });

/** Many cards, each issued then suspended and reinstated a few times: state that depends on order. */
async function writeCards(store: EventStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const cardId = randomUUID();
    ids.push(cardId);
    const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    await store.appendToStream(`card-${cardId}`, [issued(cardId, at), suspended(at), reinstated(at), suspended(at)], { expectedRevision: 'no_stream' });
  }
  return ids;
}

async function dump(store: ReadStore, collection: string): Promise<ReadDocument[]> {
  const docs: ReadDocument[] = [];
  for await (const doc of store.scan(collection)) docs.push(doc);
  return docs;
}

async function caughtUp(runner: ProjectionRunner, events: EventStore, readStore: ReadStore, names: string[]): Promise<void> {
  const head = await events.headPosition();
  if (head) expect(await waitForProjections(readStore, head, names, 20_000)).toBe(true);
  void runner;
}

describe('ProjectionRunner on real SQLite stores', () => {
  let dir: string;
  let events: EventStore;
  let readStore: ReadStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-'));
    events = SqliteEventStore.open(path.join(dir, 'events.db'));
    readStore = SqliteReadStore.open(path.join(dir, 'read.db'));
  });
  afterEach(async () => {
    await readStore.close();
    await events.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('catches up in batches, then follows new events live, counting every event once', async () => {
    await writeCards(events, 300); // 1,200 events: several batches of 500
    const runner = new ProjectionRunner(events, readStore, [cardsProjection, disputesProjection]);
    await runner.start();
    try {
      await caughtUp(runner, events, readStore, ['cards', 'disputes']);
      expect(await readStore.count(CARDS)).toBe(300);
      expect(await readStore.count(CARDS, { status: 'SUSPENDED' })).toBe(300);
      expect((await readStore.checkpoint('cards'))?.eventsApplied).toBe(1200);

      const [late] = await writeCards(events, 1);
      await events.appendToStream(`card-${late}`, [reinstated('2026-02-01T00:00:00.000Z'), disputed('d-late', '2026-02-01T00:00:00.000Z')], { expectedRevision: 3n });
      await caughtUp(runner, events, readStore, ['cards', 'disputes']);
      expect(await readStore.get(CARDS, late)).toMatchObject({ status: 'DISPUTED', statusBeforeDispute: 'ISSUED', disputeCount: 1 });
      expect(await readStore.get(DISPUTES, 'd-late')).toMatchObject({ cardId: late, outcome: null });
      const status = await runner.status();
      expect(status.map((s) => [s.name, s.state, s.runsHere, s.lagEvents, s.eventsApplied])).toEqual([
        ['cards', 'live', true, 0, 1206],
        ['disputes', 'live', true, 0, 1206],
      ]);
    } finally {
      await runner.stop();
    }
  });

  it('stopped part-way (a crash) and restarted, it ends with exactly what a single run gives', async () => {
    await writeCards(events, 400);
    // The first process dies in the middle of a batch, at its 700th event: that batch never commits.
    let seen = 0;
    const dying: Projection = {
      ...cardsProjection,
      async project(event, view) {
        if (++seen === 700) throw new Error('simulated crash');
        return cardsProjection.project(event, view);
      },
    };
    const first = new ProjectionRunner(events, readStore, [dying], { batchSize: 50, backoffMs: 60_000 });
    await first.start();
    for (let i = 0; i < 200 && (await first.status())[0].state !== 'failed'; i++) await new Promise((r) => setTimeout(r, 10));
    await first.stop();
    const partial = (await readStore.checkpoint('cards'))?.eventsApplied ?? 0;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(700);

    const second = new ProjectionRunner(events, readStore, [cardsProjection], { batchSize: 50 });
    await second.start();
    await caughtUp(second, events, readStore, ['cards']);
    await second.stop();
    const afterRestart = await dump(readStore, CARDS);
    expect((await readStore.checkpoint('cards'))?.eventsApplied).toBe(1600);

    const fresh = SqliteReadStore.open(':memory:');
    const single = new ProjectionRunner(events, fresh, [cardsProjection]);
    await single.start();
    await caughtUp(single, events, fresh, ['cards']);
    await single.stop();
    expect(afterRestart).toEqual(await dump(fresh, CARDS));
    await fresh.close();
  });

  it('a failing projection is reported, retried from its checkpoint, and does not hold up the others', async () => {
    await writeCards(events, 5);
    let failuresLeft = 2;
    const flaky: Projection = {
      name: 'flaky',
      collections: [{ name: 'flaky_docs', indexes: [] }],
      async project(event: RecordedEvent): Promise<WriteOp[]> {
        if (event.type === 'CardReinstated' && failuresLeft > 0) {
          failuresLeft--;
          throw new Error('read model service hiccup');
        }
        return [{ kind: 'increment', collection: 'flaky_docs', id: 'counter', by: { [event.type]: 1 } }];
      },
    };
    const runner = new ProjectionRunner(events, readStore, [flaky, cardsProjection], { backoffMs: 20 });
    await runner.start();
    try {
      await caughtUp(runner, events, readStore, ['cards']);
      await caughtUp(runner, events, readStore, ['flaky']);
      expect(failuresLeft).toBe(0);
      expect(await readStore.get('flaky_docs', 'counter')).toEqual({ _id: 'counter', CardIssued: 5, CardSuspended: 10, CardReinstated: 5 });
      const status = await runner.status();
      expect(status.find((s) => s.name === 'flaky')).toMatchObject({ state: 'live', error: null });
    } finally {
      await runner.stop();
    }
  });

  it('shows a failed projection with its error while it keeps failing', async () => {
    await writeCards(events, 1);
    const broken: Projection = {
      name: 'broken',
      collections: [],
      async project(): Promise<WriteOp[]> {
        throw new Error('cannot project this');
      },
    };
    const runner = new ProjectionRunner(events, readStore, [broken], { backoffMs: 10_000 });
    await runner.start();
    try {
      for (let i = 0; i < 100 && (await runner.status())[0].state !== 'failed'; i++) await new Promise((r) => setTimeout(r, 20));
      const [status] = await runner.status();
      expect(status).toMatchObject({ name: 'broken', state: 'failed', error: 'cannot project this', eventsApplied: 0, lagEvents: 4 });
    } finally {
      await runner.stop();
    }
  });

  it('rebuilds one projection from zero to identical documents while another stays live', async () => {
    await writeCards(events, 50);
    const runner = new ProjectionRunner(events, readStore, [cardsProjection, disputesProjection]);
    await runner.start();
    try {
      await caughtUp(runner, events, readStore, ['cards', 'disputes']);
      const before = await dump(readStore, CARDS);
      const disputesBefore = await readStore.checkpoint('disputes');
      await runner.rebuild('cards');
      expect((await runner.status())[0].state).toMatch(/rebuilding|live/);
      await caughtUp(runner, events, readStore, ['cards']);
      expect(await dump(readStore, CARDS)).toEqual(before);
      expect((await readStore.checkpoint('cards'))?.eventsApplied).toBe(200);
      expect(await readStore.checkpoint('disputes')).toEqual(disputesBefore);
    } finally {
      await runner.stop();
    }
  });
});
