import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { AllStreamResolvedEvent, AllStreamSubscription, SubscribeToAllOptions } from '@eventstore/db-client';
import type { Position, RecordedEvent } from '../event-store.port';
import { EventStoreDbAllSubscription, type EsdbSubscriptionSettings } from './eventstoredb-subscription';

/** Stands in for the client's AllStreamSubscription: a readable of resolved events with unsubscribe(). */
class FakeServerSubscription extends PassThrough {
  unsubscribed = false;
  constructor() {
    super({ objectMode: true });
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
  }
  send(...events: AllStreamResolvedEvent[]): void {
    for (const event of events) this.write(event);
  }
}

class FakeClient {
  readonly calls: SubscribeToAllOptions[] = [];
  readonly opened: FakeServerSubscription[] = [];
  private waiting: Array<(s: FakeServerSubscription) => void> = [];

  subscribeToAll(options: SubscribeToAllOptions): AllStreamSubscription {
    const subscription = new FakeServerSubscription();
    this.calls.push(options);
    this.opened.push(subscription);
    this.waiting.splice(0).forEach((resolve) => resolve(subscription));
    return subscription as unknown as AllStreamSubscription;
  }

  /** The subscription opened as the n-th (0-based), once it exists. */
  async opening(n: number): Promise<FakeServerSubscription> {
    while (this.opened.length <= n) await new Promise<FakeServerSubscription>((resolve) => this.waiting.push(resolve));
    return this.opened[n];
  }
}

function resolved(commit: bigint, type = 'CardNoted'): AllStreamResolvedEvent {
  return {
    event: {
      streamId: 'card-1',
      id: randomUUID(),
      revision: commit,
      type,
      data: { commit: commit.toString() },
      metadata: {},
      isJson: true,
      created: new Date(),
      position: { commit, prepare: commit },
    },
  } as AllStreamResolvedEvent;
}

function subscriptionOver(client: FakeClient, settings: Partial<EsdbSubscriptionSettings> = {}): EventStoreDbAllSubscription {
  return new EventStoreDbAllSubscription(client, {
    from: 'start',
    backoff: { initialDelayMs: 1, maxDelayMs: 4 },
    headAtStart: async () => undefined as unknown as Position | null,
    onClosed: () => undefined,
    ...settings,
  });
}

describe('EventStoreDbAllSubscription (against a fake client)', () => {
  it('delivers events in order without system events, filtering on the server too', async () => {
    const client = new FakeClient();
    const subscription = subscriptionOver(client);
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    (await client.opening(0)).send(resolved(10n), resolved(11n, '$metadata'), resolved(12n));

    expect(((await first).value as RecordedEvent).position).toEqual({ commit: 10n, prepare: 10n });
    expect(((await iterator.next()).value as RecordedEvent).position.commit).toBe(12n);
    expect(client.calls[0]).toMatchObject({ fromPosition: 'start', filter: { regex: '^[^$].*' } });
    await subscription.close();
  });

  it('resubscribes after a failure from the last delivered position, with backoff', async () => {
    const client = new FakeClient();
    const drops: number[] = [];
    const subscription = subscriptionOver(client, {
      from: { commit: 5n, prepare: 5n },
      onDropped: (_error, retryInMs) => drops.push(retryInMs),
    });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    const server = await client.opening(0);
    server.send(resolved(10n));
    expect(((await first).value as RecordedEvent).position.commit).toBe(10n);

    const second = iterator.next();
    server.destroy(new Error('14 UNAVAILABLE: connection reset'));
    const retried = await client.opening(1);
    retried.send(resolved(11n));

    expect(((await second).value as RecordedEvent).position.commit).toBe(11n);
    expect(client.calls.map((c) => c.fromPosition)).toEqual([
      { commit: 5n, prepare: 5n },
      { commit: 10n, prepare: 10n },
    ]);
    expect(server.unsubscribed).toBe(true);
    expect(drops).toEqual([1]);
    await subscription.close();
  });

  it("calls onCaughtUp after the events buffered before the server's caughtUp message", async () => {
    const client = new FakeClient();
    let deliveredAtCaughtUp = -1;
    const delivered: RecordedEvent[] = [];
    const subscription = subscriptionOver(client, { onCaughtUp: () => (deliveredAtCaughtUp = delivered.length) });
    const consuming = (async () => {
      for await (const event of subscription) {
        delivered.push(event);
        if (delivered.length === 3) break;
      }
    })();
    const server = await client.opening(0);
    server.send(resolved(1n), resolved(2n));
    server.emit('caughtUp');
    await new Promise((resolve) => setImmediate(resolve));
    server.send(resolved(3n));
    await consuming;

    expect(deliveredAtCaughtUp).toBe(2);
  });

  it('falls back to the head read at the start on servers without the caughtUp message', async () => {
    const client = new FakeClient();
    let deliveredAtCaughtUp = -1;
    const delivered: RecordedEvent[] = [];
    const subscription = subscriptionOver(client, {
      headAtStart: async () => ({ commit: 2n, prepare: 2n }),
      onCaughtUp: () => (deliveredAtCaughtUp = delivered.length),
    });
    const consuming = (async () => {
      for await (const event of subscription) {
        delivered.push(event);
        if (delivered.length === 3) break;
      }
    })();
    const server = await client.opening(0);
    server.send(resolved(1n), resolved(2n));
    await new Promise((resolve) => setImmediate(resolve));
    server.send(resolved(3n));
    await consuming;

    expect(deliveredAtCaughtUp).toBe(2);
  });

  it('reports caught up at once when nothing exists after `from`', async () => {
    const client = new FakeClient();
    const onCaughtUp = jest.fn();
    const subscription = subscriptionOver(client, { from: { commit: 9n, prepare: 9n }, headAtStart: async () => ({ commit: 9n, prepare: 9n }), onCaughtUp });
    const pending = subscription[Symbol.asyncIterator]().next();
    await client.opening(0);
    expect(onCaughtUp).toHaveBeenCalledTimes(1);
    await subscription.close();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('ends a pending next() when closed, and unsubscribes from the server', async () => {
    const client = new FakeClient();
    const subscription = subscriptionOver(client);
    const pending = subscription[Symbol.asyncIterator]().next();
    const server = await client.opening(0);

    await subscription.close();

    expect(await pending).toEqual({ done: true, value: undefined });
    expect(server.unsubscribed).toBe(true);
    expect(server.destroyed).toBe(true);
  });
});
