import type { KeyObject } from 'node:crypto';
import {
  AUDIT_STREAM,
  ChainVerifier,
  CHECKPOINT_EVENT_TYPE,
  checkCheckpoint,
  comparePositions,
  formatPosition,
  GENESIS_HASH,
  HASH_FIELD,
  parsePosition,
  type ChainProblemCode,
  type CheckpointProblemCode,
  type EventStore,
  type Position,
  type ReadAllFrom,
  type RecordedEvent,
  type SignedCheckpoint,
  type StoredEvent,
} from '@cards/event-store';

/**
 * Everything a full verification can report. Each problem names the stream and the revision where it is:
 * - the per-stream hash chain (ChainVerifier): FIRST_REVISION_NOT_ZERO, REVISION_GAP, REVISION_OUT_OF_ORDER,
 *   UNCHAINED, PREV_HASH_MISMATCH, HASH_MISMATCH, UNHASHABLE, at the first bad revision of the stream;
 * - each checkpoint on its own (checkCheckpoint): MALFORMED_CHECKPOINT, UNKNOWN_SIGNING_KEY, BAD_CHECKPOINT_HASH,
 *   BAD_SIGNATURE, and against the one before it and the log: CHECKPOINT_NUMBER_GAP (not numbered one more),
 *   CHECKPOINT_LINK_BROKEN (previousCheckpointHash or fromPosition is not the previous checkpoint's checkpointHash
 *   or upToPosition), CHECKPOINT_RANGE_MISMATCH (upToPosition is not a position between the previous one and the
 *   checkpoint itself), EVENT_COUNT_MISMATCH (the log holds another number of events in the range than the
 *   checkpoint signed), at the checkpoint's own revision in AUDIT_STREAM;
 * - the signed heads against the streams as they are now: STREAM_MISSING (no event of the stream is left; the
 *   signed revision), STREAM_TRUNCATED (the stream ends before the signed revision; the first revision missing),
 *   HEAD_MISMATCH (the event at the signed revision is another one, or none; that revision).
 * The codes are those of docs/verify_audit_export.py where both check the same thing.
 */
export type VerificationProblemCode =
  | Exclude<ChainProblemCode, 'STREAM_MISMATCH'>
  | CheckpointProblemCode
  | 'CHECKPOINT_NUMBER_GAP'
  | 'CHECKPOINT_LINK_BROKEN'
  | 'CHECKPOINT_RANGE_MISMATCH'
  | 'EVENT_COUNT_MISMATCH'
  | 'STREAM_MISSING'
  | 'STREAM_TRUNCATED'
  | 'HEAD_MISMATCH';

export interface VerificationProblem {
  readonly code: VerificationProblemCode;
  readonly streamId: string;
  readonly revision: number;
  readonly message: string;
  /** The global position of the event where it was found, when there is one. */
  readonly position?: string;
  /** The checkpoint concerned: the one found wrong, or the one whose signed head the stream no longer holds. */
  readonly checkpoint?: number;
}

export interface LogVerificationProgress {
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly checkpointsChecked: number;
  readonly problemCount: number;
  /** The position of the last event checked. */
  readonly position: Position | null;
}

export interface LogVerificationReport {
  readonly ok: boolean;
  /** Every event of the log up to `upToPosition`, checkpoints included. */
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly checkpointsChecked: number;
  /** Streams whose head some valid checkpoint signed, each checked against the stream as it is. */
  readonly signedHeadsChecked: number;
  /** The number of the last checkpoint, null when there is none. */
  readonly lastCheckpoint: number | null;
  /** Events outside AUDIT_STREAM after the last checkpoint's range: protected by their chains only, until the next. */
  readonly eventsAfterLastCheckpoint: number;
  /** The head of the log when the verification started: it covers the log up to there. Null for an empty log. */
  readonly upToPosition: string | null;
  readonly problemCount: number;
  /** The first `maxListedProblems` problems, in the order found. */
  readonly problems: readonly VerificationProblem[];
  /** How many problems of each code. */
  readonly problemCounts: Readonly<Partial<Record<VerificationProblemCode, number>>>;
}

export interface LogVerificationOptions {
  /** The keys checkpoints may be signed with: the current signing key's and former ones. */
  readonly publicKeys: readonly KeyObject[];
  /** Events per readAll page (default 1000). */
  readonly pageSize?: number;
  /** Problems listed at most (all are counted). Default 1000. */
  readonly maxListedProblems?: number;
  /** Called after each page. Throwing from it stops the verification with that error. */
  readonly onProgress?: (progress: LogVerificationProgress) => void;
}

/**
 * What the log must answer: the walk reads pages of the global log (as stored text when the store can give it,
 * readAllStored), and single events of a stream at the end.
 */
export type VerifiedLog = Pick<EventStore, 'readAll' | 'readAllStored' | 'readStream' | 'headPosition'>;

/** An event of the walk: as stored (readAllStored) or as read (readAll, from a store that keeps no text). */
type WalkedEvent = StoredEvent | RecordedEvent;

interface SignedHead {
  readonly revision: number;
  readonly hash: string;
  readonly checkpoint: number;
}

interface PreviousCheckpoint {
  readonly checkpoint: number;
  readonly checkpointHash: string;
  readonly upToPosition: string;
}

const EXTRA_PAGE = 64;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const SIGNATURE_PROBLEMS: Record<Exclude<CheckpointProblemCode, 'MALFORMED_CHECKPOINT'>, (keyId: string) => string> = {
  UNKNOWN_SIGNING_KEY: (keyId) => `signed with key ${keyId}, which is neither AUDIT_SIGNING_KEY's nor among AUDIT_PUBLIC_KEYS, so its signature cannot be checked`,
  BAD_CHECKPOINT_HASH: () => 'checkpointHash is not the hash of its contents: they were changed after it was signed',
  BAD_SIGNATURE: (keyId) => `the Ed25519 signature does not verify under key ${keyId}: its contents were changed after it was signed`,
};

/**
 * Verifies the whole log in one pass in position order, up to its head when the pass starts: every stream's hash
 * chain (constant memory per stream: the last revision and hash), every checkpoint's signature and its links to
 * the one before, and the number of events each checkpoint covers. Then each stream is compared with the last
 * head a valid checkpoint signed for it, which shows events deleted from the end of a stream, or a whole stream.
 */
export async function verifyLog(log: VerifiedLog, options: LogVerificationOptions): Promise<LogVerificationReport> {
  return new LogWalk(log, options).run();
}

class LogWalk {
  private readonly chains = new ChainVerifier();
  /** The highest revision seen of each stream whose chain broke (the others' is their verified head's). */
  private readonly lastRevisionOfFailed = new Map<string, bigint>();
  private streamsChecked = 0;
  /** The latest head a valid checkpoint signed for each stream. */
  private readonly signedHeads = new Map<string, SignedHead>();
  private readonly problems: VerificationProblem[] = [];
  private readonly problemCounts: Partial<Record<VerificationProblemCode, number>> = {};
  private problemCount = 0;
  private eventsChecked = 0;
  private checkpointsChecked = 0;
  private previous: PreviousCheckpoint | null = null;
  /** Where the last checkpoint's range ended (its upToPosition): events after it are counted towards the next. */
  private boundary: Position | null = null;
  /** Events outside AUDIT_STREAM after `boundary`, up to the event being checked. */
  private sinceBoundary = 0;
  private readonly pageSize: number;
  private readonly maxListed: number;

  constructor(
    private readonly log: VerifiedLog,
    private readonly options: LogVerificationOptions,
  ) {
    this.pageSize = options.pageSize ?? 1000;
    this.maxListed = options.maxListedProblems ?? 1000;
  }

  async run(): Promise<LogVerificationReport> {
    const head = await this.log.headPosition();
    let from: ReadAllFrom = 'start';
    let position: Position | null = null;
    while (head !== null) {
      const page = await this.readPage(from, this.pageSize);
      let reachedHead = page.length < this.pageSize;
      for (const event of page) {
        if (comparePositions(event.position, head) > 0) {
          reachedHead = true;
          break;
        }
        // Synchronous but for checkpoints: no promise per event (in card-api each one also runs the async hooks).
        const checkpoint = this.check(event);
        if (checkpoint !== undefined) await checkpoint;
        position = event.position;
      }
      if (position !== null && comparePositions(position, head) >= 0) reachedHead = true;
      this.options.onProgress?.({
        eventsChecked: this.eventsChecked,
        streamsChecked: this.streamsChecked,
        checkpointsChecked: this.checkpointsChecked,
        problemCount: this.problemCount,
        position,
      });
      if (reachedHead || page.length === 0) break;
      from = page[page.length - 1].position;
      // The embedded store answers synchronously: let the process serve requests (progress) between pages.
      await nextTurn();
    }
    await this.checkSignedHeads();
    return {
      ok: this.problemCount === 0,
      eventsChecked: this.eventsChecked,
      streamsChecked: this.streamsChecked,
      checkpointsChecked: this.checkpointsChecked,
      signedHeadsChecked: this.signedHeads.size,
      lastCheckpoint: this.previous?.checkpoint ?? null,
      eventsAfterLastCheckpoint: this.sinceBoundary,
      upToPosition: head === null ? null : formatPosition(head),
      problemCount: this.problemCount,
      problems: this.problems,
      problemCounts: this.problemCounts,
    };
  }

  /** Checks one event; a checkpoint's checks read the log, so for a checkpoint it returns their promise. */
  private check(event: WalkedEvent): Promise<void> | undefined {
    this.eventsChecked += 1;
    const { streamId, revision } = event;
    const head = this.chains.headOf(streamId);
    const failedBefore = this.lastRevisionOfFailed.get(streamId);
    if (head === undefined && failedBefore === undefined) this.streamsChecked += 1;
    const failure = isStored(event) ? this.chains.checkStored(event) : this.chains.check(event);
    if (failure !== undefined || failedBefore !== undefined) {
      let last = failedBefore ?? head?.revision ?? revision;
      if (revision > last) last = revision;
      this.lastRevisionOfFailed.set(streamId, last);
    }
    if (failure) {
      this.report({
        code: failure.problem.code as VerificationProblemCode,
        streamId: failure.streamId,
        revision: Number(failure.firstBadRevision),
        message: failure.problem.message,
        position: formatPosition(event.position),
      });
    }
    if (event.streamId !== AUDIT_STREAM) {
      this.sinceBoundary += 1;
      return;
    }
    return event.type === CHECKPOINT_EVENT_TYPE ? this.checkCheckpoint(event) : undefined;
  }

  private async checkCheckpoint(event: WalkedEvent): Promise<void> {
    this.checkpointsChecked += 1;
    const at = { streamId: AUDIT_STREAM, revision: Number(event.revision), position: formatPosition(event.position) };
    const data = isStored(event) ? parsedOrUndefined(event.dataText) : event.data;
    const invalid = checkCheckpoint(data, this.options.publicKeys);
    if (invalid?.code === 'MALFORMED_CHECKPOINT') {
      this.report({ ...at, code: invalid.code, message: `${AUDIT_STREAM}@${at.revision}: ${invalid.message}` });
      return;
    }
    const checkpoint = data as unknown as SignedCheckpoint;
    const number = checkpoint.checkpoint;
    const problem = (code: VerificationProblemCode, message: string) => this.report({ ...at, code, checkpoint: number, message: `Checkpoint ${number} (${AUDIT_STREAM}@${at.revision}): ${message}` });
    if (invalid !== null) problem(invalid.code, SIGNATURE_PROBLEMS[invalid.code as Exclude<CheckpointProblemCode, 'MALFORMED_CHECKPOINT'>](checkpoint.keyId));

    const previous = this.previous;
    const expectedNumber = previous === null ? 1 : previous.checkpoint + 1;
    if (number !== expectedNumber) {
      problem('CHECKPOINT_NUMBER_GAP', `numbered ${number}, but ${previous === null ? 'it is the first checkpoint' : `the one before it is ${previous.checkpoint}`}, so it should be ${expectedNumber}`);
    }
    const expectedLink = previous === null ? GENESIS_HASH : previous.checkpointHash;
    if (checkpoint.previousCheckpointHash !== expectedLink) {
      problem(
        'CHECKPOINT_LINK_BROKEN',
        previous === null
          ? `previousCheckpointHash ${checkpoint.previousCheckpointHash} is not the genesis value, yet no checkpoint comes before it`
          : `previousCheckpointHash ${checkpoint.previousCheckpointHash} is not the hash of checkpoint ${previous.checkpoint} (${previous.checkpointHash})`,
      );
    }
    const expectedFrom = previous === null ? null : previous.upToPosition;
    if (checkpoint.fromPosition !== expectedFrom) {
      problem('CHECKPOINT_LINK_BROKEN', `fromPosition ${String(checkpoint.fromPosition)} is not ${expectedFrom === null ? 'null (the first checkpoint covers the log from its start)' : `the upToPosition of checkpoint ${previous!.checkpoint} (${expectedFrom})`}`);
    }
    await this.checkRange(checkpoint, event.position, problem);
    this.previous = { checkpoint: number, checkpointHash: checkpoint.checkpointHash, upToPosition: checkpoint.upToPosition };

    // The heads of a checkpoint whose signature does not hold prove nothing: the ones signed before stay.
    if (invalid !== null) return;
    for (const head of checkpoint.streams) {
      this.signedHeads.set(head.streamId, { revision: head.revision, hash: head.hash, checkpoint: number });
    }
  }

  /** That the checkpoint covers exactly the events in (boundary, upToPosition], and moves the boundary there. */
  private async checkRange(checkpoint: SignedCheckpoint, at: Position, problem: (code: VerificationProblemCode, message: string) => void): Promise<void> {
    let upTo: Position;
    try {
      upTo = parsePosition(checkpoint.upToPosition);
    } catch {
      problem('CHECKPOINT_RANGE_MISMATCH', `upToPosition "${checkpoint.upToPosition}" is not a log position`);
      return;
    }
    if (comparePositions(upTo, at) >= 0 || (this.boundary !== null && comparePositions(upTo, this.boundary) < 0)) {
      problem(
        'CHECKPOINT_RANGE_MISMATCH',
        `upToPosition ${checkpoint.upToPosition} is not between the previous checkpoint's range (${this.boundary === null ? 'the start' : formatPosition(this.boundary)}) and the checkpoint itself (${formatPosition(at)})`,
      );
      return;
    }
    // Events after upToPosition and before the checkpoint belong to the next range (they were written while it was signed).
    const later = await this.eventsBetween(upTo, at);
    const covered = this.sinceBoundary - later;
    if (covered !== checkpoint.eventCount) {
      problem(
        'EVENT_COUNT_MISMATCH',
        `it signed ${checkpoint.eventCount} events after ${this.boundary === null ? 'the start of the log' : `position ${formatPosition(this.boundary)}`} up to position ${checkpoint.upToPosition}, ` +
          `but the log holds ${covered} there: events were ${covered < checkpoint.eventCount ? 'deleted' : 'added'} in that range`,
      );
    }
    this.boundary = upTo;
    this.sinceBoundary = later;
  }

  /**
   * A page of the log as stored where the store can give it (the embedded store hands over the text it hashed, which
   * the chain check hashes as it is, and builds no events), else as read.
   */
  private async readPage(from: ReadAllFrom, maxCount: number): Promise<readonly WalkedEvent[]> {
    const options = { from, maxCount };
    return this.log.readAllStored ? this.log.readAllStored(options) : this.log.readAll(options);
  }

  /** Events outside AUDIT_STREAM strictly after `after` and before `before` (usually none or a few). */
  private async eventsBetween(after: Position, before: Position): Promise<number> {
    let count = 0;
    let from: Position = after;
    for (;;) {
      const page = await this.readPage(from, EXTRA_PAGE);
      for (const event of page) {
        if (comparePositions(event.position, before) >= 0) return count;
        if (event.streamId !== AUDIT_STREAM) count += 1;
      }
      if (page.length < EXTRA_PAGE) return count;
      from = page[page.length - 1].position;
    }
  }

  /** Each stream against the last head a valid checkpoint signed for it. */
  private async checkSignedHeads(): Promise<void> {
    for (const [streamId, signed] of this.signedHeads) {
      const signedAt = `checkpoint ${signed.checkpoint} signed its head at revision ${signed.revision}`;
      const last = this.chains.headOf(streamId)?.revision ?? this.lastRevisionOfFailed.get(streamId);
      const problem = (code: VerificationProblemCode, revision: number, message: string) =>
        this.report({ code, streamId, revision, checkpoint: signed.checkpoint, message: `${streamId}: ${message}` });
      if (last === undefined) {
        problem('STREAM_MISSING', signed.revision, `the stream is gone, but ${signedAt}: revisions 0 to ${signed.revision} were deleted`);
        continue;
      }
      if (last < BigInt(signed.revision)) {
        problem('STREAM_TRUNCATED', Number(last) + 1, `the stream ends at revision ${String(last)}, but ${signedAt}: revisions ${Number(last) + 1} to ${signed.revision} were deleted`);
        continue;
      }
      const hash = await this.hashAt(streamId, signed.revision);
      if (hash === undefined) {
        problem('HEAD_MISMATCH', signed.revision, `no event is left at revision ${signed.revision}, but ${signedAt}`);
      } else if (hash !== signed.hash) {
        problem('HEAD_MISMATCH', signed.revision, `the event at revision ${signed.revision} has hash ${String(hash)}, but ${signedAt} with hash ${signed.hash}`);
      }
    }
  }

  /** The stored hash of a stream's event: from the walk when it is the last one verified, else read. */
  private async hashAt(streamId: string, revision: number): Promise<unknown> {
    const verified = this.chains.headOf(streamId);
    if (verified !== undefined && verified.revision === BigInt(revision)) return verified.hash;
    const at = BigInt(revision);
    const [event] = await this.log.readStream(streamId, { fromRevision: at, toRevision: at });
    return event === undefined ? undefined : event.metadata[HASH_FIELD];
  }

  private report(problem: VerificationProblem): void {
    this.problemCount += 1;
    this.problemCounts[problem.code] = (this.problemCounts[problem.code] ?? 0) + 1;
    if (this.problems.length < this.maxListed) this.problems.push(problem);
  }
}

const isStored = (event: WalkedEvent): event is StoredEvent => 'dataText' in event;

/** The JSON value of a stored text; undefined when it is not JSON (checkCheckpoint then finds it malformed). */
function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
