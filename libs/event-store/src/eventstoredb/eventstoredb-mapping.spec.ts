import {
  DeadlineExceededError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { EventStoreUnavailableError, StreamRevisionConflictError } from '../errors';
import {
  appendOptions,
  fromEsdbEvent,
  fromEsdbPosition,
  isStreamNotFound,
  isSystemEventType,
  toActualRevision,
  toEsdbExpectedRevision,
  toEsdbReadPosition,
  toPortError,
} from './eventstoredb-mapping';

describe('EventStoreDB mapping helpers', () => {
  describe('expected revision', () => {
    it.each([
      ['any', 'any'],
      ['no_stream', 'no_stream'],
      ['stream_exists', 'stream_exists'],
      [0n, 0n],
      [41n, 41n],
    ] as const)('maps %p to %p', (port, esdb) => {
      expect(toEsdbExpectedRevision(port)).toBe(esdb);
    });

    it('puts it under the option name of @eventstore/db-client 6.x', () => {
      expect(appendOptions(7n)).toEqual({ expectedRevision: 7n });
    });
  });

  describe('errors', () => {
    const context = { streamId: 'card-1', expected: 3n as const, operation: 'append to card-1' };

    it('maps WrongExpectedVersionError to StreamRevisionConflictError with the actual revision', () => {
      const wrong = new WrongExpectedVersionError(undefined, { streamName: 'card-1', expected: 3n, current: 5n });
      const mapped = toPortError(wrong, context);
      expect(mapped).toBeInstanceOf(StreamRevisionConflictError);
      expect(mapped).toMatchObject({ streamId: 'card-1', expectedRevision: 3n, actualRevision: 5n });
    });

    it("reports a missing stream as actual 'no_stream' (however the server spells it)", () => {
      const missing = new WrongExpectedVersionError(undefined, { streamName: 'card-1', expected: 3n, current: 'no_stream' });
      expect(toPortError(missing, context)).toMatchObject({ actualRevision: 'no_stream' });
      expect(toActualRevision(-1n)).toBe('no_stream');
      expect(toActualRevision(undefined)).toBe('no_stream');
      expect(toActualRevision(0n)).toBe(0n);
    });

    it('maps UnavailableError and DeadlineExceededError to EventStoreUnavailableError', () => {
      for (const error of [new UnavailableError(undefined, '14 UNAVAILABLE: No connection established'), new DeadlineExceededError()]) {
        const mapped = toPortError(error, context);
        expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
        expect((mapped as EventStoreUnavailableError).cause).toBe(error);
      }
    });

    it('maps the plain gRPC errors appendToStream lets through when the server is down', () => {
      const withCode = Object.assign(new Error('connection dropped'), { code: 14 });
      const byMessage = new Error('14 UNAVAILABLE: No connection established');
      expect(toPortError(withCode, context)).toBeInstanceOf(EventStoreUnavailableError);
      expect(toPortError(byMessage, context)).toBeInstanceOf(EventStoreUnavailableError);
    });

    it('passes other errors through unchanged', () => {
      const notFound = new StreamNotFoundError(undefined, 'card-1');
      const bug = new TypeError('Do not know how to serialize a BigInt');
      expect(toPortError(notFound, context)).toBe(notFound);
      expect(toPortError(bug, context)).toBe(bug);
      expect(isStreamNotFound(notFound)).toBe(true);
      expect(isStreamNotFound(bug)).toBe(false);
    });
  });

  describe('positions and events', () => {
    it('converts read positions and server positions', () => {
      expect(toEsdbReadPosition('start')).toBe('start');
      expect(toEsdbReadPosition({ commit: 10n, prepare: 8n })).toEqual({ commit: 10n, prepare: 8n });
      expect(fromEsdbPosition({ commit: 10n, prepare: 8n })).toEqual({ commit: 10n, prepare: 8n });
    });

    it('recognises system event types', () => {
      expect(isSystemEventType('$metadata')).toBe(true);
      expect(isSystemEventType('CardIssued')).toBe(false);
    });

    it('converts a recorded JSON event', () => {
      const created = new Date('2025-01-02T03:04:05.678Z');
      const event = fromEsdbEvent({
        streamId: 'card-1',
        id: '6f1c3f1e-59b5-4b7e-9d1b-3d2a1b0c9e8f',
        revision: 4n,
        type: 'CardIssued',
        data: { product: 'debit' },
        metadata: { schemaVersion: 1 },
        isJson: true,
        created,
        position: { commit: 200n, prepare: 190n },
      });
      expect(event).toEqual({
        id: '6f1c3f1e-59b5-4b7e-9d1b-3d2a1b0c9e8f',
        streamId: 'card-1',
        revision: 4n,
        position: { commit: 200n, prepare: 190n },
        type: 'CardIssued',
        data: { product: 'debit' },
        metadata: { schemaVersion: 1 },
        recordedAt: created,
      });
    });

    it('gives events without metadata an empty object, and keeps non-object data', () => {
      const base = {
        streamId: 'card-1',
        id: '6f1c3f1e-59b5-4b7e-9d1b-3d2a1b0c9e8f',
        revision: 0n,
        type: 'Legacy',
        isJson: true as const,
        created: new Date(0),
        metadata: undefined,
      };
      expect(fromEsdbEvent({ ...base, data: 'text' }, { commit: 1n, prepare: 1n })).toMatchObject({
        data: { value: 'text' },
        metadata: {},
        position: { commit: 1n, prepare: 1n },
      });
    });
  });
});
