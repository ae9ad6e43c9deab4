import type { RecordedEvent } from '@cards/event-store';
import type { WriteOp } from '../read-store.port';
import type { DisputeDocument } from './documents';
import { eventTime, idOfStream } from './event-time';
import type { Projection, ProjectionView } from './projection';

export const DISPUTES = 'disputes';

/** One document per dispute: reasons, outcomes and time to resolve. */
export const disputesProjection: Projection = {
  name: 'disputes',
  collections: [
    {
      name: DISPUTES,
      indexes: [[{ field: 'openedAt', direction: 'asc' }], [{ field: 'cardId', direction: 'asc' }, { field: 'openedAt', direction: 'asc' }]],
    },
  ],

  async project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
    const cardId = idOfStream(event.streamId, 'card');
    if (cardId === null) return [];
    const disputeId = event.data.disputeId;
    if (typeof disputeId !== 'string') return [];
    if (event.type === 'CardDisputed') {
      const doc: DisputeDocument = {
        _id: disputeId,
        disputeId,
        cardId,
        reason: event.data.reason as DisputeDocument['reason'],
        openedAt: eventTime(event),
        outcome: null,
        resolvedAt: null,
        secondsToResolve: null,
      };
      const { _id, ...set } = doc;
      return [{ kind: 'upsert', collection: DISPUTES, id: _id, set: { ...set } }];
    }
    if (event.type === 'DisputeResolved') {
      const open = (await view.get(DISPUTES, disputeId)) as unknown as DisputeDocument | null;
      const resolvedAt = eventTime(event);
      const seconds = open ? (Date.parse(resolvedAt) - Date.parse(open.openedAt)) / 1000 : null;
      return [
        {
          kind: 'upsert',
          collection: DISPUTES,
          id: disputeId,
          set: { outcome: event.data.outcome as string, resolvedAt, secondsToResolve: seconds },
        },
      ];
    }
    return [];
  },
};
