import { randomUUID } from 'node:crypto';
import {
  SqliteEventStore,
  type AllSubscription,
  type EventStore,
  type Position,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '@cards/event-store';
import { eventWeight, SharedLog } from './shared-log';

jest.setTimeout(30_000);

/** Appends `count` events, 10 per stream, and returns the store's view of the whole log. */
async function append(store: EventStore, count: number): Promise<void> {
  for (let written = 0; written < count; written += 10) {
    const events = Array.from({ length: Math.min(10, count - written) }, (_, i) => ({
      id: randomUUID(),
      type: 'Tick',
      data: { n: written + i, nested: { list: [written + i] } },
      metadata: {},
    }));
    await store.appendToStream(`tick-${randomUUID()}`, events, { expectedRevision: 'no_stream' });
  }
}

/** Appends `count` heavy events (100 objects in each, as an import holds its numbers), one stream. */
async function appendHeavy(store: EventStore, count: number): Promise<void> {
  const events = Array.from({ length: count }, (_, n) => ({
    id: randomUUID(),
    type: 'Heavy',
    data: { n, items: Array.from({ length: 100 }, (_, i) => ({ i })) },
    metadata: {},
  }));
  await store.appendToStream(`heavy-${randomUUID()}`, events, { expectedRevision: 'no_stream' });
}

const settle = () => new Promise((r) => setTimeout(r, 20));

async function wholeLog(store: EventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (let page = await store.readAll({ maxCount: 1000 }); page.length > 0; page = await store.readAll({ from: page[page.length - 1].position, maxCount: 1000 })) {
    all.push(...page);
  }
  return all;
}

const ids = (events: readonly RecordedEvent[]) => events.map((e) => e.id);

/** Takes events off a subscription into `into` until `until` holds; returns the iterator to go on with. */
function consumer(subscription: AllSubscription) {
  const received: RecordedEvent[] = [];
  const iterator = subscription[Symbol.asyncIterator]();
  return {
    received,
    async take(count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const next = await iterator.next();
        if (next.done) throw new Error('the subscription ended');
        received.push(next.value);
      }
    },
    /** Takes until `n` events have been received in all. */
    async takeUntil(n: number): Promise<void> {
      await this.take(n - received.length);
    },
    next: () => iterator.next(),
  };
}

/**
 * Counts the store's own subscriptions and the events they have handed out (`pulled`), and can make the next one
 * fail after some events.
 */
function countingStore(store: EventStore) {
  const counted = { subscriptions: 0, pulled: 0, failAfter: null as number | null };
  const wrapped: Pick<EventStore, 'subscribeToAll'> = {
    subscribeToAll(options?: SubscribeToAllOptions): AllSubscription {
      counted.subscriptions++;
      const inner = store.subscribeToAll(options);
      const failAfter = counted.failAfter;
      counted.failAfter = null;
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          let n = 0;
          for await (const event of inner) {
            if (n++ === failAfter) throw new Error('the log could not be read');
            counted.pulled++;
            yield event;
          }
        },
      };
    },
  };
  return { counted, wrapped };
}

describe('SharedLog: one reader of the log for many subscribers', () => {
  let store: SqliteEventStore;

  beforeEach(() => {
    store = SqliteEventStore.open(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  it('gives each subscriber exactly the events after its own position, in order, and merges their readers', async () => {
    await append(store, 3000);
    const log = await wholeLog(store);
    const { counted, wrapped } = countingStore(store);
    const shared = new SharedLog(wrapped);
    const at = (index: number): Position => log[index - 1].position; // after the index-th event

    const fromStart = consumer(shared.subscribeToAll());
    const from1000 = consumer(shared.subscribeToAll({ from: at(1000) }));
    const from2500 = consumer(shared.subscribeToAll({ from: at(2500) }));
    await Promise.all([fromStart.takeUntil(3000), from1000.takeUntil(2000), from2500.takeUntil(500)]);

    expect(ids(fromStart.received)).toEqual(ids(log));
    expect(ids(from1000.received)).toEqual(ids(log.slice(1000)));
    expect(ids(from2500.received)).toEqual(ids(log.slice(2500)));

    // Live: the next events reach all three, once, as the same (frozen) objects from a single reader.
    await append(store, 20);
    await Promise.all([fromStart.take(20), from1000.take(20), from2500.take(20)]);
    const live = (await wholeLog(store)).slice(3000);
    for (const c of [fromStart, from1000, from2500]) expect(ids(c.received.slice(-20))).toEqual(ids(live));
    expect(from1000.received.at(-1)).toBe(fromStart.received.at(-1));
    expect(from2500.received.at(-1)).toBe(fromStart.received.at(-1));
    expect(Object.isFrozen(fromStart.received.at(-1)!.data)).toBe(true);
    expect(Object.isFrozen((fromStart.received.at(-1)!.data.nested as { list: number[] }).list)).toBe(true);
    expect(shared.readerCount).toBe(1);
    expect(counted.subscriptions).toBe(3);
  });

  it('lets a subscriber starting a little behind a reader join it, with what it passed replayed', async () => {
    await append(store, 1500);
    const log = await wholeLog(store);
    const { counted, wrapped } = countingStore(store);
    const shared = new SharedLog(wrapped, { replaySize: 1000 });
    const first = consumer(shared.subscribeToAll());
    await first.takeUntil(1200);

    // A projection retrying from its checkpoint, 700 events behind the reader.
    const late = consumer(shared.subscribeToAll({ from: log[499].position }));
    await Promise.all([first.takeUntil(1500), late.takeUntil(1000)]);
    expect(ids(late.received)).toEqual(ids(log.slice(500)));
    expect(counted.subscriptions).toBe(1);
    expect(shared.readerCount).toBe(1);
  });

  it('a subscriber that closes, or stops taking events, does not stop the others; the slow one still gets every event once', async () => {
    await append(store, 600);
    const log = await wholeLog(store);
    const shared = new SharedLog(store, { inboxSize: 10, detachAfterMs: 50 });
    const fast = consumer(shared.subscribeToAll());
    const stuck = consumer(shared.subscribeToAll());
    const leaving = shared.subscribeToAll();
    const closing = consumer(leaving);
    await closing.take(5);
    await leaving.close(); // goes away after 5 events
    expect((await closing.next()).done).toBe(true);

    await stuck.take(3);
    // `stuck` takes nothing more for a while: `fast` still reaches the head.
    await fast.takeUntil(600);
    expect(ids(fast.received)).toEqual(ids(log));

    await stuck.takeUntil(600);
    expect(ids(stuck.received)).toEqual(ids(log));

    // Once both are at the head, new events reach both (from one reader again after the next event, or two).
    await append(store, 10);
    await Promise.all([fast.take(10), stuck.take(10)]);
    expect(ids(stuck.received.slice(600))).toEqual(ids(fast.received.slice(600)));
    expect(shared.readerCount).toBeLessThanOrEqual(2);
  });

  it('a failed read ends the subscriptions of that reader with the error; subscribing again goes on from there', async () => {
    await append(store, 300);
    const log = await wholeLog(store);
    const { counted, wrapped } = countingStore(store);
    counted.failAfter = 120;
    const shared = new SharedLog(wrapped);
    const a = consumer(shared.subscribeToAll());
    const b = consumer(shared.subscribeToAll());
    await expect(a.takeUntil(300)).rejects.toThrow('the log could not be read');
    await expect(b.takeUntil(300)).rejects.toThrow('the log could not be read');
    expect(ids(a.received)).toEqual(ids(log.slice(0, 120)));
    expect(ids(b.received)).toEqual(ids(log.slice(0, 120)));
    expect(shared.readerCount).toBe(0);

    const again = consumer(shared.subscribeToAll({ from: log[119].position }));
    await again.takeUntil(180);
    expect(ids(again.received)).toEqual(ids(log.slice(120)));
  });

  it('weighs each event by the objects and arrays in it', async () => {
    await appendHeavy(store, 1);
    await append(store, 1);
    const [heavy, light] = await wholeLog(store);
    // The event, its position, data, the list and its 100 items, metadata, recordedAt.
    expect(eventWeight(heavy)).toBe(106);
    // The event, its position, data, `nested` and its list, metadata, recordedAt.
    expect(eventWeight(light)).toBe(7);
  });

  it("stops reading for a subscriber whose waiting events weigh inboxWeight, however few they are, and reads on as it takes them", async () => {
    await appendHeavy(store, 60);
    const { counted, wrapped } = countingStore(store);
    const shared = new SharedLog(wrapped, { inboxSize: 1000, inboxWeight: 1000 });
    const slow = consumer(shared.subscribeToAll());
    await slow.take(1);
    await settle();
    // One handed to the waiting iterator, then ten of 106 wait (1,060 ≥ 1,000): the reader waits for room.
    expect(counted.pulled).toBe(11);
    await slow.take(5);
    await settle();
    expect(counted.pulled).toBe(16);
    await slow.takeUntil(60);
    expect(slow.received.map((e) => e.data.n)).toEqual(Array.from({ length: 60 }, (_, n) => n));
  });

  it('keeps for late subscribers only what replayWeight allows: one further behind gets a reader of its own', async () => {
    await appendHeavy(store, 40);
    const { counted, wrapped } = countingStore(store);
    const shared = new SharedLog(wrapped, { replaySize: 1000, replayWeight: 500 });
    const first = consumer(shared.subscribeToAll());
    await first.take(40);
    // Kept: between 500 and 1,000 of weight, i.e. the last 4 to 9 events. From the 36th (4 behind) it joins the reader.
    const near = consumer(shared.subscribeToAll({ from: first.received[35].position }));
    await near.take(4);
    expect(counted.subscriptions).toBe(1);
    // From the 20th it cannot: the events after it are no longer kept, and it reads the log on its own.
    const far = consumer(shared.subscribeToAll({ from: first.received[19].position }));
    await far.take(20);
    expect(counted.subscriptions).toBe(2);
    expect(ids(far.received)).toEqual(ids(first.received.slice(20)));
  });

  it('hands out, and keeps the newest of, events heavier than twice the bounds', async () => {
    await appendHeavy(store, 3);
    const shared = new SharedLog(store, { inboxWeight: 10, replayWeight: 10 });
    const first = consumer(shared.subscribeToAll());
    await first.take(3);
    // Only the newest (106) is kept: a subscriber from the second joins the reader, one from the first cannot.
    const near = consumer(shared.subscribeToAll({ from: first.received[1].position }));
    await near.take(1);
    expect(ids(near.received)).toEqual(ids(first.received.slice(2)));
    expect(shared.readerCount).toBe(1);
  });

  it('reports catching up to each subscriber, also to one that joins a reader already at the head', async () => {
    await append(store, 50);
    const shared = new SharedLog(store);
    let firstCaughtUp = false;
    const first = consumer(shared.subscribeToAll({ onCaughtUp: () => (firstCaughtUp = true) }));
    await first.take(50);
    for (let i = 0; i < 100 && !firstCaughtUp; i++) await new Promise((r) => setTimeout(r, 5));
    expect(firstCaughtUp).toBe(true);

    let secondCaughtUp = false;
    const second = consumer(shared.subscribeToAll({ from: first.received[39].position, onCaughtUp: () => (secondCaughtUp = true) }));
    await second.take(10);
    await new Promise((r) => setTimeout(r, 0));
    expect(secondCaughtUp).toBe(true);
    expect(shared.readerCount).toBe(1);
  });
});
