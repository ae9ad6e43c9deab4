import type { EventStoreDbEventStore, EventStoreDbEventStoreOptions } from './eventstoredb-event-store';

/**
 * EventStoreDbEventStore.connect, with the adapter and its gRPC client (@eventstore/db-client, @grpc/grpc-js,
 * protobuf) loaded only now: a process on the embedded SQLite store never loads them. A relative import, so that
 * the compiled `dist` resolves it without the `@cards/...` aliases (nest build rewrites only static imports).
 */
export async function connectEventStoreDb(connectionString: string, options?: EventStoreDbEventStoreOptions): Promise<EventStoreDbEventStore> {
  const { EventStoreDbEventStore } = await import('./eventstoredb-event-store');
  return EventStoreDbEventStore.connect(connectionString, options);
}
