import type { JsonObject } from '@cards/event-store';

/** An event as the domain sees it: its type and its data in clear. */
export interface DomainEventShape {
  readonly type: string;
  readonly data: object;
}

/**
 * Turns domain events into what is stored and back, at the edge of the event store: the place where personal
 * data is encrypted before it is written and decrypted after it is read, so the domain only ever sees clear
 * values and the store only ever holds protected ones.
 */
export interface EventCodec {
  encode(streamId: string, event: DomainEventShape): Promise<JsonObject>;
  decode(streamId: string, type: string, data: JsonObject): Promise<object>;
}

export const EVENT_CODEC = Symbol('EVENT_CODEC');

/** Stores events as they are (tests of the plumbing, and streams with nothing to protect). */
export const plainEventCodec: EventCodec = {
  encode: async (_streamId, event) => event.data as JsonObject,
  decode: async (_streamId, _type, data) => data,
};
