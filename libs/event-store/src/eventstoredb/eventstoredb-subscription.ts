import {
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  excludeSystemEvents,
  type SubscribeToAllOptions as EsdbSubscribeToAllOptions,
} from '@eventstore/db-client';
import type { AllSubscription, Position, ReadAllFrom, RecordedEvent } from '../event-store.port';
import { comparePositions } from '../position';
import { fromEsdbEvent, isSystemEventType, toEsdbReadPosition } from './eventstoredb-mapping';

/** The part of EventStoreDBClient a subscription uses (a seam for tests). */
export interface EsdbSubscriber {
  subscribeToAll(options: EsdbSubscribeToAllOptions): AllStreamSubscription;
}

export interface ResubscribeBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface EsdbSubscriptionSettings {
  readonly from: ReadAllFrom;
  readonly onCaughtUp?: () => void;
  readonly backoff: ResubscribeBackoff;
  /**
   * The newest non-system position when the subscription starts, used to detect "caught up" on servers older
   * than 23.10, which never send the caughtUp message. Resolving null means the log is empty.
   */
  readonly headAtStart: () => Promise<Position | null>;
  /** Reports a dropped subscription that is about to be retried (for logs). */
  readonly onDropped?: (error: unknown, retryInMs: number) => void;
  readonly onClosed: (subscription: EventStoreDbAllSubscription) => void;
}

const CLOSED = Symbol('closed');

/**
 * The port's AllSubscription over EventStoreDB's catch-up subscription to $all (system events filtered out on
 * the server). The client does not reconnect by itself (BACKENDS.md §A): when the stream fails or ends, this
 * resubscribes from the last event it delivered, waiting 250 ms doubling up to 5 s between attempts.
 *
 * onCaughtUp fires on whichever comes first:
 * - the server's caughtUp message (23.10+), once every event received before it has been handed to the consumer;
 * - the consumer asking for the next event after the one at the head position read when iteration began (or
 *   right away if there was nothing after `from`). That covers older servers; an event appended between reading
 *   the head and subscribing then counts as live, which the port allows.
 */
export class EventStoreDbAllSubscription implements AllSubscription {
  private closed = false;
  private iterated = false;
  private current: AllStreamSubscription | null = null;
  private signalClosed!: () => void;
  private readonly closedSignal = new Promise<typeof CLOSED>((resolve) => {
    this.signalClosed = () => resolve(CLOSED);
  });

  private caughtUpReported = false;
  /**
   * How many more items must be handed to the consumer before onCaughtUp fires: null until a trigger (the
   * caughtUp message, or the head reached) is seen; then counted down to 0 and reported before the next wait.
   */
  private itemsBeforeCaughtUp: number | null = null;
  private waitingForServer = false;

  constructor(
    private readonly client: EsdbSubscriber,
    private readonly settings: EsdbSubscriptionSettings,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('An AllSubscription can be iterated only once; subscribe again instead');
    this.iterated = true;
    return this.deliver();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signalClosed();
    await this.dropCurrent();
    this.settings.onClosed(this);
  }

  private async *deliver(): AsyncGenerator<RecordedEvent, void, undefined> {
    let cursor: ReadAllFrom = this.settings.from;
    let delayMs = this.settings.backoff.initialDelayMs;
    try {
      const started = await this.raceClose(this.settings.headAtStart().catch(() => undefined));
      if (started === CLOSED) return;
      // undefined: the head could not be read (e.g. no permission on $all); rely on the caughtUp message alone.
      const head: Position | null | undefined = started;
      if (head === null || (head !== undefined && cursor !== 'start' && comparePositions(cursor, head) >= 0)) {
        this.reportCaughtUp();
      }
      while (!this.closed) {
        try {
          const events = this.open(cursor)[Symbol.asyncIterator]();
          for (;;) {
            if (this.itemsBeforeCaughtUp === 0) this.reportCaughtUp();
            this.waitingForServer = true;
            const next = events.next();
            next.catch(() => undefined); // we may stop waiting for it on close(); its rejection is not news
            const step = await this.raceClose(next);
            this.waitingForServer = false;
            if (step === CLOSED) return;
            if (step.done) throw new Error('EventStoreDB ended the $all subscription');
            const resolved: AllStreamResolvedEvent = step.value;
            if (this.itemsBeforeCaughtUp !== null && this.itemsBeforeCaughtUp > 0) this.itemsBeforeCaughtUp -= 1;
            const event = resolved.event;
            if (!event || isSystemEventType(event.type)) continue;
            const recorded = fromEsdbEvent(event);
            cursor = recorded.position;
            delayMs = this.settings.backoff.initialDelayMs;
            yield recorded;
            if (this.closed) return;
            if (head && comparePositions(recorded.position, head) >= 0 && this.itemsBeforeCaughtUp === null) {
              this.itemsBeforeCaughtUp = 0;
            }
          }
        } catch (error) {
          this.waitingForServer = false;
          if (this.closed) return;
          await this.dropCurrent();
          // What the dropped stream still had buffered is gone; the new one sends its own caughtUp message.
          if (!this.caughtUpReported) this.itemsBeforeCaughtUp = null;
          this.settings.onDropped?.(error, delayMs);
          if ((await this.raceClose(delay(delayMs, this.closedSignal))) === CLOSED) return;
          delayMs = Math.min(delayMs * 2, this.settings.backoff.maxDelayMs);
        }
      }
    } finally {
      await this.close();
    }
  }

  private open(cursor: ReadAllFrom): AllStreamSubscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: toEsdbReadPosition(cursor),
      filter: excludeSystemEvents(),
    });
    // Without an 'error' listener a late error on a stream we have given up on would crash the process.
    subscription.on('error', () => undefined);
    subscription.on('caughtUp', () => {
      if (this.caughtUpReported || this.itemsBeforeCaughtUp !== null) return;
      // Events pushed before this message may still sit in the readable buffer: deliver those first.
      this.itemsBeforeCaughtUp = subscription.readableLength;
      if (this.itemsBeforeCaughtUp === 0 && this.waitingForServer) this.reportCaughtUp();
    });
    this.current = subscription;
    return subscription;
  }

  private reportCaughtUp(): void {
    if (this.caughtUpReported) return;
    this.caughtUpReported = true;
    this.itemsBeforeCaughtUp = null;
    this.settings.onCaughtUp?.();
  }

  private async dropCurrent(): Promise<void> {
    const subscription = this.current;
    this.current = null;
    if (!subscription) return;
    try {
      await subscription.unsubscribe();
    } catch {
      // Already failed or cancelled: nothing left to release.
    }
    subscription.destroy();
  }

  private raceClose<T>(work: Promise<T>): Promise<T | typeof CLOSED> {
    return Promise.race([work, this.closedSignal]);
  }
}

/** Resolves after `ms`, or as soon as `cancel` settles (so close() never waits for a backoff timer). */
function delay(ms: number, cancel: Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void cancel.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
