import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore, type EventStore, type EventToAppend, type RecordedEvent } from '@cards/event-store';
import type { ReadDocument, ReadStore, WriteOp } from '../read-store.port';
import { SqliteReadStore } from '../sqlite/sqlite-read-store';
import { CARDS, cardsProjection } from '../projections/cards.projection';
import { DISPUTES, disputesProjection } from '../projections/disputes.projection';
import type { Projection } from '../projections/projection';
import { ProjectionRunner, type ProjectionRunnerOptions, type RunnerLogger } from './projection-runner';
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

const TALLY = 'tally';

/**
 * A projection in two versions. Version 1 keeps one document per card stream, id `card-<id>`, with the type of its
 * last event; version 2 keys them by the bare card id and adds `kind`: what a change that alters documents already
 * written looks like. `applied` counts the events it projects.
 */
function tally(version: 1 | 2 | 3, applied: { events: number } = { events: 0 }): Projection {
  return {
    name: TALLY,
    ...(version === 1 ? {} : { version }),
    collections: [{ name: TALLY, indexes: [[{ field: 'last', direction: 'asc' }]] }],
    async project(event: RecordedEvent): Promise<WriteOp[]> {
      applied.events++;
      if (!event.streamId.startsWith('card-')) return [];
      return version === 1
        ? [{ kind: 'upsert', collection: TALLY, id: event.streamId, set: { last: event.type } }]
        : [{ kind: 'upsert', collection: TALLY, id: event.streamId.slice('card-'.length), set: { last: event.type, kind: 'card' } }];
    },
  };
}

function recordingLogger(): RunnerLogger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, log: () => undefined, warn: (message) => warnings.push(message), error: () => undefined };
}

async function caughtUp(runner: ProjectionRunner, events: EventStore, readStore: ReadStore, names: string[]): Promise<void> {
  const head = await events.headPosition();
  if (head) expect(await waitForProjections(readStore, head, names, 20_000)).toBe(true);
  void runner;
}

const BULK = 'bulk';

/**
 * A projection of Bulk events: each writes `documents` documents and counts itself in a tally (what an import of
 * numbers looks like).
 */
function bulkProjection(documents: number): Projection {
  return {
    name: BULK,
    collections: [{ name: BULK, indexes: [] }],
    async project(event: RecordedEvent): Promise<WriteOp[]> {
      if (event.type !== 'Bulk') return [];
      const n = event.data.n as number;
      return [
        ...Array.from({ length: documents }, (_, i): WriteOp => ({ kind: 'upsert', collection: BULK, id: `e${n}-d${i}`, set: { n } })),
        { kind: 'increment', collection: BULK, id: 'tally', by: { events: 1 } },
      ];
    },
  };
}

/** Appends `count` Bulk events to a new stream, each with `items` objects in its data. */
async function appendBulk(store: EventStore, count: number, items = 0): Promise<void> {
  const data = (n: number) => ({ n, ...(items > 0 && { items: Array.from({ length: items }, (_, i) => ({ i })) }) });
  await store.appendToStream(`bulk-${randomUUID()}`, Array.from({ length: count }, (_, n) => ({ id: randomUUID(), type: 'Bulk', data: data(n), metadata: {} })));
}

/** The read store, telling `record` of each of the bulk projection's commits before making it. */
function recordingCommits(store: ReadStore, record: (commit: { events: number; ops: number }) => void): ReadStore {
  return Object.create(store, {
    commit: {
      value: (projection: string, position: RecordedEvent['position'], eventsInBatch: number, ops: readonly WriteOp[]) => {
        if (projection === BULK) record({ events: eventsInBatch, ops: ops.length });
        return store.commit(projection, position, eventsInBatch, ops);
      },
    },
  }) as ReadStore;
}

/** Runs one projection over the log with a runner of its own until it reaches the head, then stops it. */
async function runUntilCaughtUp(events: EventStore, readStore: ReadStore, projection: Projection, options: ProjectionRunnerOptions): Promise<void> {
  const runner = new ProjectionRunner(events, readStore, [projection], options);
  await runner.start();
  try {
    await caughtUp(runner, events, readStore, [projection.name]);
  } finally {
    await runner.stop();
  }
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

  it('commits a batch whose events make many writes in parts, each after a whole event, to the same documents', async () => {
    const commits: { events: number; ops: number }[] = [];
    await appendBulk(events, 7);
    await runUntilCaughtUp(events, recordingCommits(readStore, (commit) => commits.push(commit)), bulkProjection(3_000), { maxOpsPerCommit: 5_000 });
    // 3,001 writes an event: a part closes once it holds 5,000 or more, i.e. after every second event.
    expect(commits).toEqual([
      { events: 2, ops: 6_002 },
      { events: 2, ops: 6_002 },
      { events: 2, ops: 6_002 },
      { events: 1, ops: 3_001 },
    ]);
    expect(await readStore.count(BULK)).toBe(7 * 3_000 + 1);
    expect(await readStore.get(BULK, 'tally')).toEqual({ _id: 'tally', events: 7 });
    expect((await readStore.checkpoint(BULK))?.eventsApplied).toBe(7);
  });

  it('closes a batch once its events weigh batchWeight, so what a loop holds is bounded by size as well as by count', async () => {
    // Each event holds 100 objects (weight 106, as eventWeight counts): 5 of them reach 500.
    const batches: number[] = [];
    await appendBulk(events, 12, 100);
    await runUntilCaughtUp(events, recordingCommits(readStore, (commit) => batches.push(commit.events)), bulkProjection(0), { batchWeight: 500 });
    expect(batches).toEqual([5, 5, 2]);
    expect(await readStore.get(BULK, 'tally')).toEqual({ _id: 'tally', events: 12 });
  });

  it('reports the lag from the checkpoint, capped at lagCap, the same whether the store counts it (countAll) or not', async () => {
    await writeCards(events, 2); // 8 events
    const first = (await events.readAll({ maxCount: 1 }))[0];
    const clock = () => new Date(first.recordedAt.getTime() + 90_000);
    // The same store without countAll: the runner reads the events instead, as on EventStoreDB.
    const counting = events as SqliteEventStore;
    let reads = 0;
    const reading = Object.create(counting, {
      countAll: { value: undefined },
      readAll: {
        value: (options: Parameters<EventStore['readAll']>[0]) => {
          reads += 1;
          return counting.readAll(options);
        },
      },
    }) as EventStore;
    expect(counting.countAll).toBeDefined();
    const lagOf = async (store: EventStore, lagCap: number) =>
      (await new ProjectionRunner(store, readStore, [cardsProjection, disputesProjection], { lagCap, clock }).status()).map((s) => ({
        name: s.name,
        state: s.state,
        lagEvents: s.lagEvents,
        lagCapped: s.lagCapped,
        lagSeconds: s.lagSeconds,
      }));

    // Nothing projected: every event is pending, the oldest recorded 90 s before the clock.
    const capped = [
      { name: 'cards', state: 'catching-up', lagEvents: 5, lagCapped: true, lagSeconds: 90 },
      { name: 'disputes', state: 'catching-up', lagEvents: 5, lagCapped: true, lagSeconds: 90 },
    ];
    expect(await lagOf(counting, 5)).toEqual(capped);
    expect(await lagOf(reading, 5)).toEqual(capped);
    // Both at the same checkpoint: one read for the two.
    expect(reads).toBe(1);
    expect(await lagOf(counting, 100)).toEqual(await lagOf(reading, 100));
    expect((await lagOf(counting, 100)).map((s) => [s.lagEvents, s.lagCapped])).toEqual([[8, false], [8, false]]);

    // cards checkpointed at the sixth event: two pending, the oldest the seventh; disputes at the head: none.
    const all = await events.readAll();
    await readStore.commit('cards', all[5].position, 6, []);
    await readStore.commit('disputes', all[7].position, 8, []);
    const partly = [
      { name: 'cards', state: 'catching-up', lagEvents: 2, lagCapped: false, lagSeconds: (clock().getTime() - all[6].recordedAt.getTime()) / 1000 },
      { name: 'disputes', state: 'live', lagEvents: 0, lagCapped: false, lagSeconds: 0 },
    ];
    expect(await lagOf(counting, 100)).toEqual(partly);
    reads = 0;
    expect(await lagOf(reading, 100)).toEqual(partly);
    expect(reads).toBe(2);
  });

  it('lets the event loop turn between the parts of a batch, so the timers of the process (the lease renewal) run', async () => {
    // Counts the turns of the event loop: a callback that schedules itself for the next one.
    let turns = 0;
    let counting = true;
    const count = () => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const turnAtCommit: number[] = [];
    await appendBulk(events, 7);
    try {
      await runUntilCaughtUp(events, recordingCommits(readStore, () => turnAtCommit.push(turns)), bulkProjection(3_000), { maxOpsPerCommit: 5_000 });
    } finally {
      counting = false;
    }
    // One batch of seven events in four parts, each committed in a later turn than the one before.
    expect(turnAtCommit).toHaveLength(4);
    for (let i = 1; i < turnAtCommit.length; i++) expect(turnAtCommit[i]).toBeGreaterThan(turnAtCommit[i - 1]);
    expect(await readStore.count(BULK)).toBe(7 * 3_000 + 1);
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

  describe('projection versions', () => {
    /** Runs `projection` until it has applied the whole log, then stops. */
    const runToHead = (projection: Projection, options: ProjectionRunnerOptions = {}) => runUntilCaughtUp(events, readStore, projection, options);

    /** Turns the read store into a file as the build before versions left it: checkpoints, no projection_versions. */
    async function makePreVersionsFile(): Promise<void> {
      await readStore.close();
      const raw = new Database(path.join(dir, 'read.db'));
      raw.exec('DROP TABLE projection_versions');
      raw.close();
      readStore = SqliteReadStore.open(path.join(dir, 'read.db'));
    }

    it('rebuilds from zero, before its loop starts, a projection whose version changed: new documents only', async () => {
      const cards = await writeCards(events, 20); // 80 events
      await runToHead(tally(1));
      expect(await readStore.projectionVersion(TALLY)).toBe(1);
      expect(await readStore.count(TALLY)).toBe(20);
      expect(await readStore.get(TALLY, `card-${cards[0]}`)).toEqual({ _id: `card-${cards[0]}`, last: 'CardSuspended' });

      // Version 2 waits at its first event until released, so what start() did is seen before any commit.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const applied = { events: 0 };
      const v2 = tally(2, applied);
      const gated: Projection = { ...v2, project: async (event, view) => (await gate, v2.project(event, view)) };
      const logger = recordingLogger();
      const runner = new ProjectionRunner(events, readStore, [gated], { logger });
      await runner.start();
      try {
        expect(logger.warnings).toEqual(['projection tally changed (version 1 → 2): rebuilding from zero']);
        expect(await readStore.count(TALLY)).toBe(0);
        expect(await readStore.checkpoint(TALLY)).toBeNull();
        expect(await readStore.projectionVersion(TALLY)).toBe(2);
        const [status] = await runner.status();
        expect(status).toMatchObject({ name: TALLY, state: 'rebuilding', version: 2, declaredVersion: 2, eventsApplied: 0, lagEvents: 80 });

        release();
        await caughtUp(runner, events, readStore, [TALLY]);
        const documents = await dump(readStore, TALLY);
        expect(documents.map((d) => d._id).sort()).toEqual([...cards].sort());
        for (const document of documents) expect(document).toEqual({ _id: document._id, last: 'CardSuspended', kind: 'card' });
        expect(await readStore.checkpoint(TALLY)).toMatchObject({ eventsApplied: 80 });
        expect(applied.events).toBe(80);
        expect((await runner.status())[0]).toMatchObject({ state: 'live', version: 2, declaredVersion: 2 });
      } finally {
        release();
        await runner.stop();
      }
    });

    it('leaves a projection at the same version alone: checkpoint and documents kept, nothing applied again', async () => {
      await writeCards(events, 20);
      await runToHead(tally(2));
      const checkpoint = await readStore.checkpoint(TALLY);
      const before = await dump(readStore, TALLY);

      const applied = { events: 0 };
      const logger = recordingLogger();
      const runner = new ProjectionRunner(events, readStore, [tally(2, applied)], { logger });
      await runner.start();
      try {
        expect(await readStore.checkpoint(TALLY)).toEqual(checkpoint);
        expect(await readStore.count(TALLY)).toBe(20);
        // A card written now: once it is applied, any replay of the earlier 80 events would have been counted too.
        const [late] = await writeCards(events, 1);
        await caughtUp(runner, events, readStore, [TALLY]);
        expect(applied.events).toBe(4);
        expect(await readStore.checkpoint(TALLY)).toMatchObject({ eventsApplied: 84 });
        expect(await dump(readStore, TALLY)).toEqual([...before, { _id: late, last: 'CardSuspended', kind: 'card' }].sort((a, b) => (a._id < b._id ? -1 : 1)));
        expect(logger.warnings).toEqual([]);
        expect(await readStore.projectionVersion(TALLY)).toBe(2);
      } finally {
        await runner.stop();
      }
    });

    it('records the declared version of a projection starting on a fresh store, and resets nothing', async () => {
      await writeCards(events, 5);
      const logger = recordingLogger();
      const applied = { events: 0 };
      const unversioned: Projection = { name: 'tally-v1', collections: [], project: async () => [] };
      const runner = new ProjectionRunner(events, readStore, [tally(3, applied), unversioned], { logger });
      await runner.start();
      try {
        expect(await readStore.projectionVersion(TALLY)).toBe(3);
        expect(await readStore.projectionVersion('tally-v1')).toBe(1);
        await caughtUp(runner, events, readStore, [TALLY]);
        expect(applied.events).toBe(20);
        expect(await readStore.checkpoint(TALLY)).toMatchObject({ eventsApplied: 20 });
        expect(logger.warnings).toEqual([]);
        expect((await runner.status()).map((s) => [s.name, s.version, s.declaredVersion])).toEqual([
          [TALLY, 3, 3],
          ['tally-v1', 1, 1],
        ]);
      } finally {
        await runner.stop();
      }
    });

    it('opens a read-models file from before versions with its checkpoints: version 1 goes on from them, version 2 rebuilds', async () => {
      const cards = await writeCards(events, 10); // 40 events
      await runToHead(tally(1));
      const checkpoint = await readStore.checkpoint(TALLY);
      await makePreVersionsFile();
      expect(await readStore.checkpoint(TALLY)).toEqual(checkpoint);
      expect(await readStore.projectionVersion(TALLY)).toBeNull();

      // The same code (version 1, the default): no reset, the checkpoint kept, version 1 recorded.
      const applied = { events: 0 };
      const logger = recordingLogger();
      const same = new ProjectionRunner(events, readStore, [tally(1, applied)], { logger });
      await same.start();
      try {
        expect(await readStore.projectionVersion(TALLY)).toBe(1);
        expect(await readStore.checkpoint(TALLY)).toEqual(checkpoint);
        await writeCards(events, 1);
        await caughtUp(same, events, readStore, [TALLY]);
        expect(applied.events).toBe(4);
        expect(await readStore.checkpoint(TALLY)).toMatchObject({ eventsApplied: 44 });
        expect(logger.warnings).toEqual([]);
      } finally {
        await same.stop();
      }

      // Version 2 on such a file: its documents are version 1's, so it is rebuilt.
      await makePreVersionsFile();
      const rebuilt = recordingLogger();
      await runToHead(tally(2), { logger: rebuilt });
      expect(rebuilt.warnings).toEqual(['projection tally changed (version 1 → 2): rebuilding from zero']);
      expect(await readStore.projectionVersion(TALLY)).toBe(2);
      expect(await readStore.checkpoint(TALLY)).toMatchObject({ eventsApplied: 44 });
      expect(await readStore.count(TALLY)).toBe(11);
      expect(await readStore.get(TALLY, cards[0])).toEqual({ _id: cards[0], last: 'CardSuspended', kind: 'card' });
      expect(await readStore.count(TALLY, { kind: { $exists: false } })).toBe(0);
    });

    it('changes nothing when this process may not write (the lease lost): start fails and nothing runs', async () => {
      await writeCards(events, 5);
      await runToHead(tally(1));
      const checkpoint = await readStore.checkpoint(TALLY);

      const runner = new ProjectionRunner(events, readStore, [tally(2)], { mayCommit: () => false });
      await expect(runner.start()).rejects.toThrow(/no longer holds the projections lease/);
      expect(runner.running).toBe(false);
      expect(await readStore.projectionVersion(TALLY)).toBe(1);
      expect(await readStore.checkpoint(TALLY)).toEqual(checkpoint);
      expect(await readStore.count(TALLY)).toBe(5);
    });
  });
});
