import type { BenchGroup } from '../core/context';

/**
 * Placeholder for a group issue 8 adds later; it has no rows yet.
 *
 * Customer-service cases: opening, routing and closing cases per second, and the case queue's p99, once the
 * cases feature has settled (libs/card-application/src/cases, apps/card-api/src/cases).
 */
export const casesGroup: BenchGroup = {
  name: 'cases (to come)',
  rowIds: [],
  run: async () => [],
};
