/**
 * The one contract every EventStore adapter passes. It runs against an embedded SQLite file and, when a server
 * is configured, against EventStoreDB, so it only relies on what both promise:
 * - every test writes to fresh `card-<uuid>` streams and ignores other streams' events in $all, so the suite
 *   also runs on a shared server that other tests write to at the same time;
 * - subscriptions start from a position returned by an append made just before (positions are exclusive).
 */
import { randomUUID } from 'node:crypto';
import { StreamRevisionConflictError } from '../errors';
import type {
  AllSubscription,
  AppendResult,
  EventStore,
  EventToAppend,
  JsonObject,
  Position,
  ReadAllFrom,
  RecordedEvent,
} from '../event-store.port';
import { GENESIS_HASH, verifyChain } from '../integrity/hash-chain';
import { comparePositions } from '../position';

const WAIT_MS = 10_000;

export function newStreamId(): string {
  return `card-${randomUUID()}`;
}

export function anEvent(type = 'CardIssued', data: JsonObject = {}): EventToAppend {
  return {
    id: randomUUID(),
    type,
    data: { ...data },
    metadata: { schemaVersion: 1, correlationId: randomUUID(), actor: { id: 'contract-test', role: 'system' } },
  };
}

export function someEvents(count: number, type = 'CardNoted'): EventToAppend[] {
  return Array.from({ length: count }, (_, index) => anEvent(type, { n: index }));
}

/** Catches the rejection of `work` so its fields can be asserted on. */
async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function expectIncreasing(positions: readonly Position[]): void {
  for (let i = 1; i < positions.length; i += 1) {
    expect(comparePositions(positions[i - 1], positions[i])).toBeLessThan(0);
  }
}

/** Consumes a subscription in the background, keeping the events that pass `keep`. */
class Collector {
  readonly received: RecordedEvent[] = [];
  /** Position of the last event delivered by the subscription, of any stream: the checkpoint a projector stores. */
  lastDelivered: Position | undefined;
  readonly finished: Promise<void>;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(
    readonly subscription: AllSubscription,
    private readonly keep: (event: RecordedEvent) => boolean,
    /** Stop iterating (break) after this many kept events, as a process that stops would. */
    stopAfter = Number.POSITIVE_INFINITY,
  ) {
    this.finished = (async () => {
      for await (const event of subscription) {
        this.lastDelivered = event.position;
        if (!this.keep(event)) continue;
        this.received.push(event);
        this.waiters = this.waiters.filter((waiter) => {
          if (this.received.length < waiter.count) return true;
          waiter.resolve();
          return false;
        });
        if (this.received.length >= stopAfter) break;
      }
    })();
    // Surface a failed loop to whoever waits, instead of timing out.
    this.finished.catch(() => undefined);
  }

  async waitFor(count: number): Promise<RecordedEvent[]> {
    if (this.received.length < count) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push({ count, resolve })),
        this.finished.then(() => {
          throw new Error(`subscription ended after ${this.received.length} of ${count} events`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out with ${this.received.length} of ${count} events`)),
            WAIT_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    }
    return this.received.slice(0, count);
  }
}

function waitUntil(description: string, promise: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${description}`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function describeEventStoreContract(name: string, makeStore: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    const openSubscriptions: AllSubscription[] = [];

    beforeAll(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await Promise.all(openSubscriptions.splice(0).map((subscription) => subscription.close()));
    });

    afterAll(async () => {
      await store?.close();
    });

    function subscribe(from: ReadAllFrom, onCaughtUp?: () => void): AllSubscription {
      const subscription = store.subscribeToAll({ from, onCaughtUp });
      openSubscriptions.push(subscription);
      return subscription;
    }

    /** A position to start from: the position of an append to a stream of its own, made just now. */
    async function markPosition(): Promise<Position> {
      return (await store.appendToStream(newStreamId(), [anEvent('MarkerWritten')], { expectedRevision: 'no_stream' }))
        .position;
    }

    describe('append and read a stream', () => {
      it('appends to a new stream with no_stream and reads the events back in order with revisions 0..n-1', async () => {
        const streamId = newStreamId();
        const events = [
          anEvent('CardIssued', { product: 'debit', limits: { daily: '5000.00' }, tags: ['a', 'b'], label: 'carte bleue 卡' }),
          anEvent('IdentityVerified', { method: 'document' }),
          anEvent('CardLinked', { accountId: randomUUID() }),
        ];
        const before = Date.now();

        const result = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        const read = await store.readStream(streamId);

        expect(result.nextExpectedRevision).toBe(2n);
        expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(read.map((e) => e.type)).toEqual(['CardIssued', 'IdentityVerified', 'CardLinked']);
        expect(read.every((e) => e.streamId === streamId)).toBe(true);
        expect(read.map((e) => e.data)).toEqual(events.map((e) => e.data));
        // The caller's metadata exactly, plus the chain the store adds (checked in 'hash chains' below).
        expect(read.map((e) => e.metadata)).toEqual(
          events.map((e, index) => ({
            ...e.metadata,
            prevHash: index === 0 ? GENESIS_HASH : read[index - 1].metadata.hash,
            hash: expect.stringMatching(/^[0-9a-f]{64}$/),
          })),
        );
        expectIncreasing(read.map((e) => e.position));
        expect(result.position).toEqual(read[2].position);
        for (const event of read) {
          expect(event.recordedAt).toBeInstanceOf(Date);
          // Generous: the server's clock is not ours.
          expect(Math.abs(event.recordedAt.getTime() - before)).toBeLessThan(5 * 60_000);
        }
      });

      it('appends with the exact revision of the last event', async () => {
        const streamId = newStreamId();
        const first = await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
        const second = await store.appendToStream(streamId, someEvents(1), { expectedRevision: first.nextExpectedRevision });

        expect(first.nextExpectedRevision).toBe(1n);
        expect(second.nextExpectedRevision).toBe(2n);
        expect(comparePositions(first.position, second.position)).toBeLessThan(0);
        expect((await store.readStream(streamId)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      });

      it('rejects a stale revision with StreamRevisionConflictError and writes nothing', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });

        const error = await rejectionOf(store.appendToStream(streamId, someEvents(1), { expectedRevision: 0n }));

        expect(error).toBeInstanceOf(StreamRevisionConflictError);
        expect(error).toMatchObject({ code: 'STREAM_REVISION_CONFLICT', streamId, expectedRevision: 0n, actualRevision: 1n });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('rejects no_stream on an existing stream, reporting its revision', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, someEvents(3), { expectedRevision: 'no_stream' });

        const error = await rejectionOf(store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' }));

        expect(error).toBeInstanceOf(StreamRevisionConflictError);
        expect(error).toMatchObject({ streamId, expectedRevision: 'no_stream', actualRevision: 2n });
      });

      it("rejects stream_exists on a missing stream with actual 'no_stream', and accepts it on an existing one", async () => {
        const streamId = newStreamId();

        const error = await rejectionOf(store.appendToStream(streamId, someEvents(1), { expectedRevision: 'stream_exists' }));

        expect(error).toBeInstanceOf(StreamRevisionConflictError);
        expect(error).toMatchObject({ streamId, expectedRevision: 'stream_exists', actualRevision: 'no_stream' });
        expect(await store.readStream(streamId)).toEqual([]);

        await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });
        const result = await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(1n);
      });

      it("rejects an exact revision on a missing stream with actual 'no_stream'", async () => {
        const streamId = newStreamId();
        const error = await rejectionOf(store.appendToStream(streamId, someEvents(1), { expectedRevision: 0n }));
        expect(error).toBeInstanceOf(StreamRevisionConflictError);
        expect(error).toMatchObject({ expectedRevision: 0n, actualRevision: 'no_stream' });
      });

      it("appends with 'any' (the default) whatever the stream's state", async () => {
        const streamId = newStreamId();
        const first = await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'any' });
        const second = await store.appendToStream(streamId, someEvents(2));
        expect(first.nextExpectedRevision).toBe(1n);
        expect(second.nextExpectedRevision).toBe(3n);
        expect(await store.readStream(streamId)).toHaveLength(4);
      });

      it('reads a missing stream as []', async () => {
        const streamId = newStreamId();
        expect(await store.readStream(streamId)).toEqual([]);
        expect(await store.readStream(streamId, { fromRevision: 5n, toRevision: 9n })).toEqual([]);
      });

      it('answers an empty append with the stream as it is, checking the expectation and writing nothing', async () => {
        const streamId = newStreamId();

        const onMissing = await store.appendToStream(streamId, [], { expectedRevision: 'no_stream' });
        expect(onMissing).toEqual({ nextExpectedRevision: -1n, position: { commit: 0n, prepare: 0n } });
        expect(await store.readStream(streamId)).toEqual([]);

        const appended = await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
        expect(await store.appendToStream(streamId, [], { expectedRevision: 1n })).toEqual(appended);
        expect(await store.appendToStream(streamId, [])).toEqual(appended);
        await expect(store.appendToStream(streamId, [], { expectedRevision: 0n })).rejects.toBeInstanceOf(
          StreamRevisionConflictError,
        );
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('idempotent retries', () => {
      it('returns the original result for the exact same call (no_stream) and writes nothing', async () => {
        const streamId = newStreamId();
        const from = await markPosition();
        const events = someEvents(3);

        const first = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        const retry = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });

        expect(retry).toEqual(first);
        expect(await store.readStream(streamId)).toHaveLength(3);
        const inLog = (await store.readAll({ from, maxCount: 1000 })).filter((e) => e.streamId === streamId);
        expect(inLog.map((e) => e.id)).toEqual(events.map((e) => e.id));
      });

      it('returns the original result for the exact same call with a revision and writes nothing', async () => {
        const streamId = newStreamId();
        const start = await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });
        const events = someEvents(2);

        const first = await store.appendToStream(streamId, events, { expectedRevision: start.nextExpectedRevision });
        const retry = await store.appendToStream(streamId, events, { expectedRevision: start.nextExpectedRevision });

        expect(first.nextExpectedRevision).toBe(2n);
        expect(retry).toEqual(first);
        const read = await store.readStream(streamId);
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(read.slice(1).map((e) => e.id)).toEqual(events.map((e) => e.id));
      });
    });

    describe('hash chains', () => {
      /** The stream as stored, after checking that its chain verifies from the genesis value. */
      async function verifiedStream(streamId: string): Promise<RecordedEvent[]> {
        const read = await store.readStream(streamId);
        expect(verifyChain(read)).toMatchObject({ ok: true, eventsChecked: read.length });
        expect(read[0]?.metadata.prevHash).toBe(GENESIS_HASH);
        return read;
      }

      it('chains a single-event append and a multi-event append to new streams from the genesis value', async () => {
        const single = newStreamId();
        const multi = newStreamId();
        const events = someEvents(4);

        await store.appendToStream(single, someEvents(1), { expectedRevision: 'no_stream' });
        await store.appendToStream(multi, events, { expectedRevision: 'no_stream' });

        const [only] = await verifiedStream(single);
        expect(only.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
        const read = await verifiedStream(multi);
        for (let i = 1; i < read.length; i += 1) expect(read[i].metadata.prevHash).toBe(read[i - 1].metadata.hash);
        expect(read.map((e) => e.metadata.correlationId)).toEqual(events.map((e) => e.metadata.correlationId));
      });

      it("continues one stream's chain across appends with exact revisions, 'stream_exists' and 'any'", async () => {
        const streamId = newStreamId();
        const first = await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'no_stream' });
        const second = await store.appendToStream(streamId, someEvents(1), { expectedRevision: first.nextExpectedRevision });
        await store.appendToStream(streamId, someEvents(3), { expectedRevision: 'any' });
        await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'stream_exists' });
        const last = await store.appendToStream(streamId, someEvents(2));

        const read = await verifiedStream(streamId);

        expect(read).toHaveLength(9);
        expect(last.nextExpectedRevision).toBe(8n);
        // Each append starts from the hash of the event before it.
        expect(read[2].metadata.prevHash).toBe(read[1].metadata.hash);
        expect(read[3].metadata.prevHash).toBe(read[Number(second.nextExpectedRevision)].metadata.hash);
      });

      it("begins an 'any' append to a missing stream at the genesis value", async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, someEvents(2), { expectedRevision: 'any' });
        expect(await verifiedStream(streamId)).toHaveLength(2);
      });

      it('replaces prevHash and hash sent by the caller: the store owns them', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });
        const forged: EventToAppend[] = someEvents(2).map((e) => ({
          ...e,
          metadata: { ...e.metadata, prevHash: 'f'.repeat(64), hash: 'a'.repeat(64) },
        }));
        await store.appendToStream(streamId, forged, { expectedRevision: 0n });
        const fresh = newStreamId();
        await store.appendToStream(fresh, [{ ...forged[0], id: randomUUID() }], { expectedRevision: 'no_stream' });

        const read = await verifiedStream(streamId);
        expect(read[1].metadata.prevHash).toBe(read[0].metadata.hash);
        expect(read.slice(1).map((e) => e.metadata.hash)).not.toContain('a'.repeat(64));
        expect(read[1].metadata.correlationId).toBe(forged[0].metadata.correlationId);
        expect((await verifiedStream(fresh))[0].metadata.prevHash).toBe(GENESIS_HASH);
      });

      it("keeps one unbroken chain when several appends with 'any' race on one stream", async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });
        const batches = Array.from({ length: 6 }, () => someEvents(2, 'Racing'));

        const results = await Promise.all(batches.map((events) => store.appendToStream(streamId, events, { expectedRevision: 'any' })));

        const read = await verifiedStream(streamId);
        expect(read).toHaveLength(13);
        // Each append landed whole, in one place, and reported where.
        batches.forEach((events, index) => {
          const at = read.findIndex((e) => e.id === events[0].id);
          expect(read.slice(at, at + 2).map((e) => e.id)).toEqual(events.map((e) => e.id));
          expect(results[index].nextExpectedRevision).toBe(BigInt(at + 1));
        });
      });

      it('answers an idempotent retry with the original result and leaves the chain as it was', async () => {
        const streamId = newStreamId();
        const events = someEvents(2);
        const first = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        const more = someEvents(2);
        const second = await store.appendToStream(streamId, more, { expectedRevision: first.nextExpectedRevision });
        const stored = await verifiedStream(streamId);

        expect(await store.appendToStream(streamId, more, { expectedRevision: first.nextExpectedRevision })).toEqual(second);
        expect(await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' })).toEqual(first);

        expect(await verifiedStream(streamId)).toEqual(stored);
        await store.appendToStream(streamId, someEvents(1), { expectedRevision: second.nextExpectedRevision });
        const extended = await verifiedStream(streamId);
        expect(extended).toHaveLength(5);
        expect(extended[4].metadata.prevHash).toBe(stored[3].metadata.hash);
      });
    });

    describe('large streams', () => {
      const total = 2_500;
      const batch = 250;
      let streamId: string;
      let appended: EventToAppend[];

      beforeAll(async () => {
        streamId = newStreamId();
        appended = someEvents(total, 'CardUsed');
        let expectedRevision: bigint | 'no_stream' = 'no_stream';
        for (let offset = 0; offset < total; offset += batch) {
          const result: AppendResult = await store.appendToStream(streamId, appended.slice(offset, offset + batch), {
            expectedRevision,
          });
          expectedRevision = result.nextExpectedRevision;
        }
      });

      it('reads every event back, complete, in order and chained', async () => {
        const read = await store.readStream(streamId);
        expect(read).toHaveLength(total);
        expect(verifyChain(read)).toMatchObject({ ok: true, eventsChecked: total });
        expect(read.map((e) => e.id)).toEqual(appended.map((e) => e.id));
        expect(read.every((e, index) => e.revision === BigInt(index))).toBe(true);
        expectIncreasing(read.map((e) => e.position));
      });

      it('reads windows with fromRevision and toRevision (both inclusive)', async () => {
        const tail = await store.readStream(streamId, { fromRevision: 1_000n });
        expect(tail).toHaveLength(1_500);
        expect(tail[0].revision).toBe(1_000n);
        expect(tail[1_499].revision).toBe(2_499n);

        const middle = await store.readStream(streamId, { fromRevision: 100n, toRevision: 199n });
        expect(middle.map((e) => e.revision)).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(100 + i)));
        expect(middle.map((e) => e.id)).toEqual(appended.slice(100, 200).map((e) => e.id));

        const head = await store.readStream(streamId, { toRevision: 9n });
        expect(head.map((e) => e.revision)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));

        expect((await store.readStream(streamId, { fromRevision: 2_499n })).map((e) => e.revision)).toEqual([2_499n]);
        expect(await store.readStream(streamId, { fromRevision: 2_500n })).toEqual([]);
        expect(await store.readStream(streamId, { fromRevision: 5n, toRevision: 4n })).toEqual([]);
      });
    });

    describe('reading $all', () => {
      it('pages with an exclusive `from`, returning each event exactly once and in position order', async () => {
        const from = await markPosition();
        const streams = [newStreamId(), newStreamId(), newStreamId()];
        const ours = new Set(streams);
        const expectedIds: string[] = [];
        const revisions = new Map<string, bigint | 'no_stream'>(streams.map((s) => [s, 'no_stream']));
        for (let round = 0; round < 4; round += 1) {
          for (const streamId of streams) {
            const events = someEvents(round + 1);
            const result = await store.appendToStream(streamId, events, { expectedRevision: revisions.get(streamId) });
            revisions.set(streamId, result.nextExpectedRevision);
            expectedIds.push(...events.map((e) => e.id));
          }
        }

        const pages: RecordedEvent[][] = [];
        let cursor: ReadAllFrom = from;
        const seenOfOurs: RecordedEvent[] = [];
        while (seenOfOurs.length < expectedIds.length) {
          const page = await store.readAll({ from: cursor, maxCount: 4 });
          expect(page.length).toBeLessThanOrEqual(4);
          if (page.length === 0) break;
          pages.push(page);
          seenOfOurs.push(...page.filter((e) => ours.has(e.streamId)));
          cursor = page[page.length - 1].position;
        }

        const all = pages.flat();
        expectIncreasing(all.map((e) => e.position));
        expect(comparePositions(all[0].position, from)).toBeGreaterThan(0);
        expect(seenOfOurs.map((e) => e.id)).toEqual(expectedIds);
        expect(all.every((e) => !e.type.startsWith('$'))).toBe(true);
      });

      it('starts strictly after the given position', async () => {
        const streamId = newStreamId();
        const from = await markPosition();
        await store.appendToStream(streamId, someEvents(3), { expectedRevision: 'no_stream' });
        // Positions for reading $all come from $all itself (stream reads need not carry them on older servers).
        const [first, second] = (await store.readAll({ from, maxCount: 1000 })).filter((e) => e.streamId === streamId);

        const afterFirst = (await store.readAll({ from: first.position, maxCount: 1000 })).filter((e) => e.streamId === streamId);

        expect(afterFirst.map((e) => e.revision)).toEqual([1n, 2n]);
        expect(afterFirst[0].id).toBe(second.id);
        expect((await store.readAll({ maxCount: 3 })).length).toBeLessThanOrEqual(3);
      });

      it('reports the position of the newest event as the head', async () => {
        const result = await store.appendToStream(newStreamId(), someEvents(2), { expectedRevision: 'no_stream' });
        const head = await store.headPosition();
        // Another writer on a shared server may have appended since: then the head is its newest event.
        const later = await store.readAll({ from: result.position, maxCount: 1000 });
        expect(head).toEqual(later.length === 0 ? result.position : later[later.length - 1].position);
      });
    });

    describe('subscribing to $all', () => {
      it('delivers the events after `from` in order, calls onCaughtUp, then delivers new events live', async () => {
        const streamId = newStreamId();
        const { position: from } = await store.appendToStream(streamId, someEvents(2, 'Before'), {
          expectedRevision: 'no_stream',
        });
        const backlog = someEvents(3, 'Backlog');
        const afterBacklog = await store.appendToStream(streamId, backlog, { expectedRevision: 1n });

        let deliveredWhenCaughtUp = -1;
        let caughtUpCalls = 0;
        let reportCaughtUp!: () => void;
        const caughtUp = new Promise<void>((resolve) => (reportCaughtUp = resolve));
        const collector = new Collector(
          subscribe(from, () => {
            caughtUpCalls += 1;
            deliveredWhenCaughtUp = collector.received.length;
            reportCaughtUp();
          }),
          (e) => e.streamId === streamId,
        );

        await waitUntil('onCaughtUp', caughtUp);
        expect(deliveredWhenCaughtUp).toBe(3);
        const live = someEvents(2, 'Live');
        await store.appendToStream(streamId, live, { expectedRevision: afterBacklog.nextExpectedRevision });
        const received = await collector.waitFor(5);

        expect(received.map((e) => e.id)).toEqual([...backlog, ...live].map((e) => e.id));
        expect(received.map((e) => e.revision)).toEqual([2n, 3n, 4n, 5n, 6n]);
        expectIncreasing(received.map((e) => e.position));
        expect(caughtUpCalls).toBe(1);
      });

      it('resumes exactly after the last processed position when re-opened (no loss, no duplicate)', async () => {
        const streamId = newStreamId();
        const from = await markPosition();
        const firstBatch = someEvents(5, 'BeforeRestart');
        const appended = await store.appendToStream(streamId, firstBatch, { expectedRevision: 'no_stream' });

        // The first "process" handles two events, stores its checkpoint and stops.
        const beforeRestart = new Collector(subscribe(from), (e) => e.streamId === streamId, 2);
        await beforeRestart.waitFor(2);
        await waitUntil('the first subscription to stop', beforeRestart.finished);
        await beforeRestart.subscription.close();
        const checkpoint = beforeRestart.lastDelivered;
        expect(checkpoint).toEqual(beforeRestart.received[1].position);

        const secondBatch = someEvents(2, 'WhileDown');
        await store.appendToStream(streamId, secondBatch, { expectedRevision: appended.nextExpectedRevision });

        const afterRestart = new Collector(subscribe(checkpoint!), (e) => e.streamId === streamId);
        const rest = await afterRestart.waitFor(5);

        const all = [...beforeRestart.received, ...rest];
        expect(all.map((e) => e.id)).toEqual([...firstBatch, ...secondBatch].map((e) => e.id));
        expect(all.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
        // Nothing more (a duplicate would show up as an eighth event).
        const onePastEnd = await store.appendToStream(streamId, someEvents(1, 'Final'), { expectedRevision: 6n });
        const withFinal = await afterRestart.waitFor(6);
        expect(withFinal[5].position).toEqual(onePastEnd.position);
        expect(afterRestart.received).toHaveLength(6);
      });

      it('ends the iteration promptly when closed while waiting for new events', async () => {
        const from = await markPosition();
        let reportCaughtUp!: () => void;
        const caughtUp = new Promise<void>((resolve) => (reportCaughtUp = resolve));
        const subscription = subscribe(from, () => reportCaughtUp());
        const iterator = subscription[Symbol.asyncIterator]();
        const pending = iterator.next();
        await waitUntil('onCaughtUp', caughtUp);

        const closedAt = Date.now();
        await subscription.close();
        const step = await Promise.race([
          pending,
          new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 2_000).unref()),
        ]);

        expect(step).toEqual({ done: true, value: undefined });
        expect(Date.now() - closedAt).toBeLessThan(2_000);
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of 20 concurrent appends with the same expected revision through', async () => {
        const streamId = newStreamId();
        const start = await store.appendToStream(streamId, someEvents(1), { expectedRevision: 'no_stream' });

        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, () =>
            store.appendToStream(streamId, someEvents(2, 'Racing'), { expectedRevision: start.nextExpectedRevision }),
          ),
        );

        const succeeded = outcomes.filter((o) => o.status === 'fulfilled');
        const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(succeeded).toHaveLength(1);
        expect(failed).toHaveLength(19);
        for (const failure of failed) {
          expect(failure.reason).toBeInstanceOf(StreamRevisionConflictError);
          expect(failure.reason).toMatchObject({ expectedRevision: 0n, actualRevision: 2n });
        }
        expect(await store.readStream(streamId)).toHaveLength(3);
      });
    });
  });
}
