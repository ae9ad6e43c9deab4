import {
  formatPosition,
  type AllSubscription,
  type EventStore,
  type Position,
  type RecordedEvent,
} from '@cards/event-store';
import type { ReadStore, WriteOp } from '../read-store.port';
import { BatchView } from '../projections/batch-view';
import type { Projection } from '../projections/projection';

export type ProjectionState = 'starting' | 'catching-up' | 'live' | 'rebuilding' | 'failed' | 'stopped';

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
}

export interface RunnerLogger {
  log(message: string, context?: object): void;
  warn(message: string, context?: object): void;
  error(message: string, context?: object): void;
}

export interface ProjectionRunnerOptions {
  /** Most events committed in one transaction (default 500). */
  readonly batchSize?: number;
  /** First wait after a failure; doubles up to maxBackoffMs (defaults 500 ms and 30 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly lagCap?: number;
  readonly logger?: RunnerLogger;
  readonly clock?: () => Date;
}

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

  constructor(
    private readonly eventStore: EventStore,
    private readonly readStore: ReadStore,
    readonly projections: readonly Projection[],
    options: ProjectionRunnerOptions = {},
  ) {
    this.options = {
      batchSize: options.batchSize ?? 500,
      backoffMs: options.backoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      lagCap: options.lagCap ?? 10_000,
      logger: options.logger ?? silent,
      clock: options.clock ?? (() => new Date()),
    };
  }

  async start(): Promise<void> {
    await this.readStore.ensureCollections(this.projections.flatMap((p) => p.collections));
    for (const projection of this.projections) {
      const loop = new ProjectionLoop(projection, this.eventStore, this.readStore, this.options);
      this.loops.set(projection.name, loop);
      loop.start('catching-up');
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.loops.values()].map((loop) => loop.stop()));
  }

  has(name: string): boolean {
    return this.projections.some((p) => p.name === name);
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
    loop.start('rebuilding');
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.eventStore.headPosition();
    return Promise.all(
      this.projections.map(async (projection) => {
        const loop = this.loops.get(projection.name);
        const checkpoint = await this.readStore.checkpoint(projection.name);
        const from = checkpoint?.position ?? 'start';
        const pending = head === null ? [] : await this.eventStore.readAll({ from, maxCount: this.options.lagCap });
        const oldest = pending[0];
        return {
          name: projection.name,
          state: loop?.state ?? (pending.length === 0 ? 'live' : 'catching-up'),
          runsHere: loop !== undefined,
          checkpoint: checkpoint?.position ? formatPosition(checkpoint.position) : null,
          eventsApplied: checkpoint?.eventsApplied ?? 0,
          headPosition: head ? formatPosition(head) : null,
          lagEvents: pending.length,
          lagCapped: pending.length >= this.options.lagCap,
          lagSeconds: oldest ? Math.max(0, (this.options.clock().getTime() - oldest.recordedAt.getTime()) / 1000) : 0,
          eventsPerSecond: loop?.rate() ?? 0,
          error: loop?.error ?? null,
          updatedAt: checkpoint?.updatedAt ?? null,
        };
      }),
    );
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
    private readonly eventStore: EventStore,
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

    const subscription = this.eventStore.subscribeToAll({
      from: checkpoint?.position ?? 'start',
      onCaughtUp: () => {
        caughtUp = true;
        this.wake?.();
      },
    });
    this.subscription = subscription;
    this.state = catchingUpState;

    const pump = (async () => {
      try {
        for await (const event of subscription) {
          queue.push(event);
          this.wake?.();
          if (queue.length >= this.options.batchSize * 2) await new Promise<void>((r) => (pumpGate.resume = r));
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
      while (this.running) {
        if (queue.length === 0) {
          if (pumpError) throw pumpError;
          if (pumpDone) break;
          if (caughtUp && this.state !== 'live') this.state = 'live';
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        const batch = queue.splice(0, this.options.batchSize);
        if (queue.length < this.options.batchSize) {
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

  private async applyBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const view = new BatchView(this.readStore);
    const ops: WriteOp[] = [];
    for (const event of batch) {
      const eventOps = await this.projection.project(event, view);
      await view.apply(eventOps);
      ops.push(...eventOps);
    }
    const last = batch[batch.length - 1];
    await this.readStore.commit(this.projection.name, last.position, batch.length, ops);
    this.recent.push({ at: Date.now(), count: batch.length });
    if (this.recent.length > 200) this.recent.splice(0, this.recent.length - 200);
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
