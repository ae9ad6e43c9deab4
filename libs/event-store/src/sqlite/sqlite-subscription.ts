import { EventStoreUnavailableError } from '../errors';
import type { AllSubscription, ReadAllFrom, RecordedEvent } from '../event-store.port';

const MAX_RETRY_DELAY_MS = 5_000;

/** A page of the log: its events, and whether more may follow at once (a page cut by its count or by its size). */
export interface LogPage {
  readonly events: RecordedEvent[];
  readonly full: boolean;
}

/** What a subscription needs from the store: read a page after a position, hear about appends. */
export interface SqliteLogSource {
  readPage(position: bigint, maxCount: number): LogPage;
  /**
   * Registers a listener for appends: those committed by this process, and those of other processes the store's
   * look at the file found. Returns the function that removes it.
   */
  onAppended(listener: () => void): () => void;
}

export interface SqliteSubscriptionSettings {
  readonly from: ReadAllFrom;
  readonly onCaughtUp?: () => void;
  /** How long a live subscription waits for a wake-up before it reads the log anyway. */
  readonly idleReadMs: number;
  /** The first wait before a read of a file that was unavailable is tried again (then doubled, up to 5 s). */
  readonly retryDelayMs: number;
  readonly pageSize: number;
  /** Called once when the subscription closes, so the store can forget it. */
  readonly onClosed: (subscription: SqliteAllSubscription) => void;
}

/**
 * Catch-up then live subscription over the events table. It reads one page only when the consumer asks for
 * more (back-pressure), and when it has nothing left it sleeps until an append wakes it (the store hears of its own
 * at once, and of other processes' by looking at the file) or `idleReadMs` has passed.
 */
export class SqliteAllSubscription implements AllSubscription {
  private closed = false;
  private iterated = false;
  /** Counts local appends, so an append between "read a short page" and "go to sleep" is not slept through. */
  private appendsSeen = 0;
  private wakeUp: (() => void) | null = null;
  private readonly stopListening: () => void;

  constructor(
    private readonly source: SqliteLogSource,
    private readonly settings: SqliteSubscriptionSettings,
  ) {
    this.stopListening = source.onAppended(() => {
      this.appendsSeen += 1;
      this.wakeUp?.();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('An AllSubscription can be iterated only once; subscribe again instead');
    this.iterated = true;
    return this.deliver();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    this.wakeUp?.();
    this.settings.onClosed(this);
  }

  private async *deliver(): AsyncGenerator<RecordedEvent, void, undefined> {
    const { from, pageSize, onCaughtUp } = this.settings;
    let cursor = from === 'start' ? 0n : from.commit;
    let caughtUpReported = false;
    try {
      while (!this.closed) {
        const appendsBeforeRead = this.appendsSeen;
        const page = await this.readPageRetryingWhileUnavailable(cursor, pageSize);
        if (this.closed) return;
        for (const event of page.events) {
          cursor = event.position.commit;
          yield event;
          if (this.closed) return;
        }
        if (page.full) {
          // Reading is synchronous and handing events over takes only microtasks: without a turn of the event loop
          // between pages, a catch-up over a long log would hold every timer and socket of the process until it
          // is done (card-api answered nothing, /health included, for seconds during a rebuild).
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        if (!page.full) {
          if (!caughtUpReported) {
            caughtUpReported = true;
            onCaughtUp?.();
          }
          if (this.appendsSeen === appendsBeforeRead) await this.sleep();
        }
      }
    } finally {
      // The consumer broke out of its loop (or the read failed): nobody will ask for more.
      await this.close();
    }
  }

  /** A busy or briefly unreadable file should not end a projection: wait and read again, like the ESDB adapter. */
  private async readPageRetryingWhileUnavailable(cursor: bigint, pageSize: number): Promise<LogPage> {
    let delayMs = this.settings.retryDelayMs;
    for (;;) {
      try {
        return this.source.readPage(cursor, pageSize);
      } catch (error) {
        if (!(error instanceof EventStoreUnavailableError) || this.closed) throw error;
        await this.sleep(delayMs);
        if (this.closed) return { events: [], full: false };
        delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
      }
    }
  }

  /** Waits for an append, the timer, or close(), whichever comes first. */
  private sleep(ms = this.settings.idleReadMs): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wakeUp?.(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
    });
  }
}
