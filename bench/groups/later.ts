import type { BenchGroup } from '../core/context';

/**
 * Placeholders for the groups issue 8 adds later; they have no rows yet.
 *
 * SIM numbers (issue 10): suggestions and pattern search p99 with 1,000,000 numbers in the inventory, and
 * numbers imported per second (`POST /v1/numbers/imports` or `card-cli numbers import`), each against a bare
 * read-store query / bare inserts of the same rows. Build them in bench/groups/numbers.ts with the same
 * BenchContext (a fresh DATA_DIR, the service from the private build: service/card-api.ts).
 */
export const numbersGroup: BenchGroup = {
  name: 'SIM numbers (to come)',
  rowIds: [],
  run: async () => [],
};

/**
 * Customer-service cases: opening, routing and closing cases per second, and the case queue's p99, once the
 * cases feature has settled (libs/card-application/src/cases, apps/card-api/src/cases).
 */
export const casesGroup: BenchGroup = {
  name: 'cases (to come)',
  rowIds: [],
  run: async () => [],
};
