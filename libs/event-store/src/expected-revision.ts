import type { ExpectedRevision } from './event-store.port';

/** The current revision of a stream, or undefined when it has no events. */
export type CurrentRevision = bigint | undefined;

/** Whether an append's expectation holds for a stream at `current`. */
export function expectationHolds(expected: ExpectedRevision, current: CurrentRevision): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === undefined;
    case 'stream_exists':
      return current !== undefined;
    default:
      return current !== undefined && current === BigInt(expected);
  }
}

/**
 * Revision `nextExpectedRevision` reports for a stream without events (EventStoreDB reports -1 too).
 * Only an empty append to a missing stream returns it.
 */
export const NO_STREAM_REVISION = -1n;
