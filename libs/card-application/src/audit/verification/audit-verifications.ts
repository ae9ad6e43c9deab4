import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, formatPosition, type EventStore, type JsonObject } from '@cards/event-store';
import { CLOCK, type Clock } from '../../shared/clock';
import { InProcessJobs } from '../../shared/in-process-jobs';
import { EVENT_SCHEMA_VERSION, type Actor, type CommandContext } from '../../shared/command-context';
import { AUDIT_KEYS, type AuditKeys } from '../audit-keys';
import { verifyLog, type LogVerificationProgress, type LogVerificationReport, type VerificationProblem, type VerificationProblemCode } from './log-verifier';

/** The auditors' own trail: every finished verification, who ran it, when, what it found. */
export const AUDIT_VERIFICATIONS_STREAM = 'audit-verifications';
export const AUDIT_VERIFICATION_COMPLETED = 'AuditVerificationCompleted';

/** Events per readAll page of a verification (one progress update per page). Optional; default 1000. */
export const AUDIT_VERIFICATION_PAGE_SIZE = Symbol('AUDIT_VERIFICATION_PAGE_SIZE');
const DEFAULT_PAGE_SIZE = 1000;
/** Finished verifications kept in memory for GET; older ones are in the event stream only. */
const FINISHED_KEPT = 20;

export type AuditVerificationState = 'running' | 'succeeded' | 'failed';

/** One run of the full verification, as GET /v1/audit/verifications/{id} shows it. */
export interface AuditVerification {
  readonly verificationId: string;
  /** 'succeeded': the whole log was walked (see `ok` for what it found); 'failed': the run stopped (see `error`). */
  readonly state: AuditVerificationState;
  /** True when the walk found no problem, false when it found some; null while it runs or when it failed. */
  readonly ok: boolean | null;
  readonly eventsChecked: number;
  /** Events in the log, from its head position when the run started (an estimate: see `eventsTotalIsEstimate`). */
  readonly eventsTotal: number | null;
  /** True while `eventsTotal` is estimated from log positions (SQLite positions count events, but deleted ones leave gaps; EventStoreDB's are byte offsets); false once the run has ended and it is exact. */
  readonly eventsTotalIsEstimate: boolean;
  readonly streamsChecked: number;
  readonly checkpointsChecked: number;
  /** Streams whose last signed head was compared with the stream (at the end of the run). */
  readonly signedHeadsChecked: number;
  readonly eventsPerSecond: number;
  /** The head of the log when the run started: what it covers. */
  readonly upToPosition: string | null;
  readonly lastCheckpoint: number | null;
  /** Events after the last checkpoint's range: protected by their hash chains only until the next checkpoint. */
  readonly eventsAfterLastCheckpoint: number | null;
  readonly problemCount: number;
  /** The first 1000 problems, in the order found. */
  readonly problems: readonly VerificationProblem[];
  readonly problemCounts: Readonly<Partial<Record<VerificationProblemCode, number>>>;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly startedBy: Actor;
  readonly error: string | null;
  /** What happened, in a sentence. */
  readonly message: string;
}

type Job = { -readonly [K in keyof AuditVerification]: AuditVerification[K] };

/** The run was stopped because the service is shutting down. */
class VerificationInterrupted extends Error {
  readonly code = 'VERIFICATION_INTERRUPTED';
  constructor() {
    super('The service shut down during the verification; start it again');
    this.name = 'VerificationInterrupted';
  }
}

/**
 * The full verification as a job: an auditor or admin starts it, it walks the whole log in the background
 * (verifyLog: every stream's hash chain, every checkpoint's signature and links, every signed head), and its
 * progress can be followed until it ends. At most one runs per process; jobs live in this process's memory, and
 * each finished one is recorded as an AuditVerificationCompleted event in `audit-verifications`.
 */
@Injectable()
export class AuditVerifications implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditVerifications.name);
  private readonly jobs = new InProcessJobs<Job>({
    noun: 'Verification',
    idField: 'verificationId',
    runningCode: 'AUDIT_VERIFICATION_RUNNING',
    notFoundCode: 'AUDIT_VERIFICATION_NOT_FOUND',
    recordedIn: `the event stream ${AUDIT_VERIFICATIONS_STREAM}`,
    finishedKept: FINISHED_KEPT,
  });
  private readonly pageSize: number;

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(AUDIT_KEYS) private readonly keys: AuditKeys,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(AUDIT_VERIFICATION_PAGE_SIZE) pageSize?: number,
  ) {
    this.pageSize = pageSize ?? DEFAULT_PAGE_SIZE;
  }

  /**
   * Starts a verification and answers it at once (the walk goes on in the background). Throws a 'conflict'
   * DomainError naming the running verification when one is running in this process.
   */
  async start(ctx: CommandContext): Promise<AuditVerification> {
    const job: Job = {
      verificationId: randomUUID(),
      state: 'running',
      ok: null,
      eventsChecked: 0,
      eventsTotal: null,
      eventsTotalIsEstimate: true,
      streamsChecked: 0,
      checkpointsChecked: 0,
      signedHeadsChecked: 0,
      eventsPerSecond: 0,
      upToPosition: null,
      lastCheckpoint: null,
      eventsAfterLastCheckpoint: null,
      problemCount: 0,
      problems: [],
      problemCounts: {},
      startedAt: this.clock.now().toISOString(),
      finishedAt: null,
      startedBy: { id: ctx.actor.id, role: ctx.actor.role },
      error: null,
      message: 'Verifying every stream\'s hash chain and every checkpoint of the log',
    };
    // Claimed before the first await, so that two requests arriving together cannot both start one.
    this.jobs.claim(job.verificationId, job);
    this.logger.log({ verificationId: job.verificationId, by: job.startedBy }, 'Audit verification started');
    this.jobs.runs(job, this.run(job, ctx));
    return snapshot(job);
  }

  /** The verification as it is now. Throws a 'not_found' DomainError for an id this process does not know. */
  get(verificationId: string): AuditVerification {
    return snapshot(this.jobs.get(verificationId));
  }

  /** The running verification, if any. */
  current(): AuditVerification | undefined {
    const running = this.jobs.current();
    return running === undefined ? undefined : snapshot(running);
  }

  /** On shutdown a running verification stops after its current page, and is recorded as failed. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.jobs.stop();
  }

  private async run(job: Job, ctx: CommandContext): Promise<void> {
    const started = Date.now();
    // Let start() answer before the walk takes the event loop for its first page.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const head = await this.eventStore.headPosition();
      job.upToPosition = head === null ? null : formatPosition(head);
      // On SQLite a position is the event's sequence number; elsewhere it is scaled by how far the walk got.
      job.eventsTotal = head === null ? 0 : this.eventStore.kind === 'sqlite' ? Number(head.commit) : null;
      const report = await verifyLog(this.eventStore, {
        publicKeys: this.keys.verificationKeys,
        pageSize: this.pageSize,
        onProgress: (progress: LogVerificationProgress) => {
          job.eventsChecked = progress.eventsChecked;
          job.streamsChecked = progress.streamsChecked;
          job.checkpointsChecked = progress.checkpointsChecked;
          job.problemCount = progress.problemCount;
          job.eventsPerSecond = rate(progress.eventsChecked, started);
          if (head !== null && progress.position !== null && this.eventStore.kind !== 'sqlite' && progress.position.commit > 0n) {
            job.eventsTotal = Math.round(progress.eventsChecked / (Number(progress.position.commit) / Number(head.commit)));
          }
          if (this.jobs.stopping) throw new VerificationInterrupted();
        },
      });
      this.apply(job, report, started);
      await this.finish(job, ctx, report);
    } catch (error) {
      job.eventsPerSecond = rate(job.eventsChecked, started);
      await this.finish(job, ctx, undefined, error);
    }
  }

  private apply(job: Job, report: LogVerificationReport, started: number): void {
    job.ok = report.ok;
    job.eventsChecked = report.eventsChecked;
    job.eventsTotal = report.eventsChecked;
    job.eventsTotalIsEstimate = false;
    job.streamsChecked = report.streamsChecked;
    job.checkpointsChecked = report.checkpointsChecked;
    job.signedHeadsChecked = report.signedHeadsChecked;
    job.eventsPerSecond = rate(report.eventsChecked, started);
    job.upToPosition = report.upToPosition;
    job.lastCheckpoint = report.lastCheckpoint;
    job.eventsAfterLastCheckpoint = report.eventsAfterLastCheckpoint;
    job.problemCount = report.problemCount;
    job.problems = [...report.problems];
    job.problemCounts = { ...report.problemCounts };
  }

  /** Records the outcome in the event store, then ends the job: a client that sees it finished finds the event. */
  private async finish(job: Job, ctx: CommandContext, report?: LogVerificationReport, error?: unknown): Promise<void> {
    job.finishedAt = this.clock.now().toISOString();
    if (error !== undefined) {
      job.error = describe(error);
      job.ok = null;
    }
    try {
      await this.record(job, ctx);
    } catch (recordError) {
      const problem = `the verification could not be recorded in ${AUDIT_VERIFICATIONS_STREAM}: ${describe(recordError)}`;
      job.error = job.error === null ? problem : `${job.error}; ${problem}`;
    }
    job.state = job.error === null ? 'succeeded' : 'failed';
    job.message = summary(job, report);
    this.jobs.release(job);
    const log = {
      verificationId: job.verificationId,
      state: job.state,
      ok: job.ok,
      eventsChecked: job.eventsChecked,
      streamsChecked: job.streamsChecked,
      checkpointsChecked: job.checkpointsChecked,
      problemCount: job.problemCount,
      problemCounts: job.problemCounts,
      eventsPerSecond: job.eventsPerSecond,
      error: job.error,
    };
    if (job.state === 'succeeded' && job.ok === true) this.logger.log(log, 'Audit verification found no problem');
    else this.logger.warn(log, `Audit verification ${job.state}${job.ok === false ? `: ${job.problemCount} problem(s)` : ''}`);
  }

  private async record(job: Job, ctx: CommandContext): Promise<void> {
    const data: JsonObject = {
      verificationId: job.verificationId,
      outcome: job.error === null ? 'succeeded' : 'failed',
      ok: job.ok,
      eventsChecked: job.eventsChecked,
      streamsChecked: job.streamsChecked,
      checkpointsChecked: job.checkpointsChecked,
      signedHeadsChecked: job.signedHeadsChecked,
      lastCheckpoint: job.lastCheckpoint,
      upToPosition: job.upToPosition,
      problemCount: job.problemCount,
      problemCounts: { ...job.problemCounts } as JsonObject,
      eventsPerSecond: job.eventsPerSecond,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
    if (job.error !== null) data.error = job.error;
    await this.eventStore.appendToStream(AUDIT_VERIFICATIONS_STREAM, [
      {
        // The verification's id: resending the same record is an idempotent retry.
        id: job.verificationId,
        type: AUDIT_VERIFICATION_COMPLETED,
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

function snapshot(job: Job): AuditVerification {
  return { ...job, problems: job.problems.map((p) => ({ ...p })), problemCounts: { ...job.problemCounts }, startedBy: { ...job.startedBy } };
}

function rate(events: number, startedMs: number): number {
  return Math.round(events / Math.max((Date.now() - startedMs) / 1000, 0.001));
}

/** An error as `CODE: message`. */
function describe(error: unknown): string {
  const { code, name, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; name?: unknown; message?: unknown };
  const label = typeof code === 'string' ? code : typeof name === 'string' ? name : 'ERROR';
  return `${label}: ${typeof message === 'string' ? message : String(error)}`;
}

function summary(job: Job, report: LogVerificationReport | undefined): string {
  const counts = `${job.eventsChecked} events in ${job.streamsChecked} streams and ${job.checkpointsChecked} checkpoint${job.checkpointsChecked === 1 ? '' : 's'}`;
  if (job.state === 'failed') {
    return report === undefined
      ? `The verification stopped after ${counts}: ${job.error}. Start it again.`
      : `Verified ${counts}, but ${job.error}.`;
  }
  const uncovered =
    job.lastCheckpoint === null
      ? ' No checkpoint has been signed yet: deleting the newest events of a stream, or a whole stream, cannot be detected until one is (POST /v1/audit/checkpoints).'
      : job.eventsAfterLastCheckpoint !== null && job.eventsAfterLastCheckpoint > 0
        ? ` ${job.eventsAfterLastCheckpoint} event${job.eventsAfterLastCheckpoint === 1 ? ' is' : 's are'} after checkpoint ${job.lastCheckpoint}, protected by their hash chains until the next one.`
        : '';
  if (job.ok === true) return `No problem found in ${counts} (up to position ${job.upToPosition ?? 'none'}).${uncovered}`;
  const codes = Object.entries(job.problemCounts)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  return `${job.problemCount} problem${job.problemCount === 1 ? '' : 's'} found in ${counts}: ${codes}.${uncovered}`;
}
