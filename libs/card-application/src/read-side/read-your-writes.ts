import { Inject, Injectable } from '@nestjs/common';
import { parsePosition } from '@cards/event-store';
import { READ_STORE, waitForProjections, type ReadStore } from '@cards/read-store';

/** How long a query waits for projections to reach a `minPosition` before answering 503. */
export const READ_YOUR_WRITES_TIMEOUT_MS = Symbol('READ_YOUR_WRITES_TIMEOUT_MS');

/** The projections a query reads have not yet applied the position the caller asked for. */
export class ProjectionsBehindError extends Error {
  readonly code = 'PROJECTIONS_BEHIND';
  constructor(readonly minPosition: string, readonly projections: readonly string[], readonly waitedMs: number) {
    super(
      `The read models (${projections.join(', ')}) have not reached position ${minPosition} after ${waitedMs} ms; retry shortly`,
    );
    this.name = 'ProjectionsBehindError';
  }
}

/** `minPosition` malformed: not a position this service hands out. */
export class InvalidPositionError extends Error {
  readonly code = 'INVALID_POSITION';
  constructor(readonly value: string) {
    super('minPosition must be a position returned by a command, e.g. "42"');
    this.name = 'InvalidPositionError';
  }
}

/**
 * Read-your-writes for queries on read models: a caller passes the `position` a command returned as
 * `minPosition`, and the query answers only once the projections it reads have applied it.
 */
@Injectable()
export class ReadYourWrites {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(READ_YOUR_WRITES_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  async ensure(minPosition: string | undefined, projections: readonly string[]): Promise<void> {
    if (minPosition === undefined) return;
    let position;
    try {
      position = parsePosition(minPosition);
    } catch {
      throw new InvalidPositionError(minPosition);
    }
    const reached = await waitForProjections(this.readStore, position, projections, this.timeoutMs);
    if (!reached) throw new ProjectionsBehindError(minPosition, projections, this.timeoutMs);
  }
}
