import { randomUUID } from 'node:crypto';
import {
  type AppendResult as EsdbAppendResult,
  BACKWARDS,
  END,
  EventStoreDBClient,
  jsonEvent,
  type ResolvedEvent,
  START,
  type StreamingRead,
} from '@eventstore/db-client';
import { DuplicateEventIdError, EventStoreUnavailableError, StreamRevisionConflictError } from '../errors';
import type {
  AllSubscription,
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  Position,
  ReadAllFrom,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
} from '../event-store.port';
import { normaliseEventsToAppend } from '../event-validation';
import { type CurrentRevision, expectationHolds, NO_STREAM_REVISION } from '../expected-revision';
import { chainEvents, GENESIS_HASH, HASH_FIELD, prevHashAfter } from '../integrity/hash-chain';
import { positionsEqual } from '../position';
import {
  appendOptions,
  conflictRevisions,
  fromEsdbEvent,
  fromEsdbPosition,
  isAccessDenied,
  isStreamNotFound,
  isSystemEventType,
  isWrongExpectedVersion,
  toActualRevision,
  toEsdbReadPosition,
  toPortError,
} from './eventstoredb-mapping';
import { EventStoreDbAllSubscription, type ResubscribeBackoff } from './eventstoredb-subscription';

export interface EventStoreDbEventStoreOptions {
  /** Wait between resubscription attempts of a dropped $all subscription. Default 250 ms doubling to 5 s. */
  readonly resubscribeBackoff?: ResubscribeBackoff;
  /** ping() gives up (EventStoreUnavailableError) after this long; reads have no deadline of their own. Default 5 s. */
  readonly pingTimeoutMs?: number;
  /** Reports a dropped subscription that is about to be retried. */
  readonly onSubscriptionDropped?: (error: unknown, retryInMs: number) => void;
}

const DEFAULT_READ_ALL_MAX_COUNT = 1000;
const HEAD_SCAN_PAGE_SIZE = 200;
const NO_POSITION: Position = { commit: 0n, prepare: 0n };
/** Appends with 'any' or 'stream_exists': the first try and up to 5 more after losing a race to another writer. */
const MAX_APPEND_ATTEMPTS = 6;

/**
 * An append as it is sent: the events chained on the stream's event at `expected` (the genesis value for
 * 'no_stream'), so that whenever the server accepts them at that revision their chain is right.
 */
interface ChainedAppend {
  readonly expected: bigint | 'no_stream';
  readonly events: EventToAppend[];
  /**
   * What the server refusing the expectation means: the caller's own expectation failed ('conflict'); the stream
   * moved on between reading it and appending with 'any'/'stream_exists' ('retry'); or the ids at the stream's tail
   * were not, after all, this same append sent again ('duplicate').
   */
  readonly onRefused: 'conflict' | 'retry' | 'duplicate';
}

/**
 * The EventStore port over EventStoreDB, through @eventstore/db-client 6.2.1. A thin adapter: the server does
 * the concurrency checks and idempotent retries; this maps names, revisions, positions and errors, and chains
 * appended events (integrity/hash-chain.ts) on the stream's event they follow, which it reads first.
 * Proven by the shared contract suite only against a real server (EVENTSTORE_CONNECTION_STRING).
 */
export class EventStoreDbEventStore implements EventStore {
  readonly kind = 'eventstoredb';

  private readonly subscriptions = new Set<EventStoreDbAllSubscription>();
  private closed = false;

  /**
   * Creates the client from an `esdb://` connection string (for an insecure dev server add `?tls=false`).
   * Nothing is sent until the first call: use ping() to find out whether the server answers.
   */
  static connect(connectionString: string, options: EventStoreDbEventStoreOptions = {}): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EventStoreDbEventStoreOptions = {},
  ) {}

  async appendToStream(
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    const normalised = normaliseEventsToAppend(streamId, events);
    if (normalised.length === 0) return this.appendNothing(streamId, expected);
    try {
      for (let attempt = 1; ; attempt += 1) {
        const append = await this.chainedAppend(streamId, normalised, expected);
        const sent = await this.send(streamId, append);
        if ('nextExpectedRevision' in sent) return sent;
        if (append.onRefused === 'duplicate') {
          // The id of the last event sent is the stream's last event, which the others do not precede.
          const storedAt = (append.expected === 'no_stream' ? NO_STREAM_REVISION : append.expected) + BigInt(normalised.length);
          throw new DuplicateEventIdError(normalised[normalised.length - 1].id, streamId, { streamId, revision: storedAt });
        }
        if (append.onRefused === 'conflict' || attempt >= MAX_APPEND_ATTEMPTS) {
          throw new StreamRevisionConflictError(streamId, expected, sent.actual);
        }
      }
    } catch (error) {
      throw toPortError(error, { streamId, expected, operation: `append to ${streamId}` });
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = options.fromRevision ?? 0n;
    const to = options.toRevision;
    if (to !== undefined && to < from) return [];
    const read = this.client.readStream(streamId, {
      fromRevision: from === 0n ? START : from,
      ...(to === undefined ? {} : { maxCount: to - from + 1n }),
    });
    const events: RecordedEvent[] = [];
    try {
      await consume(read, (resolved) => {
        if (!resolved.event) return true;
        if (to !== undefined && resolved.event.revision > to) return false;
        events.push(fromEsdbEvent(resolved.event, streamReadFallbackPosition(resolved)));
        return true;
      });
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw toPortError(error, { operation: `read ${streamId}` });
    }
    return events;
  }

  /**
   * Pages through $all until it has `maxCount` non-system events or reaches the end, so a page shorter than
   * `maxCount` always means "nothing more for now", as on SQLite.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT;
    const events: RecordedEvent[] = [];
    let cursor: ReadAllFrom = options.from ?? 'start';
    try {
      while (events.length < maxCount) {
        // Whether the server includes the event at fromPosition is unverified: ask for one more and skip it.
        const requested = maxCount - events.length + (cursor === 'start' ? 0 : 1);
        const exclusive = cursor;
        let received = 0;
        let last: Position | undefined;
        await consume(this.client.readAll({ fromPosition: toEsdbReadPosition(cursor), maxCount: requested }), (resolved) => {
          received += 1;
          const event = resolved.event;
          if (!event) return true;
          const position = fromEsdbPosition(event.position);
          last = position;
          if (exclusive !== 'start' && positionsEqual(position, exclusive)) return true;
          if (isSystemEventType(event.type)) return true;
          events.push(fromEsdbEvent(event));
          return events.length < maxCount;
        });
        if (received < requested || last === undefined) break;
        cursor = last;
      }
    } catch (error) {
      throw toPortError(error, { operation: 'read $all' });
    }
    return events;
  }

  /** Scans $all backwards from the end, a page at a time, for the newest non-system event. */
  async headPosition(): Promise<Position | null> {
    let cursor: Position | 'end' = 'end';
    try {
      for (;;) {
        const exclusive = cursor;
        let received = 0;
        let last: Position | undefined;
        let head: Position | null = null;
        await consume(
          this.client.readAll({
            direction: BACKWARDS,
            fromPosition: cursor === 'end' ? END : cursor,
            maxCount: HEAD_SCAN_PAGE_SIZE,
          }),
          (resolved) => {
            received += 1;
            const event = resolved.event;
            if (!event) return true;
            const position = fromEsdbPosition(event.position);
            last = position;
            if (exclusive !== 'end' && positionsEqual(position, exclusive)) return true;
            if (isSystemEventType(event.type)) return true;
            head = position;
            return false;
          },
        );
        if (head) return head;
        if (received < HEAD_SCAN_PAGE_SIZE || last === undefined) return null;
        cursor = last;
      }
    } catch (error) {
      throw toPortError(error, { operation: 'read $all' });
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    if (this.closed) throw new Error('EventStoreDbEventStore is closed');
    const subscription = new EventStoreDbAllSubscription(this.client, {
      from: options.from ?? 'start',
      onCaughtUp: options.onCaughtUp,
      backoff: this.options.resubscribeBackoff ?? { initialDelayMs: 250, maxDelayMs: 5_000 },
      headAtStart: () => this.headPosition(),
      onDropped: this.options.onSubscriptionDropped,
      onClosed: (closed) => this.subscriptions.delete(closed),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Reads a stream that never exists: "not found" (or "access denied") proves the server answers. */
  async ping(): Promise<void> {
    const read = this.client.readStream(`$health-ping-${randomUUID()}`, { maxCount: 1 });
    const timeoutMs = this.options.pingTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void read.cancel().catch(() => undefined);
        reject(new EventStoreUnavailableError(`EventStoreDB did not answer a ping within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const answered = consume(read, () => false);
      answered.catch(() => undefined); // after a timeout nobody awaits it any more
      await Promise.race([answered, timeout]);
    } catch (error) {
      if (isStreamNotFound(error) || isAccessDenied(error)) return;
      throw toPortError(error, { operation: 'answer a ping' });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /**
   * An empty append writes nothing, so it is answered here rather than by the server: the expectation is
   * checked against the stream's last event, and the stream's state is returned (-1 and position 0/0 when it
   * does not exist), exactly as the SQLite adapter does.
   */
  private async appendNothing(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const last = await this.lastEventOf(streamId);
    const current: CurrentRevision = last?.revision;
    if (!expectationHolds(expected, current)) {
      throw new StreamRevisionConflictError(streamId, expected, current ?? 'no_stream');
    }
    return last
      ? { nextExpectedRevision: last.revision, position: last.position }
      : { nextExpectedRevision: NO_STREAM_REVISION, position: NO_POSITION };
  }

  /**
   * Decides the exact expectation to send and chains the events on the stream's event at that revision:
   * - 'no_stream': from the genesis value; the server checks the stream is new, or recognises a resent append;
   * - a revision: on the event at that revision; a stream not yet there is a conflict now, one further on is left
   *   to the server, which recognises a resent append by its ids or refuses it (it never writes there);
   * - 'any' / 'stream_exists': on the stream's last event, expecting exactly its revision, and again on the new last
   *   event when another writer got in between. When the last event already has the id of the last event sent, the
   *   append is probably being sent again: the server is asked to confirm it at the revision it was written at
   *   (SQLite recognises the same); the id of another event sent is a DuplicateEventIdError, as on SQLite.
   */
  private async chainedAppend(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<ChainedAppend> {
    if (expected === 'no_stream') return this.chainOn(streamId, events, 'no_stream', undefined, 'conflict');
    const last = await this.lastEventOf(streamId);
    if (expected === 'any' || expected === 'stream_exists') {
      if (!last) {
        if (expected === 'stream_exists') throw new StreamRevisionConflictError(streamId, expected, 'no_stream');
        return this.chainOn(streamId, events, 'no_stream', undefined, 'retry');
      }
      const sentAgainAt = events.findIndex((event) => event.id === last.id.toLowerCase());
      const firstOfResent = last.revision - BigInt(events.length) + 1n;
      if (sentAgainAt === events.length - 1 && firstOfResent >= 0n) {
        return this.chainOn(streamId, events, firstOfResent === 0n ? 'no_stream' : firstOfResent - 1n, last, 'duplicate');
      }
      if (sentAgainAt >= 0) throw new DuplicateEventIdError(last.id, streamId, { streamId, revision: last.revision });
      return this.chainOn(streamId, events, last.revision, last, 'retry');
    }
    const revision = BigInt(expected);
    if (!last || last.revision < revision) throw new StreamRevisionConflictError(streamId, expected, last?.revision ?? 'no_stream');
    return this.chainOn(streamId, events, revision, last, 'conflict');
  }

  /** Chains `events` to follow the stream's event at `after` (`last`, when that is the one; read otherwise). */
  private async chainOn(
    streamId: string,
    events: readonly EventToAppend[],
    after: bigint | 'no_stream',
    last: RecordedEvent | undefined,
    onRefused: ChainedAppend['onRefused'],
  ): Promise<ChainedAppend> {
    if (after === 'no_stream') return { expected: after, events: chainEvents(streamId, 0n, GENESIS_HASH, events), onRefused };
    const previous = last?.revision === after ? last : await this.eventAt(streamId, after);
    const prevHash = prevHashAfter(previous?.metadata[HASH_FIELD]);
    return { expected: after, events: chainEvents(streamId, after + 1n, prevHash, events), onRefused };
  }

  /** Appends with the exact expectation; a refused expectation comes back as the stream's actual revision. */
  private async send(streamId: string, append: ChainedAppend): Promise<AppendResult | { actual: bigint | 'no_stream' }> {
    const proposed = append.events.map((event) =>
      jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata }),
    );
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(streamId, proposed, appendOptions(append.expected));
    } catch (error) {
      if (isWrongExpectedVersion(error)) return { actual: toActualRevision(conflictRevisions(error).actual) };
      throw error;
    }
    // Only with throwOnAppendFailure=false in the connection string: same meaning as the thrown error.
    if (!result.success) return { actual: toActualRevision(result.nextExpectedRevision) };
    const position = result.position
      ? fromEsdbPosition(result.position)
      : await this.positionAtRevision(streamId, result.nextExpectedRevision);
    return { nextExpectedRevision: result.nextExpectedRevision, position };
  }

  private async eventAt(streamId: string, revision: bigint): Promise<RecordedEvent | undefined> {
    const read = this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    let found: RecordedEvent | undefined;
    try {
      await consume(read, (resolved) => {
        if (resolved.event?.revision === revision) found = fromEsdbEvent(resolved.event, streamReadFallbackPosition(resolved));
        return false;
      });
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw toPortError(error, { operation: `read ${streamId}` });
    }
    return found;
  }

  private async lastEventOf(streamId: string): Promise<RecordedEvent | undefined> {
    const read = this.client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    let last: RecordedEvent | undefined;
    try {
      await consume(read, (resolved) => {
        if (resolved.event) last = fromEsdbEvent(resolved.event, streamReadFallbackPosition(resolved));
        return false;
      });
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw toPortError(error, { operation: `read ${streamId}` });
    }
    return last;
  }

  /**
   * The server may leave out the position when it recognises an idempotent retry [unverified]; the event's
   * own position from a stream read is then the answer (servers 22.6+ fill it in).
   */
  private async positionAtRevision(streamId: string, revision: bigint): Promise<Position> {
    const read = this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    let position: Position | undefined;
    await consume(read, (resolved) => {
      if (resolved.event?.position) position = fromEsdbPosition(resolved.event.position);
      return false;
    });
    if (!position) {
      throw new Error(`EventStoreDB did not report the position of ${streamId}@${String(revision)} (server older than 22.6?)`);
    }
    return position;
  }
}

/**
 * Iterates a read with `for await` (back-pressure, errors thrown into the loop) until `visit` returns false,
 * then cancels the gRPC call so the server stops sending.
 */
async function consume<E>(read: StreamingRead<E>, visit: (item: E) => boolean): Promise<void> {
  let stoppedEarly = false;
  for await (const item of read) {
    if (!visit(item)) {
      stoppedEarly = true;
      break;
    }
  }
  if (stoppedEarly) await read.cancel().catch(() => undefined);
}

/**
 * Single-stream reads carry the event's $all position only on servers 22.6+ (and fake values before,
 * EventStore-Client-Go#88); fall back to the commit position of the record. Never checkpoint on these.
 */
function streamReadFallbackPosition(resolved: ResolvedEvent): Position {
  const commit = resolved.commitPosition;
  return commit === undefined ? NO_POSITION : { commit, prepare: commit };
}
