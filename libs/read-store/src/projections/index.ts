export * from './projection';
export * from './documents';
export * from './batch-view';
export * from './event-time';
export * from './cards.projection';
export * from './disputes.projection';
export * from './verification-failures.projection';

import { cardsProjection } from './cards.projection';
import { disputesProjection } from './disputes.projection';
import { verificationFailuresProjection } from './verification-failures.projection';

/** Every projection the service runs, in the order they are listed by GET /v1/projections. */
export const ALL_PROJECTIONS = [cardsProjection, disputesProjection, verificationFailuresProjection] as const;
