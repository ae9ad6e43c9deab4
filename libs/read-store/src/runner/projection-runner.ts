import {
  formatPosition,
  type AllSubscription,
  type EventStore,
  type LogCount,
  type Position,
  type ReadAllFrom,
  type RecordedEvent,
} from '@cards/event-store';
import type { ReadStore, WriteOp } from '../read-store.port';
import { BatchView } from '../projections/batch-view';
import { projectionVersionOf, type Projection } from '../projections/projection';
import { assertProjectionVersion } from '../read-store-rules';
import { eventWeight, SharedLog } from './shared-log';

/** `standby`: this process waits for the projections lease another process holds (see LeaseKeeper). */
export type ProjectionState = 'starting' | 'catching-up' | 'live' | 'rebuilding' | 'failed' | 'stopped' | 'standby';

export interface ProjectionStatus {
  readonly name: string;
  /**
   * Where this process runs the projection, its loop's state. When it runs in another process
   * (`runsHere: false`), the state is read off the stores: live when nothing is waiting, else catching-up.
   */
  readonly state: ProjectionState;
  readonly runsHere: boolean;
  readonly checkpoint: string | null;
  readonly eventsApplied: number;
  readonly headPosition: string | null;
  /** Events in the log after the checkpoint (counted up to `lagCap`; `lagCapped` says if there are more). */
  readonly lagEvents: number;
  readonly lagCapped: boolean;
  /** How long ago the oldest event not yet applied was recorded; 0 when none is waiting. */
  readonly lagSeconds: number;
  /** Events applied per second over the last measurement window. */
  readonly eventsPerSecond: number;
  readonly error: string | null;
  readonly updatedAt: string | null;
  /**
   * The version of the projection's code that wrote its documents, as the store records it; null before the
   * projection first started with versions (a store written by an older build: version 1).
   */
  readonly version: number | null;
  /** The version this process's code declares (`Projection.version`); the runner rebuilds when the two differ. */
  readonly declaredVersion: number;
}

export interface RunnerLogger {
  log(message: string, context?: object): void;
  warn(message: string, context?: object): void;
  error(message: string, context?: object): void;
}

export interface ProjectionRunnerOptions {
  /** Most events committed in one transaction (default 500). */
  readonly batchSize?: number;
  /**
   * A batch also closes once its events weigh this much (`eventWeight`, default 10,000: some 1,000+ lifecycle events,
   * 10 imports of 1,000 numbers), and a loop queues at most two batches: what a loop holds ahead of its projection is
   * bounded by the events' size as well as by their count.
   */
  readonly batchWeight?: number;
  /**
   * Most write ops gathered before a commit (default 10,000): a batch whose events make more is committed in parts,
   * each ending after a whole event. Bounds a batch's memory when single events make many writes (an import of
   * 1,000 numbers is one event and 1,000 documents: 500 of them held half a million documents at once).
   */
  readonly maxOpsPerCommit?: number;
  /** First wait after a failure; doubles up to maxBackoffMs (defaults 500 ms and 30 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly lagCap?: number;
  readonly logger?: RunnerLogger;
  readonly clock?: () => Date;
  /**
   * Asked right before each commit: false leaves the batch uncommitted (the loop fails and retries from its
   * checkpoint). The lease keeper's `holds()`, so a process that lost the projections lease writes nothing more.
   */
  readonly mayCommit?: () => boolean;
}

/** How long a loop catching up waits for its batch to fill before it applies the events it has (see follow). */
const PARTIAL_BATCH_WAIT_MS = 100;

const silent: RunnerLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Runs each projection in its own loop: subscribe to the log from the projection's stored checkpoint, project
 * events in batches, and commit each batch's writes together with the new checkpoint. A crash anywhere
 * resumes from the last commit: nothing is lost and nothing counted twice. A failing batch is retried with
 * back-off from the stored checkpoint; the others go on.
 */
export class ProjectionRunner {
  private readonly loops = new Map<string, ProjectionLoop>();
  private readonly options: Required<ProjectionRunnerOptions>;
  /** The loops' one reader of the log: each event is read and parsed once for every projection at that place. */
  private readonly log: SharedLog;

  constructor(
    private readonly eventStore: EventStore,
    private readonly readStore: ReadStore,
    readonly projections: readonly Projection[],
    options: ProjectionRunnerOptions = {},
  ) {
    this.log = new SharedLog(eventStore);
    this.options = {
      batchSize: options.batchSize ?? 500,
      batchWeight: options.batchWeight ?? 10_000,
      maxOpsPerCommit: options.maxOpsPerCommit ?? 10_000,
      backoffMs: options.backoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      lagCap: options.lagCap ?? 10_000,
      logger: options.logger ?? silent,
      clock: options.clock ?? (() => new Date()),
      mayCommit: options.mayCommit ?? (() => true),
    };
  }

  async start(): Promise<void> {
    await this.readStore.ensureCollections(this.projections.flatMap((p) => p.collections));
    // Every version is settled before any loop starts: if this fails part-way nothing runs yet, and start runs again
    // (the lease keeper retries it), finding the projections already reset at their new version.
    const rebuilding = new Set<string>();
    for (const projection of this.projections) {
      if (await this.settleVersion(projection)) rebuilding.add(projection.name);
    }
    for (const projection of this.projections) {
      const loop = new ProjectionLoop(projection, this.log, this.readStore, this.options);
      this.loops.set(projection.name, loop);
      loop.start(rebuilding.has(projection.name) ? 'rebuilding' : 'catching-up');
    }
  }

  /**
   * Compares the version the store records for a projection with the one its code declares, before its loop starts.
   * Nothing recorded and no checkpoint: a fresh projection, its version is recorded. A checkpoint but nothing
   * recorded: a store from before versions, whose documents are those of version 1. When they differ, the documents
   * were written by other code: the projection is reset, with the new version in the same step, and replays from
   * zero. Returns true when it reset the projection.
   */
  private async settleVersion(projection: Projection): Promise<boolean> {
    const declared = projectionVersionOf(projection);
    assertProjectionVersion(declared);
    const recorded = await this.readStore.projectionVersion(projection.name);
    if (recorded === declared) return false;
    this.assertMayWrite(projection);
    if (recorded === null) {
      const checkpoint = await this.readStore.checkpoint(projection.name);
      if (checkpoint === null || declared === 1) {
        await this.readStore.recordProjectionVersion(projection.name, declared);
        return false;
      }
    }
    const stored = recorded ?? 1;
    this.options.logger.warn(`projection ${projection.name} changed (version ${stored} → ${declared}): rebuilding from zero`, {
      projection: projection.name,
      fromVersion: stored,
      toVersion: declared,
    });
    await this.readStore.reset(projection.name, projection.collections.map((c) => c.name), declared);
    return true;
  }

  /** A version is only ever recorded or reset by the process that runs the projections (the lease holder). */
  private assertMayWrite(projection: Projection): void {
    if (!this.options.mayCommit()) {
      throw new Error(`This process no longer holds the projections lease: the version of ${projection.name} is left to the holder`);
    }
  }

  /** Stops every loop and waits for the batches under way; `start` may run them again (the lease taken back). */
  async stop(): Promise<void> {
    await Promise.all([...this.loops.values()].map((loop) => loop.stop()));
    this.loops.clear();
  }

  /** Whether the projections run in this process now (started and not stopped). */
  get running(): boolean {
    return this.loops.size > 0;
  }

  has(name: string): boolean {
    return this.projections.some((p) => p.name === name);
  }

  /**
   * Each loop's state and error as this process runs it, without reading the stores (`status()` reads the log after
   * every checkpoint to count the lag: too costly to poll during a catch-up). Empty while the runner is stopped.
   */
  states(): { readonly name: string; readonly state: ProjectionState; readonly error: string | null }[] {
    return [...this.loops.values()].map((loop) => ({ name: loop.projection.name, state: loop.state, error: loop.error }));
  }

  /**
   * Empties one projection's collections and checkpoint and replays it from position zero, while the others
   * stay live. Resolves once the rebuild has started; follow its progress with `status()`.
   */
  async rebuild(name: string): Promise<void> {
    const loop = this.loops.get(name);
    if (!loop) throw new Error(`No projection named ${name}`);
    await loop.stop();
    await this.readStore.reset(name, loop.projection.collections.map((c) => c.name));
    // The runner was stopped meanwhile (the lease lost, shutdown): the holder replays it from the empty checkpoint.
    if (this.loops.get(name) !== loop) return;
    loop.start('rebuilding');
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.eventStore.headPosition();
    // Projections at the same checkpoint (all of them, once live) share one count of what follows it.
    const counts = new Map<string, Promise<LogCount>>();
    return Promise.all(
      this.projections.map(async (projection) => {
        const loop = this.loops.get(projection.name);
        const [checkpoint, version] = await Promise.all([
          this.readStore.checkpoint(projection.name),
          this.readStore.projectionVersion(projection.name),
        ]);
        const from = checkpoint?.position ?? 'start';
        const pending = head === null ? { count: 0, firstRecordedAt: null } : await this.pendingAfter(from, counts);
        return {
          name: projection.name,
          state: loop?.state ?? (pending.count === 0 ? 'live' : 'catching-up'),
          runsHere: loop !== undefined,
          checkpoint: checkpoint?.position ? formatPosition(checkpoint.position) : null,
          eventsApplied: checkpoint?.eventsApplied ?? 0,
          headPosition: head ? formatPosition(head) : null,
          lagEvents: pending.count,
          lagCapped: pending.count >= this.options.lagCap,
          lagSeconds: pending.firstRecordedAt ? Math.max(0, (this.options.clock().getTime() - pending.firstRecordedAt.getTime()) / 1000) : 0,
          eventsPerSecond: loop?.rate() ?? 0,
          error: loop?.error ?? null,
          updatedAt: checkpoint?.updatedAt ?? null,
          version,
          declaredVersion: projectionVersionOf(projection),
        };
      }),
    );
  }

  /**
   * The events after `from` (up to lagCap) and when the first was recorded: counted by the store when it can
   * (countAll), else read. Reading them parsed up to lagCap events per projection on every status call, some 10,000 ×
   * 10 for a store far behind, and with imports of numbers (1,000 an event) that was most of card-projector's time
   * while it caught up (the bench polls the status). On EventStoreDB, which cannot count, one read per distinct
   * checkpoint (`counts`, shared by one status call) rather than one per projection.
   */
  private pendingAfter(from: ReadAllFrom, counts: Map<string, Promise<LogCount>>): Promise<LogCount> {
    const key = from === 'start' ? 'start' : formatPosition(from);
    let count = counts.get(key);
    if (count === undefined) {
      count = this.countAfter(from);
      counts.set(key, count);
    }
    return count;
  }

  private async countAfter(from: ReadAllFrom): Promise<LogCount> {
    if (this.eventStore.countAll) return this.eventStore.countAll({ from, maxCount: this.options.lagCap });
    const events = await this.eventStore.readAll({ from, maxCount: this.options.lagCap });
    return { count: events.length, firstRecordedAt: events[0]?.recordedAt ?? null };
  }
}

/** One projection's loop: subscription → queue → batches → atomic commits. */
class ProjectionLoop {
  state: ProjectionState = 'starting';
  error: string | null = null;
  private running = false;
  private subscription: AllSubscription | null = null;
  private finished: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private readonly recent: { at: number; count: number }[] = [];

  constructor(
    readonly projection: Projection,
    /** The runner's SharedLog: subscribing there shares the reading with the other loops at the same place. */
    private readonly log: SharedLog,
    private readonly readStore: ReadStore,
    private readonly options: Required<ProjectionRunnerOptions>,
  ) {}

  start(initial: 'catching-up' | 'rebuilding'): void {
    this.running = true;
    this.state = initial;
    this.error = null;
    this.finished = this.run(initial);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.subscription?.close();
    await this.finished;
    this.state = 'stopped';
  }

  /** Events per second over the last 10 seconds. */
  rate(): number {
    const since = Date.now() - 10_000;
    const window = this.recent.filter((r) => r.at >= since);
    if (window.length === 0) return 0;
    const span = Math.max(1, Date.now() - Math.min(...window.map((r) => r.at))) / 1000;
    return Math.round(window.reduce((n, r) => n + r.count, 0) / Math.max(span, 1));
  }

  private async run(initial: 'catching-up' | 'rebuilding'): Promise<void> {
    let backoff = this.options.backoffMs;
    let catchingUpState: ProjectionState = initial;
    while (this.running) {
      try {
        await this.follow(catchingUpState);
        return;
      } catch (error) {
        if (!this.running) return;
        this.state = 'failed';
        this.error = (error as Error).message;
        this.options.logger.error(`Projection ${this.projection.name} failed; retrying from its checkpoint in ${backoff} ms`, {
          projection: this.projection.name,
          err: error,
        });
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
        catchingUpState = 'catching-up';
      }
    }
  }

  /** Subscribes from the stored checkpoint and applies events until stopped or until something fails. */
  private async follow(catchingUpState: ProjectionState): Promise<void> {
    const checkpoint = await this.readStore.checkpoint(this.projection.name);
    const queue: RecordedEvent[] = [];
    let caughtUp = false;
    let pumpError: unknown = null;
    let pumpDone = false;
    const pumpGate: { resume: (() => void) | null } = { resume: null };

    const subscription = this.log.subscribeToAll({
      from: checkpoint?.position ?? 'start',
      onCaughtUp: () => {
        caughtUp = true;
        this.wake?.();
      },
    });
    this.subscription = subscription;
    this.state = catchingUpState;

    const { batchSize, batchWeight } = this.options;
    let queueWeight = 0;
    const batchReady = () => queue.length >= batchSize || queueWeight >= batchWeight;
    const pump = (async () => {
      try {
        const events = subscription[Symbol.asyncIterator]();
        while (this.running) {
          const next = await events.next();
          if (next.done) break;
          const wasEmpty = queue.length === 0;
          queue.push(next.value);
          queueWeight += eventWeight(next.value);
          // And whatever else is already waiting, at once rather than one turn of the event loop per event.
          if (queue.length < 2 * batchSize && queueWeight < 2 * batchWeight) {
            queueWeight += subscription.takeWaiting(queue, 2 * batchSize - queue.length, 2 * batchWeight - queueWeight);
          }
          // While catching up, a partial batch waits to fill: see below.
          if (wasEmpty || caughtUp || batchReady()) this.wake?.();
          if (queue.length >= 2 * batchSize || queueWeight >= 2 * batchWeight) await new Promise<void>((r) => (pumpGate.resume = r));
          if (!this.running) break;
        }
      } catch (error) {
        pumpError = error;
      } finally {
        pumpDone = true;
        this.wake?.();
      }
    })();

    try {
      let waitedForMore = false;
      while (this.running) {
        // Catching up, a batch is applied only once full: events arrive a few at a time as the shared reader hands them
        // out, and a commit of 20 events costs nearly what one of 500 does (applying whatever had arrived made 25 times
        // more commits). Not for ever, though: after PARTIAL_BATCH_WAIT_MS without a full batch (the reader held up
        // by a slower projection, or a store that never says it caught up) what is there is applied. Once caught up,
        // whatever has arrived is applied at once.
        if (queue.length === 0) {
          if (pumpError) throw pumpError;
          if (pumpDone) break;
          if (caughtUp && this.state !== 'live') this.state = 'live';
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        if (!caughtUp && !pumpDone && !waitedForMore && !batchReady()) {
          waitedForMore = await this.waitForMore(PARTIAL_BATCH_WAIT_MS);
          continue;
        }
        waitedForMore = false;
        // Up to batchSize events, and no more once they weigh batchWeight (the first whatever it weighs).
        let count = 0;
        let weight = 0;
        while (count < queue.length && count < batchSize && (count === 0 || weight < batchWeight)) weight += eventWeight(queue[count++]);
        const batch = queue.splice(0, count);
        queueWeight -= weight;
        if (queue.length < batchSize && queueWeight < batchWeight) {
          pumpGate.resume?.();
          pumpGate.resume = null;
        }
        await this.applyBatch(batch);
        this.error = null;
      }
    } finally {
      pumpGate.resume?.();
      await subscription.close();
      await pump;
    }
  }

  /**
   * Projects a batch and commits its writes with the checkpoint of its last event; in several commits when its events
   * make more than maxOpsPerCommit writes, each ending after a whole event (a crash between them resumes after the
   * last one committed, as between batches).
   */
  private async applyBatch(batch: readonly RecordedEvent[]): Promise<void> {
    let view = new BatchView(this.readStore);
    let ops: WriteOp[] = [];
    let eventsInPart = 0;
    for (const [index, event] of batch.entries()) {
      const eventOps = await this.projection.project(event, view);
      view.apply(eventOps);
      for (const op of eventOps) ops.push(op);
      eventsInPart += 1;
      if (ops.length >= this.options.maxOpsPerCommit && index < batch.length - 1) {
        await this.commitPart(event, eventsInPart, ops);
        // What this part wrote is in the store now: the next part's view reads it from there.
        view = new BatchView(this.readStore);
        ops = [];
        eventsInPart = 0;
        // Projecting and committing take only microtasks (SQLite answers synchronously): without a turn of the event
        // loop between parts, a batch of heavy events (500 imports of 1,000 numbers: 50 parts) held every timer of
        // the process for seconds, the lease renewal's included, and the runner then found the lease lapsed and
        // dropped the batch, again and again.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    await this.commitPart(batch[batch.length - 1], eventsInPart, ops);
  }

  private async commitPart(last: RecordedEvent, events: number, ops: readonly WriteOp[]): Promise<void> {
    if (!this.options.mayCommit()) {
      throw new Error('This process no longer holds the projections lease: the batch is left to the holder');
    }
    await this.readStore.commit(this.projection.name, last.position, events, ops);
    this.recent.push({ at: Date.now(), count: events });
    if (this.recent.length > 200) this.recent.splice(0, this.recent.length - 200);
  }

  /** Resolves false when woken (more events, caught up, stopped), true after `ms` without. */
  private waitForMore(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(true);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(false);
      };
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
