import { randomUUID } from 'node:crypto';
import { EventStoreUnavailableError } from '@cards/event-store';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { describeEventStoreContract } from '@cards/event-store/testing/event-store.contract';

jest.setTimeout(30_000);

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

if (connectionString) {
  describeEventStoreContract('eventstoredb', async () => {
    const store = EventStoreDbEventStore.connect(connectionString);
    await store.ping();
    return store;
  });

  describe('EventStoreDbEventStore against a server', () => {
    it('answers ping()', async () => {
      const store = EventStoreDbEventStore.connect(connectionString);
      try {
        await expect(store.ping()).resolves.toBeUndefined();
      } finally {
        await store.close();
      }
    });
  });
} else {
  console.warn('EventStoreDB contract suite skipped: set EVENTSTORE_CONNECTION_STRING (README.md, "Running on EventStoreDB and MongoDB")');
  describe.skip('EventStore contract: eventstoredb (set EVENTSTORE_CONNECTION_STRING)', () => {
    it('runs the shared contract against a real server', () => undefined);
  });
}

// Needs no server: nothing listens on this port, so every call must fail as "unavailable", quickly.
describe('EventStoreDbEventStore without a reachable server', () => {
  const unreachable = 'esdb://127.0.0.1:1?tls=false';
  let store: EventStoreDbEventStore;

  beforeAll(() => {
    store = EventStoreDbEventStore.connect(unreachable, { pingTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    await store.close();
  });

  const event = () => ({ id: randomUUID(), type: 'CardIssued', data: {}, metadata: {} });

  it.each([
    ['ping', () => store.ping()],
    ['appendToStream', () => store.appendToStream(`card-${randomUUID()}`, [event()], { expectedRevision: 'no_stream' })],
    ['readStream', () => store.readStream(`card-${randomUUID()}`)],
    ['readAll', () => store.readAll({ maxCount: 10 })],
    ['headPosition', () => store.headPosition()],
  ])('maps %s to EventStoreUnavailableError', async (_name, call) => {
    await expect(call()).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });

  it('keeps a subscription retrying until it is closed, then ends it', async () => {
    const drops: number[] = [];
    const retrying = EventStoreDbEventStore.connect(unreachable, {
      resubscribeBackoff: { initialDelayMs: 10, maxDelayMs: 40 },
      onSubscriptionDropped: (_error, retryInMs) => drops.push(retryInMs),
    });
    const subscription = retrying.subscribeToAll();
    const pending = subscription[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setTimeout(resolve, 300));

    await retrying.close();

    expect(await pending).toEqual({ done: true, value: undefined });
    expect(drops.length).toBeGreaterThanOrEqual(2);
    expect(drops.slice(0, 3)).toEqual([10, 20, 40].slice(0, Math.min(3, drops.length)));
  });
});
