import { DomainError } from '@cards/domain';
import type { Actor } from './command-context';

/** What every background job shows: whether it runs, and who started it when. */
export interface TrackedJob {
  state: 'running' | 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly startedBy: Actor;
}

export interface InProcessJobsOptions {
  /** For messages: "Master key rotation", "Verification". */
  readonly noun: string;
  /** The id's field name in answers and problem details: 'rotationId', 'verificationId'. */
  readonly idField: string;
  /** 409 code when one is running already, 404 code for an unknown id. */
  readonly runningCode: string;
  readonly notFoundCode: string;
  /** Where finished jobs are recorded, for the 404's message (e.g. an event stream). */
  readonly recordedIn: string;
  /** Finished jobs kept in memory for GET. Default 20. */
  readonly finishedKept?: number;
}

/**
 * The bookkeeping of a long job that runs in the background of one process and is followed by polling (the
 * master-key rotation, the full audit verification): at most one runs at a time (a second start is a 409 naming
 * it), the last finished ones stay readable, and a shutdown lets the running one stop after its current step.
 */
export class InProcessJobs<J extends TrackedJob> {
  private readonly jobs = new Map<string, J>();
  private running: { readonly id: string; readonly job: J; done: Promise<void> } | undefined;
  private stoppingNow = false;

  constructor(private readonly options: InProcessJobsOptions) {}

  /** True once the service is shutting down: a running job should stop at its next step. */
  get stopping(): boolean {
    return this.stoppingNow;
  }

  /**
   * Takes the one running slot for `job`, synchronously (call it before any await, so two requests arriving
   * together cannot both start one), or throws a 409 naming the job that holds it.
   */
  claim(id: string, job: J): void {
    if (this.running !== undefined) {
      const { id: runningId, job: other } = this.running;
      throw new DomainError(
        'conflict',
        this.options.runningCode,
        `${this.options.noun} ${runningId}, started by ${other.startedBy.id} at ${other.startedAt}, is still running in this instance: follow it instead of starting another`,
        { [this.options.idField]: runningId },
      );
    }
    this.running = { id, job, done: Promise.resolve() };
    this.jobs.set(id, job);
    const kept = this.options.finishedKept ?? 20;
    for (const [otherId, other] of this.jobs) {
      if (this.jobs.size <= kept + 1) break;
      if (other.state !== 'running') this.jobs.delete(otherId);
    }
  }

  /** What shutdown waits for: the background part of the running job. */
  runs(job: J, done: Promise<void>): void {
    if (this.running?.job === job) this.running.done = done;
  }

  /** The job has ended: the slot is free again. */
  release(job: J): void {
    if (this.running?.job === job) this.running = undefined;
  }

  /** The job with this id, or a 404 that says where finished ones are recorded. */
  get(id: string): J {
    const job = this.jobs.get(id);
    if (job === undefined) {
      const noun = this.options.noun;
      throw new DomainError(
        'not_found',
        this.options.notFoundCode,
        `No ${noun.toLowerCase()} ${id} in this instance (they are kept in the memory of the instance that ran them; finished ones are recorded in ${this.options.recordedIn})`,
        { [this.options.idField]: id },
      );
    }
    return job;
  }

  /** The running job, if any. */
  current(): J | undefined {
    return this.running?.job;
  }

  /** On shutdown: asks the running job to stop, and waits until it has. */
  async stop(): Promise<void> {
    this.stoppingNow = true;
    await this.running?.done;
  }
}
