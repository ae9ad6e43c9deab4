import type { JsonObject, RecordedEvent } from '@cards/event-store';
import type { Projection, WriteOp } from '@cards/read-store';

export const ACCESS_LOG = 'personal_data_access';
const STREAM_PREFIX = 'pii-access-';

/** One document per read of a customer's personal data in clear, for the access-log query across customers. */
export interface PersonalDataAccessDocument {
  readonly _id: string;
  readonly customerId: string;
  readonly by: string;
  readonly role: string;
  readonly reason: string | null;
  readonly at: string;
  readonly correlationId: string;
}

export const accessLogProjection: Projection = {
  name: 'personal-data-access',
  collections: [
    {
      name: ACCESS_LOG,
      indexes: [
        [{ field: 'at', direction: 'desc' }],
        [{ field: 'customerId', direction: 'asc' }, { field: 'at', direction: 'desc' }],
        [{ field: 'by', direction: 'asc' }, { field: 'at', direction: 'desc' }],
      ],
    },
  ],

  async project(event: RecordedEvent): Promise<WriteOp[]> {
    if (!event.streamId.startsWith(STREAM_PREFIX) || event.type !== 'PersonalDataRead') return [];
    const d = event.data;
    const doc: Omit<PersonalDataAccessDocument, '_id'> = {
      customerId: String(d.customerId ?? event.streamId.slice(STREAM_PREFIX.length)),
      by: String(d.by),
      role: String(d.role),
      reason: typeof d.reason === 'string' ? d.reason : null,
      at: String(d.at),
      correlationId: String(event.metadata.correlationId ?? ''),
    };
    return [{ kind: 'upsert', collection: ACCESS_LOG, id: event.id, set: doc as unknown as JsonObject }];
  },
};
