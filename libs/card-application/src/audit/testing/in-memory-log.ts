import { randomUUID } from 'node:crypto';
import {
  chainEvents,
  GENESIS_HASH,
  prevHashAfter,
  StreamRevisionConflictError,
  type AllSubscription,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type JsonObject,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
} from '@cards/event-store';

type Stored = { -readonly [K in keyof RecordedEvent]: RecordedEvent[K] };

/**
 * The global log as a plain list, for unit tests of whatever walks it: appends chain their events as the real
 * stores do, reads page through the list, and the list itself (`events`) can be tampered with directly, the way
 * an attacker with access to the database would. Positions are sequence numbers, as on SQLite. No subscriptions.
 */
export class InMemoryLog implements EventStore {
  readonly kind = 'memory';
  readonly events: Stored[] = [];
  private nextPosition = 1n;
  /** Appends wait for this, when set (to let a test act between a read and an append). */
  beforeAppend?: (streamId: string) => Promise<void> | void;

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: { expectedRevision?: ExpectedRevision } = {}): Promise<AppendResult> {
    await this.beforeAppend?.(streamId);
    const stream = this.events.filter((e) => e.streamId === streamId);
    const last = stream.length === 0 ? undefined : stream[stream.length - 1];
    const expected = options.expectedRevision ?? 'any';
    const current = last?.revision;
    const holds =
      expected === 'any' ||
      (expected === 'no_stream' && current === undefined) ||
      (expected === 'stream_exists' && current !== undefined) ||
      (typeof expected === 'bigint' && current === expected);
    if (!holds) throw new StreamRevisionConflictError(streamId, expected, current ?? 'no_stream');
    const first = current === undefined ? 0n : current + 1n;
    const chained = chainEvents(streamId, first, last ? prevHashAfter(last.metadata.hash) : GENESIS_HASH, events);
    let position = 0n;
    chained.forEach((event, index) => {
      position = this.nextPosition++;
      this.events.push({
        id: event.id,
        streamId,
        revision: first + BigInt(index),
        position: { commit: position, prepare: position },
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        recordedAt: new Date(),
      });
    });
    return { nextExpectedRevision: first + BigInt(chained.length) - 1n, position: { commit: position, prepare: position } };
  }

  /** Appends `count` events of one type to a stream, in one append. */
  async write(streamId: string, count: number, type = 'SomethingHappened'): Promise<AppendResult> {
    const events = Array.from({ length: count }, (_, i) => ({ id: randomUUID(), type, data: { n: i } as JsonObject, metadata: { schemaVersion: 1 } as JsonObject }));
    return this.appendToStream(streamId, events);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = options.fromRevision ?? 0n;
    const to = options.toRevision;
    return this.sorted()
      .filter((e) => e.streamId === streamId && e.revision >= from && (to === undefined || e.revision <= to))
      .sort((a, b) => (a.revision < b.revision ? -1 : 1));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const from = options.from === undefined || options.from === 'start' ? 0n : options.from.commit;
    return this.sorted()
      .filter((e) => e.position.commit > from)
      .slice(0, options.maxCount ?? 1000);
  }

  async headPosition(): Promise<Position | null> {
    const sorted = this.sorted();
    return sorted.length === 0 ? null : sorted[sorted.length - 1].position;
  }

  subscribeToAll(): AllSubscription {
    throw new Error('InMemoryLog has no subscriptions');
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  /** The stored events of a stream (the objects themselves, to tamper with). */
  stream(streamId: string): Stored[] {
    return this.events.filter((e) => e.streamId === streamId).sort((a, b) => (a.revision < b.revision ? -1 : 1));
  }

  /** Removes events from the log, as a DELETE on the events table would. */
  remove(predicate: (event: Stored) => boolean): void {
    for (let i = this.events.length - 1; i >= 0; i--) if (predicate(this.events[i])) this.events.splice(i, 1);
  }

  private sorted(): Stored[] {
    return [...this.events].sort((a, b) => (a.position.commit < b.position.commit ? -1 : a.position.commit > b.position.commit ? 1 : 0));
  }
}
