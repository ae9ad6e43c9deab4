import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type JsonObject } from '@cards/event-store';
import { PersonalDataCipher, type RotationFailure, type RotationProgress } from '@cards/security';
import { CLOCK, type Clock } from '../shared/clock';
import { InProcessJobs } from '../shared/in-process-jobs';
import { EVENT_SCHEMA_VERSION, type Actor, type CommandContext } from '../shared/command-context';

/** Every finished rotation is recorded here: who rotated the PII master key, when, and what it did. */
export const MASTER_KEY_ROTATIONS_STREAM = 'pii-master-key-rotations';
export const MASTER_KEY_ROTATED = 'PersonalDataMasterKeyRotated';

/** Data keys rewrapped per page (one progress report per page). Optional; default 500. */
export const MASTER_KEY_ROTATION_PAGE_SIZE = Symbol('MASTER_KEY_ROTATION_PAGE_SIZE');
const DEFAULT_PAGE_SIZE = 500;
/** Finished rotations kept in memory for GET; older ones are in the event stream only. */
const FINISHED_KEPT = 20;

export type MasterKeyRotationState = 'running' | 'succeeded' | 'failed';

/**
 * One run of the master key rotation, as GET shows it. Never holds key material: master keys are named by
 * their ids only, and failures say which subject's key could not be unwrapped and why.
 */
export interface MasterKeyRotation {
  readonly rotationId: string;
  /** 'succeeded': every key under an older master key was seen (some may have failed: see `failed`); 'failed': the run stopped (see `error`). */
  readonly state: MasterKeyRotationState;
  /** The older master key ids of the ring, which keys are moved away from. */
  readonly fromMasterKeyIds: readonly string[];
  /** The current master key id, which keys are rewrapped under. */
  readonly toMasterKeyId: string;
  /** Keys under the older master keys when the run started. */
  readonly total: number;
  readonly rewrapped: number;
  /** Keys that changed under the run: erased meanwhile, rewrapped by another run, or gone. */
  readonly skipped: number;
  /** Keys that could not be unwrapped: the older master key must stay until they are dealt with. */
  readonly failed: number;
  /** The first failed keys (at most 100). */
  readonly failures: readonly RotationFailure[];
  /** Keys still under an older master key when the run finished (null while it runs, or when it could not be counted). */
  readonly remaining: number | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly startedBy: Actor;
  readonly error: string | null;
  /** What happened and what to do next, in a sentence or two. */
  readonly message: string;
}

type Job = { -readonly [K in keyof MasterKeyRotation]: MasterKeyRotation[K] };

/** The rotation was stopped because the service is shutting down; running it again goes on where it stopped. */
class RotationInterrupted extends Error {
  readonly code = 'ROTATION_INTERRUPTED';
  constructor() {
    super('The service shut down during the rotation; run it again: it goes on with the keys still under an older master key');
    this.name = 'RotationInterrupted';
  }
}

/**
 * Rotation of the PII master key as a job: an admin starts it, it rewraps in the background every data key still
 * wrapped under an older key of PII_MASTER_KEY (PersonalDataCipher.rotateMasterKey), and its progress can be
 * followed until it ends. At most one runs per process; jobs live in this process's memory, and each finished
 * one is recorded as a `PersonalDataMasterKeyRotated` event in `pii-master-key-rotations`.
 *
 * Several instances may each run one at the same time: every rewrap is a compare-and-set on the master key id,
 * so they share the work and a key the other instance took counts as skipped here.
 */
@Injectable()
export class MasterKeyRotations implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MasterKeyRotations.name);
  private readonly jobs = new InProcessJobs<Job>({
    noun: 'Master key rotation',
    idField: 'rotationId',
    runningCode: 'MASTER_KEY_ROTATION_RUNNING',
    notFoundCode: 'MASTER_KEY_ROTATION_NOT_FOUND',
    recordedIn: `the event stream ${MASTER_KEY_ROTATIONS_STREAM}`,
    finishedKept: FINISHED_KEPT,
  });
  private readonly pageSize: number;

  constructor(
    private readonly cipher: PersonalDataCipher,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(MASTER_KEY_ROTATION_PAGE_SIZE) pageSize?: number,
  ) {
    this.pageSize = pageSize ?? DEFAULT_PAGE_SIZE;
  }

  /**
   * Starts a rotation and answers it once the keys to rewrap are counted (the rewrapping goes on in the
   * background). A ring with no older key answers a rotation that already succeeded, with nothing to do.
   * Throws a 'conflict' DomainError naming the running rotation when one is running in this process.
   */
  async start(ctx: CommandContext): Promise<MasterKeyRotation> {
    const { current, older } = this.cipher.masterKeyIds;
    const job: Job = {
      rotationId: randomUUID(),
      state: 'running',
      fromMasterKeyIds: [...older],
      toMasterKeyId: current,
      total: 0,
      rewrapped: 0,
      skipped: 0,
      failed: 0,
      failures: [],
      remaining: null,
      startedAt: this.clock.now().toISOString(),
      finishedAt: null,
      startedBy: { id: ctx.actor.id, role: ctx.actor.role },
      error: null,
      message: `Counting the data keys wrapped under ${quoted(older)}`,
    };
    // Claimed before the first await, so that two requests arriving together cannot both start one.
    this.jobs.claim(job.rotationId, job);
    this.logger.log({ rotationId: job.rotationId, from: job.fromMasterKeyIds, to: job.toMasterKeyId, by: job.startedBy }, 'Master key rotation started');

    if (older.length === 0) {
      job.remaining = 0;
      await this.finish(job, ctx);
      return snapshot(job);
    }
    try {
      job.total = await this.cipher.countKeysToRotate();
      if (this.jobs.stopping) throw new RotationInterrupted();
    } catch (error) {
      await this.finish(job, ctx, error);
      return snapshot(job);
    }
    job.message = `Rewrapping ${job.total} data key${job.total === 1 ? '' : 's'} from ${quoted(older)} to '${current}'`;
    this.jobs.runs(job, this.run(job, ctx));
    return snapshot(job);
  }

  /** The rotation as it is now. Throws a 'not_found' DomainError for an id this process does not know. */
  get(rotationId: string): MasterKeyRotation {
    return snapshot(this.jobs.get(rotationId));
  }

  /** The running rotation, if any. */
  current(): MasterKeyRotation | undefined {
    const running = this.jobs.current();
    return running === undefined ? undefined : snapshot(running);
  }

  /** On shutdown a running rotation stops after its current page, and is recorded as failed (run it again). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.jobs.stop();
  }

  private async run(job: Job, ctx: CommandContext): Promise<void> {
    try {
      const onProgress = (progress: RotationProgress): void => {
        job.total = progress.total;
        job.rewrapped = progress.rewrapped;
        job.skipped = progress.skipped;
        job.failed = progress.failed;
        if (this.jobs.stopping) throw new RotationInterrupted();
      };
      const report = await this.cipher.rotateMasterKey(onProgress, this.pageSize);
      job.total = report.total;
      job.rewrapped = report.rewrapped;
      job.skipped = report.skipped.erased + report.skipped.conflict + report.skipped.missing;
      job.failed = report.failedCount;
      job.failures = report.failed.map((failure) => ({ ...failure }));
      job.remaining = await this.cipher.countKeysToRotate().catch(() => null);
      await this.finish(job, ctx);
    } catch (error) {
      await this.finish(job, ctx, error);
    }
  }

  /** Records the outcome in the event store, then ends the job: a client that sees it finished finds the event. */
  private async finish(job: Job, ctx: CommandContext, error?: unknown): Promise<void> {
    job.finishedAt = this.clock.now().toISOString();
    if (error !== undefined) job.error = describe(error);
    try {
      await this.record(job, ctx, error === undefined ? 'succeeded' : 'failed');
    } catch (recordError) {
      const problem = `the rotation could not be recorded in ${MASTER_KEY_ROTATIONS_STREAM}: ${describe(recordError)}`;
      job.error = job.error === null ? problem : `${job.error}; ${problem}`;
    }
    job.state = job.error === null ? 'succeeded' : 'failed';
    job.message = summary(job);
    this.jobs.release(job);
    const log = { rotationId: job.rotationId, state: job.state, total: job.total, rewrapped: job.rewrapped, skipped: job.skipped, failed: job.failed, remaining: job.remaining, error: job.error };
    if (job.state === 'succeeded' && job.failed === 0) this.logger.log(log, `Master key rotation ${job.state}`);
    else this.logger.warn(log, `Master key rotation ${job.state}`);
  }

  private async record(job: Job, ctx: CommandContext, outcome: 'succeeded' | 'failed'): Promise<void> {
    const data: JsonObject = {
      rotationId: job.rotationId,
      outcome,
      fromMasterKeyIds: [...job.fromMasterKeyIds],
      toMasterKeyId: job.toMasterKeyId,
      total: job.total,
      rewrapped: job.rewrapped,
      skipped: job.skipped,
      failed: job.failed,
      remaining: job.remaining,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
    if (job.error !== null) data.error = job.error;
    await this.eventStore.appendToStream(MASTER_KEY_ROTATIONS_STREAM, [
      {
        // The rotation's id: resending the same record is an idempotent retry.
        id: job.rotationId,
        type: MASTER_KEY_ROTATED,
        data,
        metadata: {
          schemaVersion: EVENT_SCHEMA_VERSION,
          actor: { id: job.startedBy.id, role: job.startedBy.role },
          correlationId: ctx.correlationId,
          causationId: ctx.causationId,
          occurredAt: job.finishedAt ?? job.startedAt,
        },
      },
    ]);
  }

}

function snapshot(job: Job): MasterKeyRotation {
  return { ...job, fromMasterKeyIds: [...job.fromMasterKeyIds], failures: job.failures.map((f) => ({ ...f })), startedBy: { ...job.startedBy } };
}

function quoted(ids: readonly string[]): string {
  return ids.length === 0 ? 'no older master key' : ids.map((id) => `'${id}'`).join(', ');
}

/** An error as `CODE: message`. The errors of the key store and the cipher never quote key material. */
function describe(error: unknown): string {
  const { code, name, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; name?: unknown; message?: unknown };
  const label = typeof code === 'string' ? code : typeof name === 'string' ? name : 'ERROR';
  return `${label}: ${typeof message === 'string' ? message : String(error)}`;
}

function summary(job: Job): string {
  const from = quoted(job.fromMasterKeyIds);
  if (job.fromMasterKeyIds.length === 0) {
    return (
      `PII_MASTER_KEY holds only the master key '${job.toMasterKeyId}': there is no older key to rotate away from, so there was nothing to do. ` +
      `To rotate, put a new key first (PII_MASTER_KEY="<new id>:<64 hex>,${job.toMasterKeyId}:<64 hex>"), restart every instance, and run the rotation again.`
    );
  }
  const counts =
    `Rewrapped ${job.rewrapped} of ${job.total} data key${job.total === 1 ? '' : 's'} from ${from} to '${job.toMasterKeyId}'` +
    ` (${job.skipped} skipped, ${job.failed} failed).`;
  if (job.state === 'failed') {
    return `${counts} The rotation stopped: ${job.error}. Keep ${from} in PII_MASTER_KEY and run the rotation again; it goes on where it stopped.`;
  }
  if (job.failed > 0) {
    return `${counts} Keep ${from} in PII_MASTER_KEY: ${job.failed} data key${job.failed === 1 ? '' : 's'} could not be unwrapped (see failures).`;
  }
  if (job.remaining === 0) {
    return `${counts} No data key is left under ${from}: once every instance runs with '${job.toMasterKeyId}' first, remove ${from} from PII_MASTER_KEY and restart.`;
  }
  if (job.remaining === null) return `${counts} Run it again to check that nothing is left under ${from} before removing it from PII_MASTER_KEY.`;
  return (
    `${counts} ${job.remaining} data key${job.remaining === 1 ? ' is' : 's are'} still under ${from}, wrapped meanwhile by an instance ` +
    `still running with the old PII_MASTER_KEY: restart every instance with '${job.toMasterKeyId}' first, then run the rotation again.`
  );
}
