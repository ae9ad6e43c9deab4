import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, StreamRevisionConflictError, type EventStore, type JsonObject, type JsonValue } from '@cards/event-store';
import { canonicalJson } from '../shared/canonical-json';
import { CLOCK, type Clock } from '../shared/clock';
import { deterministicUuid } from '../shared/deterministic-id';

/** The answer given to the first request with an Idempotency-Key, kept to answer its retries identically. */
export interface StoredResponse {
  /** SHA-256 of what identifies the request (method, path, body): another body under the same key is refused. */
  readonly requestHash: string;
  readonly statusCode: number;
  readonly body: JsonValue;
  readonly headers: Readonly<Record<string, string>>;
}

const RECORDED = 'IdempotentResponseRecorded';

/**
 * Idempotency records live in the event store itself (stream `idempotency-<sha256(key)>`), so they are as
 * durable as the events they describe, survive restarts and work the same on every backend. The key is
 * hashed: it is caller-chosen text and need not be a valid stream name.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async find(key: string): Promise<StoredResponse | undefined> {
    const events = await this.eventStore.readStream(streamOf(key));
    const recorded = events.find((e) => e.type === RECORDED);
    return recorded ? (recorded.data as unknown as StoredResponse) : undefined;
  }

  /** Keeps the first answer; when another request with this key got there first, returns that one instead. */
  async save(key: string, response: StoredResponse): Promise<StoredResponse> {
    const data: JsonObject = {
      requestHash: response.requestHash,
      statusCode: response.statusCode,
      body: response.body,
      headers: { ...response.headers },
      recordedAt: this.clock.now().toISOString(),
    };
    try {
      await this.eventStore.appendToStream(
        streamOf(key),
        [{ id: deterministicUuid('idempotency', key), type: RECORDED, data, metadata: { schemaVersion: 1 } }],
        { expectedRevision: 'no_stream' },
      );
      return response;
    } catch (error) {
      if (!(error instanceof StreamRevisionConflictError)) throw error;
      return (await this.find(key)) ?? response;
    }
  }
}

export function hashRequest(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`).digest('hex');
}

function streamOf(key: string): string {
  return `idempotency-${createHash('sha256').update(key).digest('hex')}`;
}
