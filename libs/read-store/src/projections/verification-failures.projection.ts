import type { RecordedEvent } from '@cards/event-store';
import type { WriteOp } from '../read-store.port';
import { eventTime, idOfStream } from './event-time';
import type { Projection } from './projection';

export const VERIFICATION_FAILURES = 'verification_failures';

/** One document per failed identity verification, with its reasons. */
export const verificationFailuresProjection: Projection = {
  name: 'verification-failures',
  collections: [{ name: VERIFICATION_FAILURES, indexes: [[{ field: 'failedAt', direction: 'asc' }]] }],

  async project(event: RecordedEvent): Promise<WriteOp[]> {
    const cardId = idOfStream(event.streamId, 'card');
    if (cardId === null || event.type !== 'IdentityVerificationFailed') return [];
    return [
      {
        kind: 'upsert',
        collection: VERIFICATION_FAILURES,
        id: event.id,
        set: { cardId, method: event.data.method ?? null, reasons: event.data.reasons ?? [], failedAt: eventTime(event) },
      },
    ];
  },
};
