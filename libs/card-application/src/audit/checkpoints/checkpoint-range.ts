import { AUDIT_STREAM, byStreamId, HASH_FIELD, isEventHash, type Position, type RecordedEvent, type StreamHead } from '@cards/event-store';

/**
 * What one checkpoint covers, gathered event by event from the global log (in position order) after the previous
 * checkpoint: how many events outside AUDIT_STREAM, the last of them, and the head (last revision and hash) of
 * every stream they belong to. AUDIT_STREAM's own events are skipped: checkpoints chain each other.
 *
 * One checkpoint names at most `maxStreams` streams, so that its event stays small (EventStoreDB refuses appends
 * over 1 MiB by default; a head is ~130 bytes): `add` refuses the first event of one stream too many, and the
 * events from there on go into the next checkpoint.
 */
export class CheckpointRange {
  private readonly heads = new Map<string, StreamHead>();
  private count = 0;
  private last: Position | null = null;

  constructor(private readonly maxStreams = Number.POSITIVE_INFINITY) {}

  /** Takes the next event of the log. False (and nothing taken) when its stream would be one too many. */
  add(event: RecordedEvent): boolean {
    if (event.streamId === AUDIT_STREAM) return true;
    const known = this.heads.has(event.streamId);
    if (!known && this.heads.size >= this.maxStreams) return false;
    this.count += 1;
    this.last = event.position;
    const hash = event.metadata[HASH_FIELD];
    // An event written before streams were chained has no hash to sign; verification reports it as UNCHAINED.
    if (isEventHash(hash) && event.revision <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.heads.set(event.streamId, { streamId: event.streamId, revision: Number(event.revision), hash });
    } else if (!known) {
      this.heads.set(event.streamId, { streamId: event.streamId, revision: -1, hash: '' });
    }
    return true;
  }

  /** Events outside AUDIT_STREAM taken so far. */
  get eventCount(): number {
    return this.count;
  }

  /** The position of the last event taken (the checkpoint's upToPosition), null when none was. */
  get upToPosition(): Position | null {
    return this.last;
  }

  /** The head of every stream changed, sorted by streamId as checkpoints list them. */
  streams(): StreamHead[] {
    return [...this.heads.values()].filter((head) => head.revision >= 0).sort(byStreamId);
  }
}
