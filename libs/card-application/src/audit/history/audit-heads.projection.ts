import type { JsonObject, RecordedEvent } from '@cards/event-store';
import { AUDIT_STREAM, CHECKPOINT_EVENT_TYPE } from '@cards/event-store';
import type { Projection, WriteOp } from '@cards/read-store';

export const AUDIT_HEADS = 'audit_heads';

/**
 * For each stream, the latest signed checkpoint that names it: which checkpoint, where that checkpoint event is in
 * the audit stream, and the head it signed. Only an index to find the checkpoint quickly: whoever uses it reads the
 * checkpoint event itself and checks its hash and signature, so a tampered index can hide a checkpoint (the full
 * verification, which reads every checkpoint, still finds it) but never make a bad stream look good.
 */
export interface AuditHeadDocument {
  readonly _id: string;
  readonly streamId: string;
  readonly checkpoint: number;
  /** The revision of the AuditCheckpointSigned event in AUDIT_STREAM. */
  readonly checkpointRevision: number;
  readonly revision: number;
  readonly hash: string;
}

export const auditHeadsProjection: Projection = {
  name: 'audit-heads',
  collections: [{ name: AUDIT_HEADS, indexes: [] }],

  async project(event: RecordedEvent): Promise<WriteOp[]> {
    if (event.streamId !== AUDIT_STREAM || event.type !== CHECKPOINT_EVENT_TYPE) return [];
    const streams = Array.isArray(event.data.streams) ? event.data.streams : [];
    const ops: WriteOp[] = [];
    for (const head of streams) {
      if (typeof head !== 'object' || head === null || Array.isArray(head) || typeof head.streamId !== 'string') continue;
      const doc: Omit<AuditHeadDocument, '_id'> = {
        streamId: head.streamId,
        checkpoint: Number(event.data.checkpoint),
        checkpointRevision: Number(event.revision),
        revision: Number(head.revision),
        hash: String(head.hash),
      };
      ops.push({ kind: 'upsert', collection: AUDIT_HEADS, id: head.streamId, set: doc as unknown as JsonObject });
    }
    return ops;
  },
};
