import type { ExpectedRevision } from './event-store.port';

/** The stream was not where the caller expected it: someone else wrote first. */
export class StreamRevisionConflictError extends Error {
  readonly code = 'STREAM_REVISION_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    /** The stream's current revision, or 'no_stream'. */
    readonly actualRevision: bigint | 'no_stream',
  ) {
    super(
      `Stream ${streamId} is at ${String(actualRevision)}, but the append expected ${String(expectedRevision)}`,
    );
    this.name = 'StreamRevisionConflictError';
  }
}

/** The store could not be reached or refused to work (disk full, read-only, server down). Retry later. */
export class EventStoreUnavailableError extends Error {
  readonly code = 'EVENT_STORE_UNAVAILABLE';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}

/**
 * An event id in the append is already stored somewhere other than the place an idempotent retry would
 * have put it (another stream, or another revision), or it appears twice in one append. Event ids are unique
 * in the whole log, so the append cannot go through as it is.
 */
export class DuplicateEventIdError extends Error {
  readonly code = 'DUPLICATE_EVENT_ID';
  constructor(
    readonly eventId: string,
    /** The stream the caller appended to. */
    readonly streamId: string,
    /** Where the id is already stored, when it is stored (absent when the id is repeated within the append). */
    readonly storedAt?: { readonly streamId: string; readonly revision: bigint },
  ) {
    super(
      storedAt
        ? `Event id ${eventId} (append to ${streamId}) is already stored in ${storedAt.streamId} at revision ${String(storedAt.revision)}`
        : `Event id ${eventId} appears more than once in one append to ${streamId}`,
    );
    this.name = 'DuplicateEventIdError';
  }
}
