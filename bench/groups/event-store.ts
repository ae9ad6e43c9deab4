import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { SqliteEventStore, type EventStore, type ExpectedRevision, type Position } from '@cards/event-store';
import type { BenchContext, BenchGroup } from '../core/context';
import { cardHistory, sampleEvent } from '../core/histories';
import { profileInProcess, type ProfileSummary } from '../core/profiler';
import { row, type Row } from '../core/rows';
import { msSince, now, perSecond, shuffled } from '../core/stats';

/**
 * Rows 1–3 of issue 8: the SQLite event store against bare better-sqlite3 on the same machine, same pragmas
 * (WAL, synchronous=FULL), interleaved in rounds so that both see the same machine state.
 */
export const ROW_IDS = ['appends.one-writer', 'appends.32-writers', 'reads.stream', 'reads.all'] as const;

const WRITERS = 32;
/** Streams the append rows spread their events over (each writer has its own). */
const APPEND_STREAMS = 32 * 32;
const EVENTS_PER_READ_STREAM = 20;
const READ_ALL_PAGE = 1000;
/** The columns the store reads (sqlite-event-store.ts EVENT_COLUMNS): a bare select reads the same. */
const EVENT_COLUMNS = 'position, event_id, stream_id, revision, type, data, metadata, recorded_at';
/** What the store adds to the metadata (integrity/hash-chain.ts): a bare row carries values of the same size. */
const FAKE_HASHES = { prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) };

interface Sizes {
  readonly rounds: number;
  readonly phaseMs: number;
  readonly readStreams: number;
}

const sizesFor = (quick: boolean): Sizes => (quick ? { rounds: 1, phaseMs: 400, readStreams: 300 } : { rounds: 3, phaseMs: 4000, readStreams: 5000 });

export const eventStoreGroup: BenchGroup = {
  name: 'event store',
  rowIds: ROW_IDS,
  async run(ctx: BenchContext): Promise<Row[]> {
    const dir = ctx.tempDir('event-store');
    try {
      const rows: Row[] = [];
      const sizes = sizesFor(ctx.quick);
      if (ctx.wantsAny(['appends.one-writer', 'appends.32-writers'])) rows.push(...(await appendRows(ctx, dir.path, sizes)));
      if (ctx.wantsAny(['reads.stream', 'reads.all'])) rows.push(...(await readRows(ctx, dir.path, sizes)));
      return rows;
    } finally {
      dir.remove();
    }
  },
};

// ---- appends ----

interface StreamCursor {
  readonly id: string;
  revision: bigint | null;
}

function openBare(file: string): Database.Database {
  // The store creates the file and its schema; the bare connection then writes the same tables.
  const db = new Database(file, { timeout: 5000 });
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = FULL');
  db.pragma('journal_mode = WAL');
  return db;
}

async function createStoreFile(file: string): Promise<void> {
  const store = SqliteEventStore.open(file);
  await store.close();
}

/**
 * Bare better-sqlite3: the rows the store writes for a one-event append, one transaction each, into a file whose
 * schema the store created: the event row, and the stream's revision where the schema keeps one (version 1's
 * `streams` table; version 2 dropped it).
 */
function bareInserter(db: Database.Database): (stream: StreamCursor) => void {
  const insertEvent = db.prepare('INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const hasStreamsTable = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'streams'").pluck().get() === 1;
  const upsertStream = hasStreamsTable
    ? db.prepare('INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision')
    : null;
  const insert = db.transaction((stream: StreamCursor) => {
    const event = sampleEvent();
    const revision = stream.revision === null ? 0 : Number(stream.revision) + 1;
    insertEvent.run(event.id, stream.id, revision, event.type, JSON.stringify(event.data), JSON.stringify({ ...event.metadata, ...FAKE_HASHES }), new Date().toISOString());
    upsertStream?.run(stream.id, revision);
    stream.revision = BigInt(revision);
  });
  return (stream) => insert.immediate(stream);
}

const newStreams = (count: number): StreamCursor[] => Array.from({ length: count }, () => ({ id: `card-${randomUUID()}`, revision: null }));

async function appendOne(store: EventStore, stream: StreamCursor): Promise<void> {
  const expectedRevision: ExpectedRevision = stream.revision ?? 'no_stream';
  const result = await store.appendToStream(stream.id, [sampleEvent()], { expectedRevision });
  stream.revision = result.nextExpectedRevision;
}

interface Phase {
  operations: number;
  ms: number;
}

const addTo = (total: Phase, part: Phase) => {
  total.operations += part.operations;
  total.ms += part.ms;
};

async function timedLoop(ms: number, step: (i: number) => Promise<void> | void): Promise<Phase> {
  const start = now();
  const deadline = Date.now() + ms;
  let operations = 0;
  while (Date.now() < deadline) await step(operations++);
  return { operations, ms: msSince(start) };
}

async function concurrentWriters(store: EventStore, streams: StreamCursor[], ms: number): Promise<Phase> {
  const start = now();
  const deadline = Date.now() + ms;
  const counts = await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const mine = streams.filter((_, k) => k % WRITERS === writer);
      let operations = 0;
      while (Date.now() < deadline) await appendOne(store, mine[operations++ % mine.length]);
      return operations;
    }),
  );
  return { operations: counts.reduce((a, b) => a + b, 0), ms: msSince(start) };
}

async function appendRows(ctx: BenchContext, dir: string, sizes: Sizes): Promise<Row[]> {
  const bareFile = path.join(dir, 'bare-appends.db');
  await createStoreFile(bareFile);
  const bare = openBare(bareFile);
  const one = SqliteEventStore.open(path.join(dir, 'store-one-writer.db'));
  const many = SqliteEventStore.open(path.join(dir, 'store-32-writers.db'));
  const insertBare = bareInserter(bare);
  const bareStreams = newStreams(APPEND_STREAMS);
  const oneStreams = newStreams(APPEND_STREAMS);
  const manyStreams = newStreams(APPEND_STREAMS);
  const totals = { bare: { operations: 0, ms: 0 }, one: { operations: 0, ms: 0 }, many: { operations: 0, ms: 0 } };
  const profiles: Record<string, ProfileSummary | null> = {};
  try {
    for (let round = 1; round <= sizes.rounds; round++) {
      ctx.progress(`appends, round ${round}/${sizes.rounds}: bare better-sqlite3, one writer, 32 writers (${sizes.phaseMs} ms each)`);
      addTo(totals.bare, await timedLoop(sizes.phaseMs, (i) => insertBare(bareStreams[i % bareStreams.length])));
      if (ctx.wants('appends.one-writer')) {
        const { result, summary } = await profileInProcess(round === 1 ? ctx.options.profileDir : null, 'appends-one-writer', () =>
          timedLoop(sizes.phaseMs, (i) => appendOne(one, oneStreams[i % oneStreams.length])),
        );
        addTo(totals.one, result);
        if (summary) profiles['appends.one-writer'] = summary;
      }
      if (ctx.wants('appends.32-writers')) {
        const { result, summary } = await profileInProcess(round === 1 ? ctx.options.profileDir : null, 'appends-32-writers', () =>
          concurrentWriters(many, manyStreams, sizes.phaseMs),
        );
        addTo(totals.many, result);
        if (summary) profiles['appends.32-writers'] = summary;
      }
    }
  } finally {
    bare.close();
    await one.close();
    await many.close();
  }
  const bareRate = perSecond(totals.bare.operations, totals.bare.ms);
  const reference = { value: bareRate, unit: 'appends/s', label: 'bare better-sqlite3 inserts, one writer, one transaction each' };
  const method = `${sizes.rounds} round(s) of ${sizes.phaseMs} ms per phase, phases interleaved; one event per append over ${APPEND_STREAMS} streams with the expected revision; WAL, synchronous=FULL`;
  const rows: Row[] = [];
  if (ctx.wants('appends.one-writer')) {
    rows.push(
      row({
        id: 'appends.one-writer',
        label: 'durable appends/s, one writer',
        figure: { value: perSecond(totals.one.operations, totals.one.ms), unit: 'appends/s' },
        reference,
        target: { kind: 'ratio-at-least', value: 0.8 },
        details: { method, appends: totals.one.operations, bareInserts: totals.bare.operations, ...(profiles['appends.one-writer'] && { profile: profiles['appends.one-writer'] }) },
      }),
    );
  }
  if (ctx.wants('appends.32-writers')) {
    rows.push(
      row({
        id: 'appends.32-writers',
        label: 'durable appends/s, 32 writers',
        figure: { value: perSecond(totals.many.operations, totals.many.ms), unit: 'appends/s' },
        reference,
        target: { kind: 'ratio-at-least', value: 3 },
        details: {
          method: `${method}; ${WRITERS} async loops in one process, each awaiting appendToStream on its own streams`,
          appends: totals.many.operations,
          ...(profiles['appends.32-writers'] && { profile: profiles['appends.32-writers'] }),
        },
      }),
    );
  }
  return rows;
}

// ---- reads ----

async function readRows(ctx: BenchContext, dir: string, sizes: Sizes): Promise<Row[]> {
  const file = path.join(dir, 'reads.db');
  const store = SqliteEventStore.open(file);
  ctx.progress(`reads: writing ${sizes.readStreams} streams of ${EVENTS_PER_READ_STREAM} events`);
  const streamIds: string[] = [];
  for (let i = 0; i < sizes.readStreams; i++) {
    const cardId = randomUUID();
    // Index 10k + 8 has the 20-event history (histories.ts).
    const events = cardHistory(cardId, i * 10 + 8);
    if (events.length !== EVENTS_PER_READ_STREAM) throw new Error(`expected ${EVENTS_PER_READ_STREAM}-event histories, got ${events.length}`);
    await store.appendToStream(`card-${cardId}`, events, { expectedRevision: 'no_stream' });
    streamIds.push(`card-${cardId}`);
  }
  const order = shuffled(streamIds);
  const bare = openBare(file);
  // The reference reads rows as arrays (`raw`), as the store does: better-sqlite3's fastest way to read them. The
  // same selects returning objects with named keys (its default) are measured too, for results.json.
  const bareStreamObjects = bare.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? ORDER BY revision`);
  const bareStream = bare.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? ORDER BY revision`).raw(true);
  const barePageObjects = bare.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`);
  const barePage = bare.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true);
  const total = {
    storeStream: phase(),
    bareStream: phase(),
    bareStreamObjects: phase(),
    bareStreamParsed: phase(),
    storeAll: phase(),
    bareAll: phase(),
    bareAllObjects: phase(),
  };
  const profiles: Record<string, ProfileSummary | null> = {};
  try {
    for (let round = 1; round <= sizes.rounds; round++) {
      ctx.progress(`reads, round ${round}/${sizes.rounds}: streams and the whole log, store and bare (${sizes.phaseMs} ms each)`);
      if (ctx.wants('reads.stream')) {
        addEvents(total.bareStream, await timedEvents(sizes.phaseMs, (i) => bareStream.all(order[i % order.length]).length));
        addEvents(total.bareStreamObjects, await timedEvents(sizes.phaseMs, (i) => bareStreamObjects.all(order[i % order.length]).length));
        addEvents(
          total.bareStreamParsed,
          await timedEvents(sizes.phaseMs, (i) => parseRows(bareStreamObjects.all(order[i % order.length]) as { data: string; metadata: string }[]).length),
        );
        const { result, summary } = await profileInProcess(round === 1 ? ctx.options.profileDir : null, 'reads-stream', () =>
          timedEvents(sizes.phaseMs, async (i) => (await store.readStream(order[i % order.length])).length),
        );
        addEvents(total.storeStream, result);
        if (summary) profiles['reads.stream'] = summary;
      }
      if (ctx.wants('reads.all')) {
        let after = 0;
        addEvents(
          total.bareAll,
          await timedEvents(sizes.phaseMs, () => {
            const page = barePage.all(after, READ_ALL_PAGE) as [position: number][];
            after = page.length === 0 ? 0 : page[page.length - 1][0];
            return page.length;
          }),
        );
        after = 0;
        addEvents(
          total.bareAllObjects,
          await timedEvents(sizes.phaseMs, () => {
            const page = barePageObjects.all(after, READ_ALL_PAGE) as { position: number }[];
            after = page.length === 0 ? 0 : page[page.length - 1].position;
            return page.length;
          }),
        );
        let from: Position | 'start' = 'start';
        const { result, summary } = await profileInProcess(round === 1 ? ctx.options.profileDir : null, 'reads-all', () =>
          timedEvents(sizes.phaseMs, async () => {
            const page = await store.readAll({ from, maxCount: READ_ALL_PAGE });
            from = page.length === 0 ? 'start' : page[page.length - 1].position;
            return page.length;
          }),
        );
        addEvents(total.storeAll, result);
        if (summary) profiles['reads.all'] = summary;
      }
    }
  } finally {
    bare.close();
    await store.close();
  }
  const method = `${sizes.readStreams} streams of ${EVENTS_PER_READ_STREAM} events (${sizes.readStreams * EVENTS_PER_READ_STREAM} events, realistic card events); ${sizes.rounds} round(s) of ${sizes.phaseMs} ms per phase, interleaved`;
  const rows: Row[] = [];
  if (ctx.wants('reads.stream')) {
    rows.push(
      row({
        id: 'reads.stream',
        label: 'read events/s, single streams (readStream)',
        figure: { value: rate(total.storeStream), unit: 'events/s' },
        reference: { value: rate(total.bareStream), unit: 'events/s', label: 'bare better-sqlite3 select of the stream, rows as arrays' },
        target: { kind: 'ratio-at-least', value: 0.7 },
        details: {
          method: `${method}; streams read whole, in a shuffled order`,
          bareObjectRowsEventsPerSecond: Math.round(rate(total.bareStreamObjects)),
          bareObjectRowsWithJsonParseEventsPerSecond: Math.round(rate(total.bareStreamParsed)),
          ...(profiles['reads.stream'] && { profile: profiles['reads.stream'] }),
        },
      }),
    );
  }
  if (ctx.wants('reads.all')) {
    rows.push(
      row({
        id: 'reads.all',
        label: 'read events/s, the whole log (readAll pages)',
        figure: { value: rate(total.storeAll), unit: 'events/s' },
        reference: { value: rate(total.bareAll), unit: 'events/s', label: `bare better-sqlite3 select of pages of ${READ_ALL_PAGE} by position, rows as arrays` },
        target: { kind: 'ratio-at-least', value: 0.7 },
        details: {
          method: `${method}; pages of ${READ_ALL_PAGE}, from the start again at the end`,
          bareObjectRowsEventsPerSecond: Math.round(rate(total.bareAllObjects)),
          ...(profiles['reads.all'] && { profile: profiles['reads.all'] }),
        },
      }),
    );
  }
  return rows;
}

interface EventsPhase {
  events: number;
  ms: number;
}

const phase = (): EventsPhase => ({ events: 0, ms: 0 });
const rate = (p: EventsPhase) => perSecond(p.events, p.ms);

function addEvents(total: EventsPhase, part: EventsPhase): void {
  total.events += part.events;
  total.ms += part.ms;
}

async function timedEvents(ms: number, step: (i: number) => Promise<number> | number): Promise<EventsPhase> {
  const start = now();
  const deadline = Date.now() + ms;
  let events = 0;
  for (let i = 0; Date.now() < deadline; i++) events += await step(i);
  return { events, ms: msSince(start) };
}

function parseRows(rows: { data: string; metadata: string }[]): unknown[] {
  return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown, metadata: JSON.parse(r.metadata) as unknown }));
}
