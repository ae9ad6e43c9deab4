/**
 * Pure translations between the port and @eventstore/db-client 6.2.1. The two things that change in
 * @kurrent/kurrentdb-client (the append option's name and the conflict error's field names, BACKENDS.md §B)
 * live in `appendOptions` and `conflictRevisions`, and nowhere else.
 */
import {
  ANY,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendToStreamOptions,
  ErrorType,
  isCommandError,
  NO_STREAM,
  type Position as EsdbPosition,
  type ReadPosition,
  START,
  STREAM_EXISTS,
  type WrongExpectedVersionError,
} from '@eventstore/db-client';
import { EventStoreUnavailableError, StreamRevisionConflictError } from '../errors';
import type { ExpectedRevision, JsonObject, Position, ReadAllFrom, RecordedEvent } from '../event-store.port';

/** gRPC status codes that mean "the server cannot be reached or did not answer in time". */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** Shim 1 of 2: kurrentdb-client calls this option `streamState`. */
export function appendOptions(expected: ExpectedRevision): AppendToStreamOptions {
  return { expectedRevision: toEsdbExpectedRevision(expected) };
}

/** Shim 2 of 2: kurrentdb-client names these fields `expectedState` / `actualState`. */
export function conflictRevisions(error: WrongExpectedVersionError): { expected: unknown; actual: unknown } {
  return { expected: error.expectedVersion, actual: error.actualVersion };
}

/** The server's "current revision" as the port reports it: -1 (or nothing) means the stream does not exist. */
export function toActualRevision(actual: unknown): bigint | 'no_stream' {
  if (typeof actual === 'bigint') return actual < 0n ? 'no_stream' : actual;
  if (typeof actual === 'number' && Number.isInteger(actual)) return actual < 0 ? 'no_stream' : BigInt(actual);
  return 'no_stream';
}

export function toEsdbReadPosition(from: ReadAllFrom): ReadPosition {
  return from === 'start' ? START : { commit: from.commit, prepare: from.prepare };
}

export function fromEsdbPosition(position: EsdbPosition): Position {
  return { commit: BigInt(position.commit), prepare: BigInt(position.prepare) };
}

function hasCode(error: unknown): error is { code: unknown; message?: unknown } {
  return typeof error === 'object' && error !== null && 'code' in error;
}

/** True for the client's UnavailableError / DeadlineExceededError and for the plain gRPC errors it sometimes lets through. */
export function isEsdbUnavailable(error: unknown): boolean {
  if (error instanceof Error && isCommandError(error)) {
    return error.type === ErrorType.UNAVAILABLE || error.type === ErrorType.DEADLINE_EXCEEDED;
  }
  if (hasCode(error) && (error.code === GRPC_UNAVAILABLE || error.code === GRPC_DEADLINE_EXCEEDED)) return true;
  const message = error instanceof Error ? error.message : '';
  return message.startsWith('14 UNAVAILABLE') || message.startsWith('4 DEADLINE_EXCEEDED');
}

export function isWrongExpectedVersion(error: unknown): error is WrongExpectedVersionError {
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.WRONG_EXPECTED_VERSION;
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.STREAM_NOT_FOUND;
}

export function isAccessDenied(error: unknown): boolean {
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.ACCESS_DENIED;
}

/**
 * Maps a client error to the port's errors: a conflict to StreamRevisionConflictError, "cannot reach the server"
 * to EventStoreUnavailableError. Everything else is returned unchanged.
 */
export function toPortError(error: unknown, context: { streamId?: string; expected?: ExpectedRevision; operation: string }): unknown {
  if (isWrongExpectedVersion(error) && context.streamId !== undefined) {
    const { actual } = conflictRevisions(error);
    return new StreamRevisionConflictError(context.streamId, context.expected ?? 'any', toActualRevision(actual));
  }
  if (isEsdbUnavailable(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new EventStoreUnavailableError(`EventStoreDB cannot ${context.operation} now: ${reason}`, error);
  }
  return error;
}

export function isSystemEventType(type: string): boolean {
  return type.startsWith('$');
}

/** JSON events come back parsed; anything else (binary, or a JSON array/string) is wrapped so no data is lost. */
function toJsonObject(value: unknown): JsonObject {
  if (value === undefined || value === null) return {};
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
  return { value: value as JsonObject[string] };
}

type EsdbRecordedEvent = NonNullable<AllStreamResolvedEvent['event']>;
type EsdbStreamEvent = Omit<EsdbRecordedEvent, 'position'> & { position?: EsdbPosition };

/**
 * Converts an event read from the server. `position` is the event's $all position: always present on $all
 * reads and subscriptions; for single-stream reads the caller passes a fallback (BACKENDS.md §A, Go#88).
 */
export function fromEsdbEvent(event: EsdbStreamEvent, fallbackPosition?: Position): RecordedEvent {
  const position = event.position ? fromEsdbPosition(event.position) : fallbackPosition;
  if (!position) throw new Error(`EventStoreDB returned event ${event.id} without a position`);
  return {
    id: event.id,
    streamId: event.streamId,
    revision: BigInt(event.revision),
    position,
    type: event.type,
    data: toJsonObject(event.data),
    metadata: toJsonObject(event.metadata),
    recordedAt: event.created instanceof Date ? event.created : new Date(event.created as unknown as string),
  };
}
