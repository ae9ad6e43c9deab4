import { DuplicateEventIdError } from './errors';
import type { EventToAppend } from './event-store.port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks what both adapters require of an append and returns the events with ids in lower case (the form
 * EventStoreDB returns them in), so an id compares equal however the caller spelled it.
 * Throws a TypeError for a programming error (an id that is not a UUID, an empty type or stream name) and
 * DuplicateEventIdError for an id repeated within the append.
 */
export function normaliseEventsToAppend(streamId: string, events: readonly EventToAppend[]): EventToAppend[] {
  if (streamId.length === 0) throw new TypeError('appendToStream: the stream id is empty');
  const seen = new Set<string>();
  return events.map((event) => {
    if (!UUID.test(event.id)) {
      throw new TypeError(`appendToStream(${streamId}): event id "${event.id}" is not a UUID`);
    }
    if (event.type.length === 0) {
      throw new TypeError(`appendToStream(${streamId}): event ${event.id} has an empty type`);
    }
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new DuplicateEventIdError(id, streamId);
    seen.add(id);
    return id === event.id ? event : { ...event, id };
  });
}
