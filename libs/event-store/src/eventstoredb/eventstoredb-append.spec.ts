/**
 * The EventStoreDB adapter's append path (hash chaining, exact expectations, races) against a fake client that
 * behaves as BACKENDS.md §A describes the server: an exact expectation is checked atomically; an append whose ids
 * are already stored at the revisions it expects to write is answered as written, writing nothing; anything else
 * not at the expected revision is a WrongExpectedVersionError. The real server's proof is the shared contract
 * suite (eventstoredb-event-store.int-spec.ts, with EVENTSTORE_CONNECTION_STRING).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type AppendExpectedRevision,
  type AppendResult as EsdbAppendResult,
  type AppendToStreamOptions,
  BACKWARDS,
  END,
  type EventData,
  type EventStoreDBClient,
  type ReadStreamOptions,
  type ResolvedEvent,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { DuplicateEventIdError, StreamRevisionConflictError } from '../errors';
import type { EventToAppend, JsonObject } from '../event-store.port';
import { chainEvents, GENESIS_HASH, verifyChain } from '../integrity/hash-chain';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly commit: bigint;
  readonly created: Date;
}

class FakeEventStoreDb {
  readonly streams = new Map<string, StoredEvent[]>();
  /** The expectation of every append the adapter sent. */
  readonly sentExpectations: AppendExpectedRevision[] = [];
  /** Runs just before each append is applied: lets a test make another writer win a race. */
  beforeAppend: (streamName: string) => void = () => undefined;
  /** As with `throwOnAppendFailure=false` in the connection string. */
  throwOnAppendFailure = true;
  private commit = 1000n;

  readStream(streamName: string, options: ReadStreamOptions = {}): Readable & { cancel(): Promise<void> } {
    const stored = this.streams.get(streamName);
    const readable = stored
      ? Readable.from(this.select(streamName, stored, options), { objectMode: true })
      : new Readable({
          objectMode: true,
          read() {
            this.destroy(new StreamNotFoundError(undefined, streamName));
          },
        });
    return Object.assign(readable, { cancel: async () => void readable.destroy() });
  }

  async appendToStream(streamName: string, events: EventData | EventData[], options: AppendToStreamOptions = {}): Promise<EsdbAppendResult> {
    const list = Array.isArray(events) ? events : [events];
    const expected = options.expectedRevision ?? 'any';
    this.sentExpectations.push(expected);
    this.beforeAppend(streamName);
    const stored = this.streams.get(streamName) ?? [];
    const current = stored.length === 0 ? -1n : BigInt(stored.length - 1);
    const expectedNumber = expected === 'no_stream' ? -1n : typeof expected === 'bigint' ? expected : undefined;
    if (expectedNumber === undefined) throw new Error(`the adapter sent '${String(expected)}'; it should send exact expectations`);

    if (expectedNumber === current) {
      for (const event of list) {
        this.commit += 10n;
        const json = (value: unknown) => JSON.parse(JSON.stringify(value ?? {})) as JsonObject;
        stored.push({ id: event.id, type: event.type, data: json(event.data), metadata: json(event.metadata), commit: this.commit, created: new Date() });
      }
      this.streams.set(streamName, stored);
      return this.result(stored, BigInt(stored.length - 1));
    }
    const resent = list.every((event, index) => stored[Number(expectedNumber) + 1 + index]?.id === event.id);
    if (expectedNumber < current && resent) return this.result(stored, expectedNumber + BigInt(list.length));
    if (!this.throwOnAppendFailure) return { success: false, nextExpectedRevision: current };
    throw new WrongExpectedVersionError(undefined, {
      streamName,
      expected,
      current: current < 0n ? 'no_stream' : current,
    });
  }

  async dispose(): Promise<void> {}

  /** Another writer appends `count` events with 'any' (bypassing the adapter, so unchained). */
  writeBehindTheAdaptersBack(streamName: string, count = 1): void {
    const stored = this.streams.get(streamName) ?? [];
    for (let i = 0; i < count; i += 1) {
      this.commit += 10n;
      stored.push({ id: randomUUID(), type: 'Other', data: {}, metadata: {}, commit: this.commit, created: new Date() });
    }
    this.streams.set(streamName, stored);
  }

  /** Another writer (another process with this adapter) appends `count` chained events. */
  writeChainedBehindTheAdaptersBack(streamName: string, count: number): void {
    const stored = this.streams.get(streamName) ?? [];
    const prevHash = stored.length === 0 ? GENESIS_HASH : (stored[stored.length - 1].metadata.hash as string);
    for (const event of chainEvents(streamName, BigInt(stored.length), prevHash, someEvents(count))) {
      this.commit += 10n;
      stored.push({ ...event, commit: this.commit, created: new Date() });
    }
    this.streams.set(streamName, stored);
  }

  private result(stored: readonly StoredEvent[], revision: bigint): EsdbAppendResult {
    const commit = stored[Number(revision)].commit;
    return { success: true, nextExpectedRevision: revision, position: { commit, prepare: commit } };
  }

  private select(streamName: string, stored: readonly StoredEvent[], options: ReadStreamOptions): ResolvedEvent[] {
    const all = stored.map((event, index) => this.resolved(streamName, event, BigInt(index)));
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    if (options.direction === BACKWARDS) {
      const from = options.fromRevision === END || options.fromRevision === undefined ? all.length - 1 : Number(options.fromRevision);
      return all.slice(0, from + 1).reverse().slice(0, max);
    }
    const from = typeof options.fromRevision === 'bigint' ? Number(options.fromRevision) : 0;
    return all.slice(from, from + max);
  }

  private resolved(streamId: string, event: StoredEvent, revision: bigint): ResolvedEvent {
    return {
      event: {
        streamId,
        id: event.id,
        revision,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        isJson: true,
        created: event.created,
        position: { commit: event.commit, prepare: event.commit },
      },
      commitPosition: event.commit,
    } as ResolvedEvent;
  }
}

function someEvents(count: number): EventToAppend[] {
  return Array.from({ length: count }, (_, n) => ({
    id: randomUUID(),
    type: 'CardNoted',
    data: { n },
    metadata: { schemaVersion: 1, correlationId: randomUUID() },
  }));
}

describe('EventStoreDbEventStore appends (against a fake client)', () => {
  let server: FakeEventStoreDb;
  let store: EventStoreDbEventStore;
  const stream = () => `card-${randomUUID()}`;

  beforeEach(() => {
    server = new FakeEventStoreDb();
    store = new EventStoreDbEventStore(server as unknown as EventStoreDBClient);
  });

  it('given appends with every kind of expectation, then the stream is one chain and only exact expectations were sent', async () => {
    const streamId = stream();

    await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
    await store.appendToStream(streamId, someEvents(1), { expectedRevision: 1n });
    await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'any' });
    const last = await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'stream_exists' });

    const read = await store.readStream(streamId);
    expect(last.nextExpectedRevision).toBe(5n);
    expect(verifyChain(read)).toMatchObject({ ok: true, eventsChecked: 6 });
    expect(read[0].metadata.prevHash).toBe(GENESIS_HASH);
    expect(server.sentExpectations).toEqual(['no_stream', 1n, 2n, 4n]);
  });

  it("given 'any' on a missing stream, then it is created from the genesis value, expecting no stream", async () => {
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(2));
    expect(verifyChain(await store.readStream(streamId)).ok).toBe(true);
    expect(server.sentExpectations).toEqual(['no_stream']);
  });

  it("given 'any' and another writer getting in first, then it reads again and chains on the new last event", async () => {
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });
    server.beforeAppend = (name) => {
      server.beforeAppend = () => undefined;
      server.writeChainedBehindTheAdaptersBack(name, 2);
    };

    const result = await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'any' });

    const read = await store.readStream(streamId);
    expect(result.nextExpectedRevision).toBe(3n);
    expect(read).toHaveLength(4);
    expect(verifyChain(read)).toMatchObject({ ok: true, eventsChecked: 4 });
    expect(server.sentExpectations).toEqual(['no_stream', 0n, 2n]);
  });

  it("given 'any' losing every race, then it gives up after 6 attempts with StreamRevisionConflictError", async () => {
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });
    server.beforeAppend = (name) => server.writeBehindTheAdaptersBack(name);

    const error = await store.appendToStream(streamId, someEvents(1)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StreamRevisionConflictError);
    expect(error).toMatchObject({ streamId, expectedRevision: 'any', actualRevision: 6n });
    expect(server.sentExpectations).toHaveLength(7);
  });

  it('given an exact revision the stream has passed, then the server refuses it and the conflict names the actual revision', async () => {
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(3), { expectedRevision: 'no_stream' });

    const error = await store.appendToStream(streamId, someEvents(1), { expectedRevision: 0n }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StreamRevisionConflictError);
    expect(error).toMatchObject({ streamId, expectedRevision: 0n, actualRevision: 2n });
    expect(server.sentExpectations).toEqual(['no_stream', 0n]);
  });

  it("given an exact revision the stream has not reached, or 'stream_exists' on a missing stream, then it is a conflict without sending", async () => {
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });

    await expect(store.appendToStream(streamId, someEvents(1), { expectedRevision: 4n })).rejects.toMatchObject({
      expectedRevision: 4n,
      actualRevision: 0n,
    });
    await expect(store.appendToStream(stream(), someEvents(1), { expectedRevision: 0n })).rejects.toMatchObject({
      expectedRevision: 0n,
      actualRevision: 'no_stream',
    });
    await expect(store.appendToStream(stream(), someEvents(1), { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(
      StreamRevisionConflictError,
    );
    expect(server.sentExpectations).toEqual(['no_stream']);
  });

  it('given no_stream on an existing stream, then the conflict names its revision', async () => {
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
    await expect(store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' })).rejects.toMatchObject({
      expectedRevision: 'no_stream',
      actualRevision: 1n,
    });
  });

  it('given the same append sent again with no_stream or with its revision, then the original result comes back and nothing is written', async () => {
    const streamId = stream();
    const events = someEvents(2);
    const more = someEvents(2);
    const first = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
    const second = await store.appendToStream(streamId, more, { expectedRevision: 1n });
    await store.appendToStream(streamId, someEvents(1), { expectedRevision: 3n });
    const before = await store.readStream(streamId);

    expect(await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' })).toEqual(first);
    expect(await store.appendToStream(streamId, more, { expectedRevision: 1n })).toEqual(second);

    expect(await store.readStream(streamId)).toEqual(before);
    expect(verifyChain(before).ok).toBe(true);
  });

  it("given an 'any' append sent again while it is still the stream's tail, then the server confirms it and nothing is written", async () => {
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(1));
    const events = someEvents(2);
    const first = await store.appendToStream(streamId, events);

    expect(await store.appendToStream(streamId, events)).toEqual(first);
    expect(await store.appendToStream(streamId, events, { expectedRevision: 'stream_exists' })).toEqual(first);

    const read = await store.readStream(streamId);
    expect(read).toHaveLength(3);
    expect(verifyChain(read).ok).toBe(true);
    expect(server.sentExpectations.slice(-2)).toEqual([0n, 0n]);
  });

  it("given an 'any' append holding the id of the stream's last event, but not as the same append sent again, then DuplicateEventIdError", async () => {
    const streamId = stream();
    const [stored] = someEvents(1);
    await store.appendToStream(streamId, [...someEvents(1), stored]);

    const notTheSame = await store.appendToStream(streamId, [...someEvents(1), stored]).catch((e: unknown) => e);
    const tooLong = await store.appendToStream(streamId, [...someEvents(2), stored]).catch((e: unknown) => e);
    const notLast = await store.appendToStream(streamId, [stored, ...someEvents(1)]).catch((e: unknown) => e);

    for (const error of [notTheSame, tooLong, notLast]) {
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect(error).toMatchObject({ eventId: stored.id, storedAt: { streamId, revision: 1n } });
    }
    expect(await store.readStream(streamId)).toHaveLength(2);
    expect(server.sentExpectations).toEqual(['no_stream', 'no_stream']);
  });

  it('replaces prevHash and hash sent by the caller', async () => {
    const streamId = stream();
    const [event] = someEvents(1);
    await store.appendToStream(streamId, [{ ...event, metadata: { ...event.metadata, prevHash: 'f'.repeat(64), hash: 'forged' } }]);

    const [read] = await store.readStream(streamId);
    expect(read.metadata).toEqual({ ...event.metadata, prevHash: GENESIS_HASH, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(verifyChain([read]).ok).toBe(true);
  });

  it('treats an append refused without throwing (throwOnAppendFailure=false) as the thrown refusal', async () => {
    server.throwOnAppendFailure = false;
    const streamId = stream();
    await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
    await expect(store.appendToStream(streamId, someEvents(1), { expectedRevision: 0n })).rejects.toMatchObject({
      expectedRevision: 0n,
      actualRevision: 1n,
    });
    server.beforeAppend = (name) => server.writeBehindTheAdaptersBack(name);
    await expect(store.appendToStream(streamId, someEvents(1))).rejects.toBeInstanceOf(StreamRevisionConflictError);
  });
});
