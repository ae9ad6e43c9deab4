import type { JsonObject, JsonValue } from '@cards/event-store';
import type { ReadDocument, ReadStore, WriteOp } from '../read-store.port';

/**
 * Reads through the store plus the writes already decided in the current batch, so that a projection sees
 * the effect of the batch's earlier events before they are committed together.
 */
export class BatchView {
  private readonly pending = new Map<string, ReadDocument | null>();

  constructor(private readonly store: Pick<ReadStore, 'get'>) {}

  async get(collection: string, id: string): Promise<ReadDocument | null> {
    const key = `${collection}\u0000${id}`;
    if (this.pending.has(key)) return clone(this.pending.get(key) ?? null);
    const stored = await this.store.get(collection, id);
    this.pending.set(key, stored);
    return clone(stored);
  }

  /** Records the effect of ops the projection returned, with the same meaning the adapters give them. */
  async apply(ops: readonly WriteOp[]): Promise<void> {
    for (const op of ops) {
      const key = `${op.collection}\u0000${op.id}`;
      const current = this.pending.has(key) ? this.pending.get(key) ?? null : await this.store.get(op.collection, op.id);
      this.pending.set(key, applyOp(current, op));
    }
  }
}

export function applyOp(current: ReadDocument | null, op: WriteOp): ReadDocument | null {
  switch (op.kind) {
    case 'delete':
      return null;
    case 'upsert': {
      const next: Record<string, JsonValue> = { ...(current ?? { _id: op.id }), ...op.set, _id: op.id };
      for (const field of op.unset ?? []) delete next[field];
      return next as ReadDocument;
    }
    case 'increment': {
      const next: Record<string, JsonValue> = { ...(current ?? { _id: op.id }) };
      for (const [field, by] of Object.entries(op.by)) next[field] = Number(next[field] ?? 0) + by;
      return next as ReadDocument;
    }
  }
}

function clone(doc: ReadDocument | null): ReadDocument | null {
  return doc === null ? null : (structuredClone(doc) as JsonObject as ReadDocument);
}
