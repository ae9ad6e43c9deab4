import type { RecordedEvent } from '@cards/event-store';
import type { CollectionDefinition, ReadDocument, WriteOp } from '../read-store.port';

/** What a projection may read while it decides its writes: the store as it will be once earlier writes land. */
export interface ProjectionView {
  get(collection: string, id: string): Promise<ReadDocument | null>;
}

/**
 * A projection turns events into writes on its own collections. It is written once against the ReadStore port
 * and runs the same on SQLite and MongoDB. It must be deterministic: a rebuild from position zero gives the
 * same documents as the live run.
 */
export interface Projection {
  readonly name: string;
  readonly collections: readonly CollectionDefinition[];
  /**
   * The version of what `project` writes (default 1). Raise it when a change of `project` changes documents already
   * written (a new field, another id, a different value): the runner rebuilds the projection from zero on start, so
   * no document of the old code stays behind. A change that only adds an index, or only affects events not yet
   * written, needs none.
   */
  readonly version?: number;
  /**
   * The writes one event causes; [] for events it does not care about. The runner hands the same event object to
   * every projection (one reader of the log, `SharedLog`): it is deep-frozen, and must not be changed (its
   * `recordedAt` Date included). Values taken from it may go into the writes as they are. The documents the view
   * gives are the projection's own copies.
   */
  project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]>;
}

/** The version a projection declares: `version`, or 1 when it declares none. */
export function projectionVersionOf(projection: Projection): number {
  return projection.version ?? 1;
}
