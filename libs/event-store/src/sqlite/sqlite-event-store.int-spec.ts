import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { anEvent, describeEventStoreContract, newStreamId, someEvents } from '@cards/event-store/testing/event-store.contract';
import {
  canonicalize,
  ChainVerifier,
  DuplicateEventIdError,
  EventStoreUnavailableError,
  GENESIS_HASH,
  type RecordedEvent,
  SqliteEventStore,
  StreamRevisionConflictError,
  verifyChain,
} from '@cards/event-store';
import { SUBSCRIPTION_PAGE_TEXT } from './sqlite-event-store';
import type { LogPage } from './sqlite-subscription';

const directory = mkdtempSync(join(tmpdir(), 'event-store-sqlite-'));
let files = 0;
const newFile = (): string => join(directory, `store-${++files}`, 'events.db');

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describeEventStoreContract('sqlite (temp file)', async () => SqliteEventStore.open(newFile()));


/** Records how many events each page a subscription of `store` reads holds. */
function countPageReads(store: SqliteEventStore): number[] {
  const reads: number[] = [];
  const internals = store as unknown as { readPage: (position: bigint, maxCount: number, maxText: number) => LogPage };
  const readPage = internals.readPage.bind(store);
  internals.readPage = (position, maxCount, maxText) => {
    const page = readPage(position, maxCount, maxText);
    reads.push(page.events.length);
    return page;
  };
  return reads;
}

/** A subscription of `store` from the start, caught up, with the consumer waiting for its next event (`next`). */
async function waitingAtTheHead(store: SqliteEventStore) {
  let caughtUp!: () => void;
  const isCaughtUp = new Promise<void>((resolve) => (caughtUp = resolve));
  const subscription = store.subscribeToAll({ onCaughtUp: () => caughtUp() });
  const iterator = subscription[Symbol.asyncIterator]();
  const next = iterator.next();
  await isCaughtUp;
  return { subscription, iterator, next };
}

describe('SqliteEventStore', () => {
  const opened: SqliteEventStore[] = [];
  const open = (file: string, options?: Parameters<typeof SqliteEventStore.open>[1]): SqliteEventStore => {
    const store = SqliteEventStore.open(file, options);
    opened.push(store);
    return store;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('keeps every event across close and reopen, and continues the positions', async () => {
    const file = newFile();
    const first = open(file);
    const streamId = newStreamId();
    const written = await first.appendToStream(streamId, someEvents(3), { expectedRevision: 'no_stream' });
    await first.close();

    const reopened = open(file);
    expect((await reopened.readStream(streamId)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
    expect(await reopened.headPosition()).toEqual(written.position);
    const next = await reopened.appendToStream(streamId, someEvents(1), { expectedRevision: 2n });
    expect(next.position).toEqual({ commit: written.position.commit + 1n, prepare: written.position.commit + 1n });
  });

  it('creates the schema with user_version 2 and runs with WAL, synchronous=FULL, foreign keys and a busy timeout', async () => {
    const file = newFile();
    open(file);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toContain('events');
      expect(tables).not.toContain('streams');
    } finally {
      db.close();
    }
    // Per-connection settings, read through the store's own connection.
    const store = opened[0] as unknown as { db: Database.Database };
    expect(Number(store.db.pragma('synchronous', { simple: true }))).toBe(2);
    expect(Number(store.db.pragma('foreign_keys', { simple: true }))).toBe(1);
    expect(Number(store.db.pragma('busy_timeout', { simple: true }))).toBe(5000);
  });

  it('upgrades a version 1 file (with its streams table) in place, keeping every event and the revisions', async () => {
    const file = newFile();
    const first = SqliteEventStore.open(file);
    const streamId = newStreamId();
    await first.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
    await first.close();
    // Make it a version 1 file, as a build of before had written it.
    const db = new Database(file);
    db.exec('CREATE TABLE streams (stream_id TEXT PRIMARY KEY, revision INTEGER NOT NULL)');
    db.prepare('INSERT INTO streams VALUES (?, 1)').run(streamId);
    db.pragma('user_version = 1');
    db.close();

    const reader = open(file, { readonly: true });
    expect(await reader.readStream(streamId)).toHaveLength(2);
    const upgraded = open(file);
    await expect(upgraded.appendToStream(streamId, someEvents(1), { expectedRevision: 0n })).rejects.toBeInstanceOf(StreamRevisionConflictError);
    await expect(upgraded.appendToStream(streamId, someEvents(1), { expectedRevision: 1n })).resolves.toMatchObject({ nextExpectedRevision: 2n });
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma('user_version', { simple: true })).toBe(2);
      expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'streams'").all()).toEqual([]);
    } finally {
      check.close();
    }
  });

  it('refuses a file with a schema version it does not know', () => {
    const file = newFile();
    open(file);
    const db = new Database(file);
    db.pragma('user_version = 7');
    db.close();
    expect(() => SqliteEventStore.open(file)).toThrow(/schema version 7/);
  });

  it('sees appends from another process on the same file through polling', async () => {
    const file = newFile();
    const reader = open(file, { pollIntervalMs: 25 });
    const writer = open(file);
    const streamId = newStreamId();
    const received: RecordedEvent[] = [];
    let caughtUp!: () => void;
    const isCaughtUp = new Promise<void>((resolve) => (caughtUp = resolve));
    const subscription = reader.subscribeToAll({ from: 'start', onCaughtUp: () => caughtUp() });
    const consuming = (async () => {
      for await (const event of subscription) {
        received.push(event);
        if (received.length === 3) break;
      }
    })();
    await isCaughtUp;

    const events = someEvents(3);
    await writer.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
    await consuming;

    expect(received.map((e) => e.id)).toEqual(events.map((e) => e.id));
    // The writer's conflicts are seen by the reader's store too: both share one file.
    await expect(reader.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
      StreamRevisionConflictError,
    );
  });

  it('looks at the file for other processes\' appends instead of reading the log, and wakes its subscriptions when it changed', async () => {
    const file = newFile();
    // The subscription's own idle read is a minute away: only the look at the file can wake it in this test.
    const reader = open(file, { pollIntervalMs: 10, idleReadMs: 60_000 });
    const writer = open(file);
    const reads = countPageReads(reader);
    const { subscription, next } = await waitingAtTheHead(reader);
    const readsWhenCaughtUp = reads.length;

    // Some twenty looks while nothing changes: no page of the log is read.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads.length).toBe(readsWhenCaughtUp);

    const [event] = someEvents(1);
    await writer.appendToStream(newStreamId(), [event]);
    expect((await next).value).toMatchObject({ id: event.id });
    await subscription.close();
  });

  it('reads pages of any size the caller asks for (each limit has its own statement, sixteen kept)', async () => {
    const store = open(newFile());
    const streamId = newStreamId();
    await store.appendToStream(streamId, someEvents(12));
    const all = await store.readAll();
    for (let round = 0; round < 2; round++) {
      for (let maxCount = 1; maxCount <= 20; maxCount++) {
        expect((await store.readAll({ maxCount })).map((e) => e.id)).toEqual(all.slice(0, maxCount).map((e) => e.id));
        expect((await store.readAll({ from: all[3].position, maxCount })).map((e) => e.id)).toEqual(all.slice(4, 4 + maxCount).map((e) => e.id));
        expect((await store.readAllStored({ maxCount })).length).toBe(Math.min(maxCount, 12));
        expect((await store.countAll({ maxCount })).count).toBe(Math.min(maxCount, 12));
      }
    }
    await expect(store.readAll({ maxCount: 2.5 })).rejects.toThrow(RangeError);
  });

  it('wakes live subscribers on a local append without waiting for the poll', async () => {
    const store = open(newFile(), { pollIntervalMs: 60_000 });
    const streamId = newStreamId();
    const { subscription, iterator, next } = await waitingAtTheHead(store);

    const [event] = someEvents(1);
    await store.appendToStream(streamId, [event]);

    expect((await next).value).toMatchObject({ id: event.id, streamId });
    await subscription.close();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('reads a page only when the consumer asks for it (back-pressure)', async () => {
    const store = open(newFile());
    const streamId = newStreamId();
    await store.appendToStream(streamId, someEvents(1_200));
    const reads = countPageReads(store);

    const iterator = store.subscribeToAll()[Symbol.asyncIterator]();
    await iterator.next();
    expect(reads).toEqual([500]);
    for (let i = 1; i < 500; i += 1) await iterator.next();
    expect(reads).toEqual([500]);
    await iterator.next();
    expect(reads).toEqual([500, 500]);
    await iterator.return?.();
  });

  it(`ends a subscription's page once its events hold ${SUBSCRIPTION_PAGE_TEXT.toLocaleString('en-US')} characters of JSON, and goes on reading`, async () => {
    const store = open(newFile());
    const streamId = newStreamId();
    // Ten events of a million characters each (an import of numbers is some 80,000 an event).
    const big = 'x'.repeat(1024 * 1024);
    await store.appendToStream(
      streamId,
      Array.from({ length: 10 }, (_, n) => ({ id: randomUUID(), type: 'Big', data: { n, big }, metadata: {} })),
    );
    const reads = countPageReads(store);
    let caughtUpAfter: number | null = null;
    const seen: number[] = [];
    const subscription = store.subscribeToAll({
      onCaughtUp: () => {
        caughtUpAfter = seen.length;
        void subscription.close();
      },
    });
    for await (const event of subscription) seen.push(event.data.n as number);
    // Four events pass the budget (4 MiB and their metadata); a short page is read only at the head.
    expect(reads.slice(0, 3)).toEqual([4, 4, 2]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(caughtUpAfter).toBe(10);
  });

  it("treats a repeated 'any' append of the block at the stream's tail as a retry", async () => {
    const store = open(newFile());
    const streamId = newStreamId();
    await store.appendToStream(streamId, someEvents(1));
    const events = someEvents(2);
    const first = await store.appendToStream(streamId, events);
    expect(await store.appendToStream(streamId, events)).toEqual(first);
    expect(await store.appendToStream(streamId, events, { expectedRevision: 'stream_exists' })).toEqual(first);
    const read = await store.readStream(streamId);
    expect(read).toHaveLength(3);
    expect(verifyChain(read).ok).toBe(true);
  });

  it('recognises a retry with the original revision after the stream has moved on', async () => {
    const store = open(newFile());
    const streamId = newStreamId();
    const events = someEvents(2);
    const first = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
    await store.appendToStream(streamId, someEvents(1), { expectedRevision: 1n });
    expect(await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' })).toEqual(first);
    expect(verifyChain(await store.readStream(streamId))).toMatchObject({ ok: true, eventsChecked: 3 });
    // The same ids one revision further on are not a retry.
    const partial = [events[1], ...someEvents(1)];
    const error = await store.appendToStream(streamId, partial, { expectedRevision: 0n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamRevisionConflictError);
  });

  describe('hash chains in the file', () => {
    it('keeps the chain across close and reopen, reading the last hash from the file', async () => {
      const file = newFile();
      const streamId = newStreamId();
      const first = open(file);
      await first.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
      await first.close();

      await open(file).appendToStream(streamId, someEvents(2), { expectedRevision: 1n });

      const read = await open(file).readStream(streamId);
      expect(verifyChain(read)).toMatchObject({ ok: true, eventsChecked: 4 });
      expect(read[2].metadata.prevHash).toBe(read[1].metadata.hash);
    });

    it('chains on the event another process appended since this store last appended to the stream', async () => {
      const file = newFile();
      const streamId = newStreamId();
      const mine = open(file);
      const theirs = open(file);
      await mine.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
      await theirs.appendToStream(streamId, someEvents(1), { expectedRevision: 1n });

      await mine.appendToStream(streamId, someEvents(1), { expectedRevision: 2n });

      const read = await open(file).readStream(streamId);
      expect(verifyChain(read)).toMatchObject({ ok: true, eventsChecked: 4 });
      expect(read[3].metadata.prevHash).toBe(read[2].metadata.hash);
      expect(read[2].metadata.prevHash).toBe(read[1].metadata.hash);
    });

    it('finds a change made to the file behind the store\'s back', async () => {
      const file = newFile();
      const store = open(file);
      const changed = newStreamId();
      const shortened = newStreamId();
      await store.appendToStream(changed, someEvents(4), { expectedRevision: 'no_stream' });
      await store.appendToStream(shortened, someEvents(4), { expectedRevision: 'no_stream' });

      const db = new Database(file);
      try {
        db.prepare("UPDATE events SET data = json_set(data, '$.n', 7) WHERE stream_id = ? AND revision = 2").run(changed);
        db.prepare('DELETE FROM events WHERE stream_id = ? AND revision = 1').run(shortened);
      } finally {
        db.close();
      }

      expect(verifyChain(await store.readStream(changed))).toMatchObject({ ok: false, firstBadRevision: 2n, problem: { code: 'HASH_MISMATCH' } });
      expect(verifyChain(await store.readStream(shortened))).toMatchObject({ ok: false, firstBadRevision: 1n, problem: { code: 'REVISION_GAP' } });
    });

    it('writes data and metadata as their canonical text, and verifies rows written in another member order as before', async () => {
      const file = newFile();
      const store = open(file);
      const streamId = newStreamId();
      const events = [0, 1, 2].map((n) => anEvent('CardNoted', { zeta: n, alpha: 'a', nested: { b: 1, a: [2, { y: 1, x: 0 }] } }));
      await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
      const db = new Database(file);
      try {
        const rows = db.prepare<[string], { revision: bigint; data: string; metadata: string }>('SELECT revision, data, metadata FROM events WHERE stream_id = ? ORDER BY revision').safeIntegers().all(streamId);
        const read = await store.readStream(streamId);
        expect(rows.map((row) => [row.data, row.metadata])).toEqual(read.map((event) => [canonicalize(event.data), canonicalize(event.metadata)]));

        // Rows as a store before the canonical text wrote them: JSON.stringify's member order, `hash` last.
        const reorder = db.prepare('UPDATE events SET data = ?, metadata = ? WHERE stream_id = ? AND revision = ?');
        for (const row of rows) {
          const { hash, ...rest } = JSON.parse(row.metadata) as Record<string, unknown>;
          const reversed = Object.fromEntries(Object.entries(JSON.parse(row.data) as Record<string, unknown>).reverse());
          reorder.run(JSON.stringify(reversed), JSON.stringify({ ...rest, hash }), streamId, row.revision);
        }
        const rewritten = db.prepare<[string], { data: string; metadata: string }>('SELECT data, metadata FROM events WHERE stream_id = ? AND revision = 0').get(streamId)!;
        expect([rewritten.data, rewritten.metadata]).toEqual([expect.not.stringMatching(/^{"alpha"/), expect.stringMatching(/"hash":"[0-9a-f]{64}"}$/)]);
      } finally {
        db.close();
      }
      expect(verifyChain(await store.readStream(streamId))).toMatchObject({ ok: true, eventsChecked: 3 });
      const verifier = new ChainVerifier();
      const stored = await store.readAllStored();
      expect(stored.map((event) => verifier.checkStored(event))).toEqual([undefined, undefined, undefined]);
      expect(verifier.headOf(streamId)?.revision).toBe(2n);
    });

    it('reads the log as stored (readAllStored): the pages of readAll, each event with the canonical text the chain hashes', async () => {
      const store = open(newFile());
      const [first, second] = [newStreamId(), newStreamId()];
      await store.appendToStream(first, someEvents(3), { expectedRevision: 'no_stream' });
      await store.appendToStream(second, someEvents(2), { expectedRevision: 'no_stream' });

      const all = await store.readAll();
      const stored = await store.readAllStored();

      expect(stored).toEqual(
        all.map((event) => ({
          streamId: event.streamId,
          revision: event.revision,
          position: event.position,
          type: event.type,
          dataText: canonicalize(event.data),
          metadataText: canonicalize(event.metadata),
        })),
      );
      // Paged like readAll.
      const page = await store.readAllStored({ from: stored[1].position, maxCount: 2 });
      expect(page.map((event) => event.position)).toEqual([stored[2].position, stored[3].position]);
      expect(await store.readAllStored({ maxCount: 0 })).toEqual([]);
      const verifier = new ChainVerifier();
      expect(stored.map((event) => verifier.checkStored(event))).toEqual(stored.map(() => undefined));
    });

    it('counts what readAll would return without reading it (countAll): how many, capped at maxCount, and when the first was recorded', async () => {
      const store = open(newFile());
      expect(await store.countAll()).toEqual({ count: 0, firstRecordedAt: null });
      await store.appendToStream(newStreamId(), someEvents(3), { expectedRevision: 'no_stream' });
      await store.appendToStream(newStreamId(), someEvents(4), { expectedRevision: 'no_stream' });
      const all = await store.readAll();
      expect(all).toHaveLength(7);

      for (const [from, maxCount] of [
        [undefined, undefined],
        [undefined, 5],
        [all[1].position, undefined],
        [all[1].position, 3],
        [all[5].position, 10],
        [all[6].position, 10],
        [all[2].position, 0],
      ] as const) {
        const options = { ...(from && { from }), ...(maxCount !== undefined && { maxCount }) };
        const read = await store.readAll(options);
        expect(await store.countAll(options)).toEqual({ count: read.length, firstRecordedAt: read[0]?.recordedAt ?? null });
      }
      expect((await store.countAll({ from: all[1].position, maxCount: 3 })).count).toBe(3);
      expect(await store.countAll({ from: all[6].position })).toEqual({ count: 0, firstRecordedAt: null });
    });

    it('appends to a stream written before events were chained, starting from the genesis value (verifyChain reports the old events)', async () => {
      const file = newFile();
      const store = open(file);
      const streamId = newStreamId();
      const [legacy] = someEvents(1);
      const db = new Database(file);
      try {
        db.prepare(
          'INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, 0, ?, ?, ?, ?)',
        ).run(legacy.id, streamId, legacy.type, JSON.stringify(legacy.data), JSON.stringify(legacy.metadata), new Date().toISOString());
      } finally {
        db.close();
      }

      await store.appendToStream(streamId, someEvents(1), { expectedRevision: 0n });

      const read = await store.readStream(streamId);
      expect(read[1].metadata.prevHash).toBe(GENESIS_HASH);
      expect(verifyChain(read)).toMatchObject({ ok: false, firstBadRevision: 0n, problem: { code: 'UNCHAINED' } });
      expect(verifyChain(read.slice(1), { after: { revision: 0n, hash: GENESIS_HASH } }).ok).toBe(true);
    });
  });

  it('rejects an event id stored elsewhere, or repeated in one append, with DuplicateEventIdError', async () => {
    const store = open(newFile());
    const [stored] = someEvents(1);
    const elsewhere = newStreamId();
    await store.appendToStream(elsewhere, [stored], { expectedRevision: 'no_stream' });

    const target = newStreamId();
    const error = await store.appendToStream(target, [stored], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect(error).toMatchObject({ eventId: stored.id, streamId: target, storedAt: { streamId: elsewhere, revision: 0n } });

    const [twice] = someEvents(1);
    await expect(store.appendToStream(target, [twice, twice])).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(target)).toEqual([]);
  });

  it('accepts ids in any case and returns them in lower case, rejecting ids that are not UUIDs', async () => {
    const store = open(newFile());
    const streamId = newStreamId();
    const [event] = someEvents(1);
    await store.appendToStream(streamId, [{ ...event, id: event.id.toUpperCase() }]);
    expect((await store.readStream(streamId))[0].id).toBe(event.id.toLowerCase());
    await expect(store.appendToStream(streamId, [{ ...event, id: 'not-a-uuid' }])).rejects.toThrow(TypeError);
  });

  it('reads events that look like plain ones to every reader: keys, spread, JSON, structuredClone, equality, frozen', async () => {
    const store = open(':memory:');
    const streamId = newStreamId();
    const appended = anEvent('CardIssued', { n: 1 });
    await store.appendToStream(streamId, [appended]);
    const [event] = await store.readStream(streamId);
    const [sameEvent] = await store.readAll({ maxCount: 1 });
    const fields = ['id', 'streamId', 'revision', 'position', 'type', 'data', 'metadata', 'recordedAt'];
    const plain = {
      id: event.id,
      streamId,
      revision: 0n,
      position: event.position,
      type: 'CardIssued',
      data: { n: 1 },
      // Stored canonical (RFC 8785): members in code-point order.
      metadata: Object.fromEntries(Object.entries({ ...appended.metadata, prevHash: GENESIS_HASH, hash: event.metadata.hash }).sort(([a], [b]) => (a < b ? -1 : 1))),
      recordedAt: event.recordedAt,
    };

    expect(Object.keys(event)).toEqual(fields);
    expect(Reflect.ownKeys(event)).toEqual(fields);
    expect(event).toEqual(plain);
    expect(sameEvent).toEqual(plain);
    expect({ ...event }).toEqual(plain);
    expect(Object.getPrototypeOf({ ...event })).toBe(Object.prototype);
    const json = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    expect(json(event)).toBe(json(plain));
    expect(structuredClone(event)).toEqual(plain);
    expect(event.recordedAt).toBeInstanceOf(Date);
    expect(event.metadata).toBe(event.metadata); // parsed once, the same object after
    expect(event.recordedAt).toBe(event.recordedAt);

    // Frozen before its lazy fields were ever read (as SharedLog hands events out), it still reads them.
    const [frozen] = await store.readStream(streamId);
    Object.freeze(frozen);
    expect(frozen.metadata).toEqual(plain.metadata);
    expect(frozen.recordedAt).toEqual(plain.recordedAt);
    expect(Object.isFrozen(frozen)).toBe(true);
  });

  it('reports an empty log with a null head', async () => {
    const store = open(newFile());
    expect(await store.headPosition()).toBeNull();
    expect(await store.readAll()).toEqual([]);
  });

  it('works in memory', async () => {
    const store = open(':memory:');
    const result = await store.appendToStream(newStreamId(), someEvents(2), { expectedRevision: 'no_stream' });
    expect(result.position).toEqual({ commit: 2n, prepare: 2n });
  });

  describe('when the store cannot read or write', () => {
    it('maps a closed database to EventStoreUnavailableError', async () => {
      const store = open(newFile());
      (store as unknown as { db: Database.Database }).db.close();

      await expect(store.appendToStream(newStreamId(), someEvents(1))).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.readStream(newStreamId())).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.readAll()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    });

    it('maps a read-only file to EventStoreUnavailableError (SQLITE_READONLY) while reads still work', async () => {
      const file = newFile();
      const streamId = newStreamId();
      await open(file).appendToStream(streamId, someEvents(1));
      const readonly = open(file, { readonly: true });

      const error = await readonly.appendToStream(streamId, someEvents(1)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect((error as EventStoreUnavailableError).cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_READONLY/) });
      expect(await readonly.readStream(streamId)).toHaveLength(1);
      await expect(readonly.ping()).resolves.toBeUndefined();
    });

    it('maps a file that cannot be opened to EventStoreUnavailableError', () => {
      expect(() => SqliteEventStore.open(join(directory, 'missing', 'events.db'), { readonly: true })).toThrow(
        EventStoreUnavailableError,
      );
    });

    it('lets programming errors through unchanged', async () => {
      const store = open(newFile());
      const [event] = someEvents(1);
      const withBigInt = { ...event, data: { amount: 1n } as unknown as typeof event.data };
      await expect(store.appendToStream(newStreamId(), [withBigInt])).rejects.toThrow(TypeError);
    });
  });

  it('closes its subscriptions when the store closes', async () => {
    const store = open(newFile());
    const iterator = store.subscribeToAll()[Symbol.asyncIterator]();
    const pending = iterator.next();
    await store.close();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  describe('group commit', () => {
    it('writes concurrent appends together: every one acknowledged, each readable by another connection once it is', async () => {
      const file = newFile();
      const store = open(file);
      const reader = open(file);
      const streams = Array.from({ length: 32 }, () => newStreamId());
      const acknowledged = await Promise.all(
        streams.map(async (streamId) => {
          const result = await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });
          // Durable before acknowledged: another connection on the file sees it the moment the promise resolves.
          expect(await reader.readStream(streamId)).toHaveLength(1);
          return result;
        }),
      );
      const positions = acknowledged.map((r) => r.position.commit).sort((a, b) => (a < b ? -1 : 1));
      expect(positions).toEqual(Array.from({ length: 32 }, (_, i) => BigInt(i + 1)));
      expect(acknowledged.every((r) => r.nextExpectedRevision === 0n)).toBe(true);
    });

    it('refuses only the append whose expectation fails; the others of the same commit are written', async () => {
      const store = open(newFile());
      const taken = newStreamId();
      await store.appendToStream(taken, someEvents(1), { expectedRevision: 'no_stream' });
      const others = [newStreamId(), newStreamId()];
      const outcomes = await Promise.allSettled([
        store.appendToStream(others[0], someEvents(2), { expectedRevision: 'no_stream' }),
        store.appendToStream(taken, someEvents(1), { expectedRevision: 'no_stream' }),
        store.appendToStream(others[1], someEvents(1), { expectedRevision: 'no_stream' }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StreamRevisionConflictError);
      expect(await store.readStream(taken)).toHaveLength(1);
      expect(await store.readStream(others[0])).toHaveLength(2);
      expect(await store.readStream(others[1])).toHaveLength(1);
      // The refused append left no gap in the log.
      const all = await store.readAll();
      expect(all.map((e) => e.position.commit)).toEqual([1n, 2n, 3n, 4n]);
    });

    it('undoes only the append whose INSERT fails: one event alone, or the first of two with the second', async () => {
      const file = newFile();
      const store = open(file);
      await store.appendToStream(newStreamId(), someEvents(1), { expectedRevision: 'no_stream' });
      // A trigger stands for any INSERT SQLite refuses after the store's own checks passed.
      const other = new Database(file);
      try {
        other.exec("CREATE TRIGGER refuse_poison BEFORE INSERT ON events WHEN NEW.type = 'Poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END");
      } finally {
        other.close();
      }
      const [before, alone, pair, after] = [newStreamId(), newStreamId(), newStreamId(), newStreamId()];

      const outcomes = await Promise.allSettled([
        store.appendToStream(before, someEvents(2), { expectedRevision: 'no_stream' }),
        store.appendToStream(alone, [anEvent('Poison')], { expectedRevision: 'no_stream' }),
        store.appendToStream(pair, [anEvent('CardNoted'), anEvent('Poison')], { expectedRevision: 'no_stream' }),
        store.appendToStream(after, someEvents(1), { expectedRevision: 'no_stream' }),
      ]);

      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain('poisoned');
      expect(await store.readStream(alone)).toEqual([]);
      expect(await store.readStream(pair)).toEqual([]);
      expect(await store.readStream(before)).toHaveLength(2);
      expect(await store.readStream(after)).toHaveLength(1);
      // Nothing of the refused appends is in the log, and the stream can still be started.
      const all = await store.readAll();
      expect(all.map((e) => e.type)).not.toContain('Poison');
      expect(all).toHaveLength(4);
      await store.appendToStream(pair, someEvents(1), { expectedRevision: 'no_stream' });
      expect(verifyChain(await store.readStream(pair))).toMatchObject({ ok: true, eventsChecked: 1 });
    });

    it('applies appends to one stream in the order they were made, within one commit', async () => {
      const store = open(newFile());
      const streamId = newStreamId();
      const [first, second] = await Promise.all([
        store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' }),
        store.appendToStream(streamId, someEvents(1), { expectedRevision: 0n }),
      ]);
      expect([first.nextExpectedRevision, second.nextExpectedRevision]).toEqual([0n, 1n]);
      const chain = await store.readStream(streamId);
      expect(verifyChain(chain)).toMatchObject({ ok: true, eventsChecked: 2 });

      // The store remembers revision 1's hash; the second append of the next commit chains on the first, not on it.
      await Promise.all([
        store.appendToStream(streamId, someEvents(1), { expectedRevision: 1n }),
        store.appendToStream(streamId, someEvents(1), { expectedRevision: 2n }),
      ]);
      const longer = await store.readStream(streamId);
      expect(verifyChain(longer)).toMatchObject({ ok: true, eventsChecked: 4 });
      expect(longer[3].metadata.prevHash).toBe(longer[2].metadata.hash);
    });

    it('writes the appends still queued when the store is closed, and refuses new ones after', async () => {
      const file = newFile();
      const store = SqliteEventStore.open(file);
      const streamId = newStreamId();
      const queued = store.appendToStream(streamId, someEvents(3), { expectedRevision: 'no_stream' });
      await store.close();
      await expect(queued).resolves.toMatchObject({ nextExpectedRevision: 2n });
      await expect(store.appendToStream(newStreamId(), someEvents(1))).rejects.toBeInstanceOf(EventStoreUnavailableError);
      const reopened = open(file);
      expect(await reopened.readStream(streamId)).toHaveLength(3);
    });
  });

  it('lets the rest of the process run while a subscription catches up over a long log (a turn of the event loop per page)', async () => {
    const store = open(newFile());
    const streamId = newStreamId();
    await store.appendToStream(streamId, someEvents(2_000), { expectedRevision: 'no_stream' });
    let timerFiredAfter: number | null = null;
    let delivered = 0;
    setTimeout(() => {
      timerFiredAfter = delivered;
    }, 0);
    const subscription = store.subscribeToAll({ from: 'start' });
    for await (const _event of subscription) {
      delivered += 1;
      if (delivered === 2_000) break;
    }
    // The timer did not wait for the whole catch-up: it ran between two pages.
    expect(timerFiredAfter).not.toBeNull();
    expect(timerFiredAfter!).toBeLessThan(2_000);
  });
});

