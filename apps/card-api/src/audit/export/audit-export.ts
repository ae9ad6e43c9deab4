import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '@cards/application';
import {
  AUDIT_STREAM,
  CHECKPOINT_EVENT_TYPE,
  comparePositions,
  EVENT_STORE,
  formatPosition,
  parsePosition,
  type EventStore,
  type Position,
  type RecordedEvent,
} from '@cards/event-store';
import { EXPORT_FORMAT_NAME, EXPORT_FORMAT_VERSION, EXPORT_LINES, type ExportFormat, type ExportHeader } from './export-lines';

/**
 * Which part of the log to export. The export is always one unbroken run of the log in position order (so that
 * every stream in it can be verified from its first exported event on):
 * - position bounds: the events after `fromPosition` (exclusive) up to `toPosition` (inclusive), the way a
 *   checkpoint's (fromPosition, upToPosition] is meant, so one checkpoint's events can be exported exactly;
 * - time bounds, on the store's recordedAt: from the first event recorded at or after `from`, up to (not
 *   including) the first event recorded at or after `to`. The store records events in position order, so this
 *   is every event with from <= recordedAt < to.
 * Both kinds may be given together: the run then satisfies both. Nothing after the log's head when the export
 * began is exported as an event.
 */
export interface ExportRange {
  readonly from?: Date;
  readonly to?: Date;
  readonly fromPosition?: Position;
  readonly toPosition?: Position;
}

/** An export ready to stream: its lines, produced as they are read. */
export interface OpenedExport {
  readonly lines: AsyncGenerator<string, void, undefined>;
}

/** Events read per page of the log: what an export holds in memory at most, whatever the size of the store. */
export const EXPORT_PAGE_SIZE = 500;
/** Checkpoint events read at a time after the range. */
const CHECKPOINT_WINDOW = 50;

/**
 * GET /v1/audit/export: the events of a part of the log with their hashes (in their metadata), and the signed
 * checkpoints that cover them, streamed page by page (docs/audit.md). Checkpoint events inside the range are
 * exported as the events they are; the ones appended after the range whose interval (fromPosition, upToPosition]
 * still overlaps the exported events follow as `checkpoint` lines, so that the newest exported events are covered
 * by a signed head as well.
 */
@Injectable()
export class AuditExport {
  private readonly logger = new Logger(AuditExport.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Reads the log's head and the first page before anything is sent, so that an unreachable store is still an
   * answer (503) rather than a cut-off stream; then the lines are produced as the consumer asks for them.
   */
  async open(range: ExportRange, format: ExportFormat, publicKeys?: ExportHeader['publicKeys']): Promise<OpenedExport> {
    const head = await this.store.headPosition();
    const firstPage = head === null ? [] : await this.readPage(range.fromPosition ?? 'start');
    const header: ExportHeader = {
      kind: 'header',
      format: EXPORT_FORMAT_NAME,
      version: EXPORT_FORMAT_VERSION,
      generatedAt: this.clock.now().toISOString(),
      from: range.from?.toISOString() ?? null,
      to: range.to?.toISOString() ?? null,
      fromPosition: range.fromPosition ? formatPosition(range.fromPosition) : null,
      toPosition: range.toPosition ? formatPosition(range.toPosition) : null,
      headPosition: head === null ? null : formatPosition(head),
      ...(publicKeys && publicKeys.length > 0 && { publicKeys }),
    };
    return { lines: this.produce(range, format, header, head, firstPage) };
  }

  private async *produce(
    range: ExportRange,
    format: ExportFormat,
    header: ExportHeader,
    head: Position | null,
    firstPage: RecordedEvent[],
  ): AsyncGenerator<string, void, undefined> {
    const lines = EXPORT_LINES[format];
    yield lines.start(header);
    let events = 0;
    let checkpoints = 0;
    // The first and last exported events that checkpoints cover (those outside AUDIT_STREAM), and the last of all.
    let first: Position | undefined;
    let last: Position | undefined;
    let lastOfAll: Position | undefined;
    let started = range.from === undefined;
    let page = firstPage;
    try {
      reading: while (page.length > 0 && head !== null) {
        const out: string[] = [];
        let ended = false;
        for (const event of page) {
          if (comparePositions(event.position, head) > 0 || (range.toPosition && comparePositions(event.position, range.toPosition) > 0)) {
            ended = true;
            break;
          }
          if (range.to && event.recordedAt.getTime() >= range.to.getTime()) {
            ended = true;
            break;
          }
          if (!started) {
            if (event.recordedAt.getTime() < range.from!.getTime()) continue;
            started = true;
          }
          out.push(lines.record('event', event));
          events += 1;
          lastOfAll = event.position;
          if (event.streamId !== AUDIT_STREAM) {
            first ??= event.position;
            last = event.position;
          }
        }
        if (out.length > 0) yield out.join('');
        if (ended) break reading;
        page = await this.readPage(page[page.length - 1].position);
      }
      if (first && last && lastOfAll) {
        for await (const checkpoint of this.checkpointsCovering(first, last, lastOfAll)) {
          yield lines.record('checkpoint', checkpoint);
          checkpoints += 1;
        }
      }
    } catch (error) {
      // The answer has begun: all that can be done is to stop it. The missing footer tells the reader.
      this.logger.error({ err: error }, `Audit export stopped after ${events} events: ${(error as Error).message}`);
      throw error;
    }
    yield lines.end({ kind: 'footer', events, checkpoints });
  }

  private readPage(after: Position | 'start'): Promise<RecordedEvent[]> {
    return this.store.readAll({ from: after, maxCount: EXPORT_PAGE_SIZE });
  }

  /**
   * The checkpoint events after `after` (the last exported event: the ones before it were exported as events) whose
   * (fromPosition, upToPosition] overlaps [first, last], in order. Checkpoints follow one another, so the first one
   * that starts at or after `last` ends the search.
   */
  private async *checkpointsCovering(first: Position, last: Position, after: Position): AsyncGenerator<RecordedEvent, void, undefined> {
    let revision = await this.firstAuditRevisionAfter(after);
    while (revision !== null) {
      const window = await this.store.readStream(AUDIT_STREAM, { fromRevision: revision, toRevision: revision + BigInt(CHECKPOINT_WINDOW - 1) });
      if (window.length === 0) return;
      for (const event of window) {
        if (event.type !== CHECKPOINT_EVENT_TYPE) continue;
        const from = positionIn(event.data.fromPosition);
        const upTo = positionIn(event.data.upToPosition);
        if (from === undefined || upTo === undefined || upTo === null) {
          yield event; // malformed: exported as it is, for the verifier to report
          continue;
        }
        if (from !== null && comparePositions(from, last) >= 0) return;
        if (comparePositions(upTo, first) >= 0) yield event;
      }
      revision += BigInt(window.length);
    }
  }

  /** The first revision of the audit stream recorded after `position`, or null: a search over single reads. */
  private async firstAuditRevisionAfter(position: Position): Promise<bigint | null> {
    const isAfter = async (revision: bigint): Promise<boolean> => {
      const [event] = await this.store.readStream(AUDIT_STREAM, { fromRevision: revision, toRevision: revision });
      return event === undefined || comparePositions(event.position, position) > 0; // the end of the stream counts as after
    };
    if (await isAfter(0n)) return (await this.exists(0n)) ? 0n : null;
    let before = 0n;
    let step = 1n;
    let after: bigint;
    for (;;) {
      const probe = before + step;
      if (await isAfter(probe)) {
        after = probe;
        break;
      }
      before = probe;
      step *= 2n;
    }
    while (after - before > 1n) {
      const middle = (before + after) / 2n;
      if (await isAfter(middle)) after = middle;
      else before = middle;
    }
    return (await this.exists(after)) ? after : null;
  }

  private async exists(revision: bigint): Promise<boolean> {
    return (await this.store.readStream(AUDIT_STREAM, { fromRevision: revision, toRevision: revision })).length > 0;
  }
}

/** A position from checkpoint data: null for null, undefined when it is not a position. */
function positionIn(value: unknown): Position | null | undefined {
  if (value === null) return null;
  if (typeof value !== 'string') return undefined;
  try {
    return parsePosition(value);
  } catch {
    return undefined;
  }
}
