import {
  comparePositions,
  type AllSubscription,
  type EventStore,
  type ReadAllFrom,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '@cards/event-store';

export interface SharedLogOptions {
  /** Events a subscriber may have waiting before its reader waits for it to take some (default 1000). */
  readonly inboxSize?: number;
  /**
   * The same bound in weight (`eventWeight`: the objects and arrays in an event): a subscriber with this much waiting
   * is full too, however few events that is (default 20,000: 2,000+ events of a card's lifecycle, 20 imports of
   * 1,000 SIM numbers).
   */
  readonly inboxWeight?: number;
  /**
   * Events each reader keeps after handing them out (between this and twice this many), so that a subscriber starting
   * a little behind it (a projection retrying from its checkpoint, the loops of a runner starting one after the other)
   * joins it instead of reading the log on its own (default 2000).
   */
  readonly replaySize?: number;
  /** The same bound in weight: the events kept weigh between this and twice this (default 40,000). */
  readonly replayWeight?: number;
  /**
   * How long a reader waits for a subscriber that takes nothing while others could go on; after that the slow one
   * gets a reader of its own, from where it is, so one stuck projection does not hold up the others (default 2 s).
   */
  readonly detachAfterMs?: number;
  /** Deep-freezes each event before handing it out (default true): several projections receive the same object. */
  readonly freeze?: boolean;
}

/**
 * One reader of the log for many subscribers (the loops of a ProjectionRunner): each event is read and parsed once
 * and the same object is handed to every subscriber at that place in the log. Subscribers start wherever they like
 * (their own checkpoints); those at the same place share a reader, and a reader that reaches a place another reader
 * has just passed hands its subscribers over to it (what it passed is replayed to them from its recent events), so
 * readers that started apart merge, at the latest at the head of the log.
 *
 * Each subscriber gets exactly what its own `eventStore.subscribeToAll({ from })` would give: every event after
 * `from`, in order, once. A reader goes at the pace of its slowest subscriber (it reads no further while one has
 * `inboxSize` events waiting), except that a subscriber taking nothing for `detachAfterMs` while others wait is given
 * a reader of its own. A failed read ends every subscription of that reader with the error; closing a subscription
 * affects no other.
 *
 * Events are shared: a subscriber must not change them (they are frozen unless `freeze: false`).
 */
export class SharedLog implements Pick<EventStore, 'subscribeToAll'> {
  private readonly readers = new Set<LogReader>();
  private readonly inbox: InboxBounds;
  private readonly replay: InboxBounds;
  private readonly detachAfterMs: number;
  private readonly freeze: boolean;

  constructor(
    private readonly store: Pick<EventStore, 'subscribeToAll'>,
    options: SharedLogOptions = {},
  ) {
    this.inbox = { size: Math.max(1, options.inboxSize ?? 1000), weight: Math.max(1, options.inboxWeight ?? 20_000) };
    this.replay = { size: Math.max(1, options.replaySize ?? 2000), weight: Math.max(1, options.replayWeight ?? 40_000) };
    this.detachAfterMs = options.detachAfterMs ?? 2000;
    this.freeze = options.freeze ?? true;
  }

  /** How many subscriptions of the store this holds open now (one per group of subscribers at the same place). */
  get readerCount(): number {
    return this.readers.size;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): SharedSubscription {
    const from = options.from ?? 'start';
    const subscription = new SharedSubscription(this.inbox, options.onCaughtUp ?? null);
    const reader = this.readerCovering(from, null) ?? this.startReader(from);
    reader.admit(subscription, from);
    return subscription;
  }

  /** A reader (other than `except`) whose recent events reach back to `from` and that has read up to it. */
  private readerCovering(from: ReadAllFrom, except: LogReader | null): LogReader | null {
    for (const reader of this.readers) {
      if (reader !== except && reader.covers(from)) return reader;
    }
    return null;
  }

  private startReader(from: ReadAllFrom, solo = false): LogReader {
    const reader = new LogReader(from, this.replay, solo);
    this.readers.add(reader);
    reader.subscription = this.store.subscribeToAll({ from, onCaughtUp: () => reader.reachedHead() });
    void this.pump(reader);
    return reader;
  }

  private async pump(reader: LogReader): Promise<void> {
    let failure: unknown = null;
    try {
      for await (const recorded of reader.subscription!) {
        if (reader.members.size === 0) break;
        reader.hand(recorded, weighed(recorded, this.freeze));
        if (this.readers.size > 1 && !reader.solo) {
          const ahead = this.readerCovering(reader.cursor, reader);
          if (ahead !== null) {
            reader.handOverTo(ahead);
            break;
          }
        }
        if (reader.someMemberFull()) await this.waitForRoom(reader);
        if (reader.members.size === 0) break;
      }
    } catch (error) {
      failure = error;
    } finally {
      reader.closing = true;
      this.readers.delete(reader);
      await reader.subscription!.close();
      for (const member of reader.members) {
        if (failure === null) member.end();
        else member.fail(failure);
      }
      reader.members.clear();
    }
  }

  /** Waits until every subscriber of the reader has room; one that takes nothing for too long is moved out. */
  private async waitForRoom(reader: LogReader): Promise<void> {
    const since = Date.now();
    while (reader.members.size > 0 && reader.someMemberFull()) {
      const left = this.detachAfterMs - (Date.now() - since);
      if (left <= 0) {
        this.detachFullMembers(reader);
        return;
      }
      await reader.roomOrTimeout(left);
    }
  }

  /** The subscribers with a full inbox, when others could go on, continue with readers of their own from here. */
  private detachFullMembers(reader: LogReader): void {
    const full = [...reader.members].filter((member) => member.full);
    if (full.length === reader.members.size) return; // all of them are slow: nobody would gain by splitting
    for (const member of full) {
      reader.members.delete(member);
      // It holds everything up to the reader's cursor: its own reader starts there.
      this.startReader(reader.cursor, true).admit(member, reader.cursor);
    }
  }
}

/** One subscription of the store and the subscribers it serves, all of which have been handed events up to `cursor`. */
class LogReader {
  subscription: AllSubscription | null = null;
  readonly members = new Set<SharedSubscription>();
  closing = false;
  private caughtUp = false;
  /** The recent events handed out: every event after `replayFrom`, up to `cursor`. */
  private replay: RecordedEvent[] = [];
  private replayWeight = 0;
  private replayFrom: ReadAllFrom;
  private roomWaiter: (() => void) | null = null;

  /**
   * @param solo a reader of its own for a subscriber that held the others up: until it reaches the head of the log it
   *   neither joins another reader nor takes anyone in, or it would hold them up again at once.
   */
  constructor(
    public cursor: ReadAllFrom,
    private readonly bounds: InboxBounds,
    public solo: boolean,
  ) {
    this.replayFrom = cursor;
  }

  /** Whether a subscriber from `from` can join: the reader has read that far, and has kept everything after it. */
  covers(from: ReadAllFrom): boolean {
    if (this.closing || this.solo || this.members.size === 0) return false;
    if (from === 'start') return this.replayFrom === 'start';
    if (this.cursor === 'start' || comparePositions(from, this.cursor) > 0) return false;
    return this.replayFrom === 'start' || comparePositions(this.replayFrom, from) <= 0;
  }

  admit(member: SharedSubscription, from: ReadAllFrom): void {
    for (const event of this.replay) {
      if (from === 'start' || comparePositions(event.position, from) > 0) member.push(event, eventWeight(event));
    }
    member.reader = this;
    this.members.add(member);
    if (this.caughtUp) member.reachedHead();
  }

  hand(event: RecordedEvent, weight: number): void {
    this.cursor = event.position;
    this.replay.push(event);
    this.replayWeight += weight;
    if (this.replay.length >= 2 * this.bounds.size || this.replayWeight >= 2 * this.bounds.weight) this.trimReplay();
    for (const member of this.members) member.push(event, weight);
  }

  /** Keeps the newest events, down to `size` of them weighing at most `weight` (the newest one at least). */
  private trimReplay(): void {
    let keep = 0;
    let kept = 0;
    for (let i = this.replay.length - 1; i >= 0 && keep < this.bounds.size; i--) {
      const weight = eventWeight(this.replay[i]);
      if (keep > 0 && kept + weight > this.bounds.weight) break;
      keep += 1;
      kept += weight;
    }
    if (keep === this.replay.length) return; // one event heavier than twice the bound: it is all there is to keep
    const dropped = this.replay.splice(0, this.replay.length - keep);
    this.replayWeight = kept;
    this.replayFrom = dropped[dropped.length - 1].position;
  }

  /** Moves every subscriber to `ahead`, which has read at least as far and kept what it read since `cursor`. */
  handOverTo(ahead: LogReader): void {
    for (const member of this.members) ahead.admit(member, this.cursor);
    this.members.clear();
    this.closing = true;
  }

  reachedHead(): void {
    this.caughtUp = true;
    this.solo = false;
    for (const member of this.members) member.reachedHead();
  }

  someMemberFull(): boolean {
    for (const member of this.members) if (member.full) return true;
    return false;
  }

  /** A subscriber took events or left. */
  roomMade(): void {
    const waiter = this.roomWaiter;
    this.roomWaiter = null;
    waiter?.();
  }

  leave(member: SharedSubscription): void {
    if (!this.members.delete(member)) return;
    if (this.members.size === 0 && !this.closing) {
      this.closing = true;
      // Ends the pump's wait for the next event; the pump then closes the rest.
      void this.subscription?.close();
    }
    this.roomMade();
  }

  roomOrTimeout(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.roomMade(), ms);
      this.roomWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * What one subscriber sees: an AllSubscription fed by a LogReader, which can also hand over at once every event
 * already waiting (`takeWaiting`), instead of one turn of the event loop per event.
 */
export class SharedSubscription implements AllSubscription {
  reader: LogReader | null = null;
  private inbox: (RecordedEvent | undefined)[] = [];
  private head = 0;
  /** The weight of the events waiting (inbox[head..]). */
  private waitingWeight = 0;
  private waiting: { resolve: (result: IteratorResult<RecordedEvent>) => void; reject: (error: unknown) => void } | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private iterated = false;
  private caughtUpReported = false;

  constructor(
    private readonly bounds: InboxBounds,
    private readonly onCaughtUp: (() => void) | null,
  ) {}

  get full(): boolean {
    return this.inbox.length - this.head >= this.bounds.size || this.waitingWeight >= this.bounds.weight;
  }

  push(event: RecordedEvent, weight: number): void {
    if (this.ended) return;
    if (this.waiting !== null) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    this.inbox.push(event);
    this.waitingWeight += weight;
  }

  reachedHead(): void {
    if (this.caughtUpReported || this.ended) return;
    this.caughtUpReported = true;
    // After subscribeToAll has returned, as a store's subscription would.
    if (this.onCaughtUp) queueMicrotask(this.onCaughtUp);
  }

  end(): void {
    this.ended = true;
    this.reader = null;
    this.settleWaiting();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    this.reader = null;
    this.settleWaiting();
  }

  async close(): Promise<void> {
    this.ended = true;
    this.inbox = [];
    this.head = 0;
    this.waitingWeight = 0;
    this.failure = null;
    const reader = this.reader;
    this.reader = null;
    reader?.leave(this);
    this.settleWaiting();
  }

  /**
   * Moves up to `max` of the events already waiting (after those `next()` gave) into `into`, without waiting for
   * more, and no more once they weigh `maxWeight` (the first one whatever it weighs); returns their weight. Mixing
   * it with the iterator keeps the order.
   */
  takeWaiting(into: RecordedEvent[], max: number, maxWeight = Infinity): number {
    const waiting = this.inbox.length - this.head;
    let count = 0;
    let weight = 0;
    while (count < Math.min(max, waiting) && (count === 0 || weight < maxWeight)) {
      const event = this.inbox[this.head + count]!;
      into.push(event);
      weight += eventWeight(event);
      count += 1;
    }
    if (count > 0) this.taken(count, waiting, weight);
    return weight;
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('An AllSubscription can be iterated only once; subscribe again instead');
    this.iterated = true;
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<RecordedEvent>> {
    const waiting = this.inbox.length - this.head;
    if (waiting > 0) {
      const value = this.inbox[this.head]!;
      this.taken(1, waiting, eventWeight(value));
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== null) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** `count` events weighing `weight` were taken off the front of the inbox, which held `waiting`. */
  private taken(count: number, waiting: number, weight: number): void {
    const wasFull = this.full;
    this.waitingWeight = count === waiting ? 0 : this.waitingWeight - weight;
    if (count === waiting) {
      this.inbox = [];
      this.head = 0;
    } else {
      this.inbox.fill(undefined, this.head, this.head + count);
      this.head += count;
      if (this.head >= 1024 && this.head * 2 >= this.inbox.length) {
        this.inbox = this.inbox.slice(this.head);
        this.head = 0;
      }
    }
    // The reader may be waiting for room in this inbox.
    if (this.reader !== null && wasFull && !this.full) this.reader.roomMade();
  }

  private settleWaiting(): void {
    const waiting = this.waiting;
    if (waiting === null) return;
    this.waiting = null;
    if (this.failure !== null) {
      const { error } = this.failure;
      this.failure = null;
      waiting.reject(error);
    } else waiting.resolve({ value: undefined, done: true });
  }
}

/** Bounds of what waits in an inbox (or is kept for replay): a count of events, and their weight. */
interface InboxBounds {
  readonly size: number;
  readonly weight: number;
}

const weights = new WeakMap<RecordedEvent, number>();

/**
 * What an event weighs in the bounds of a SharedLog (and of a ProjectionRunner's queue): the objects and arrays in
 * it, the event itself included. A lifecycle event weighs some 5–10; an import of 1,000 SIM numbers some 1,000 (its
 * numbers are objects), for a hundred times the memory. Known for every event a SharedLog has handed out; others
 * are weighed on the spot.
 */
export function eventWeight(event: RecordedEvent): number {
  return weights.get(event) ?? walk(event, false);
}

/** Weighs an event (and freezes it and everything in it, when asked) once, for all its subscribers. */
function weighed(event: RecordedEvent, freeze: boolean): number {
  const weight = walk(event, freeze);
  weights.set(event, weight);
  return weight;
}

/**
 * Counts the objects and arrays in `value`, itself included, freezing each when `freeze` is set, so that no subscriber
 * can change what the others receive (a projection that tries throws a TypeError, modules being strict, and fails
 * alone). `recordedAt` is frozen as an object, but a Date's setters still work: documented on Projection instead.
 */
function walk(value: object, freeze: boolean): number {
  if (freeze) Object.freeze(value);
  let count = 1;
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'object' && field !== null && !(freeze && Object.isFrozen(field))) count += walk(field, freeze);
  }
  return count;
}
