import { Inject, Injectable } from '@nestjs/common';
import { NUMBER_STATUSES, NUMBER_TIERS, type NumberStatus, type NumberTier } from '@cards/domain';
import { READ_STORE, type ReadStore } from '@cards/read-store';
import { NUMBERS, type NumberDocument } from './numbers.projection';

export interface DurationSummary {
  readonly count: number;
  readonly meanSeconds: number | null;
  readonly p50Seconds: number | null;
  readonly p90Seconds: number | null;
  readonly maxSeconds: number | null;
}

export interface NumberInventoryReport {
  readonly region: string | null;
  readonly asOf: string;
  readonly total: number;
  /** By state as of `asOf`: a reservation or quarantine that ended counts as AVAILABLE. */
  readonly byState: Record<NumberStatus, number>;
  readonly byTier: Record<NumberTier, { total: number } & Record<NumberStatus, number>>;
  /** Reservations that ended without an assignment by expiring (recorded, or past their expiry). */
  readonly reservationsExpiredUnused: number;
  /** From import to assignment, over the numbers assigned at least once; exact nearest-rank percentiles. */
  readonly importToAssignment: DurationSummary;
}

const zeroStates = (): Record<NumberStatus, number> => Object.fromEntries(NUMBER_STATUSES.map((s) => [s, 0])) as Record<NumberStatus, number>;

/** The value at rank ⌈p·n/100⌉ of the sorted values (nearest rank, no interpolation). */
function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)];
}

export function summarizeDurations(seconds: number[]): DurationSummary {
  if (seconds.length === 0) return { count: 0, meanSeconds: null, p50Seconds: null, p90Seconds: null, maxSeconds: null };
  const sorted = [...seconds].sort((a, b) => a - b);
  return {
    count: sorted.length,
    meanSeconds: Math.round((sorted.reduce((sum, s) => sum + s, 0) / sorted.length) * 1000) / 1000,
    p50Seconds: nearestRank(sorted, 50),
    p90Seconds: nearestRank(sorted, 90),
    maxSeconds: sorted[sorted.length - 1],
  };
}

/** GET /v1/reports/number-inventory: the `numbers` read model, counted as of now. */
@Injectable()
export class NumberInventoryReporting {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async report(query: { region?: string; now: string }): Promise<NumberInventoryReport> {
    const byState = zeroStates();
    const byTier = Object.fromEntries(NUMBER_TIERS.map((t) => [t, { total: 0, ...zeroStates() }])) as NumberInventoryReport['byTier'];
    let total = 0;
    let expiredUnused = 0;
    const toAssignment: number[] = [];
    for await (const raw of this.readStore.scan(NUMBERS, query.region ? { region: query.region } : {})) {
      const doc = raw as unknown as NumberDocument;
      let state = doc.status;
      if (state === 'RESERVED' && doc.reservedUntil !== null && doc.reservedUntil <= query.now) {
        state = 'AVAILABLE';
        expiredUnused++;
      } else if (state === 'QUARANTINED' && doc.quarantinedUntil !== null && doc.quarantinedUntil <= query.now) state = 'AVAILABLE';
      total++;
      byState[state]++;
      byTier[doc.tier].total++;
      byTier[doc.tier][state]++;
      expiredUnused += doc.expiredReservations ?? 0;
      if (doc.assignedAt !== null) toAssignment.push(Math.max(0, (Date.parse(doc.assignedAt) - Date.parse(doc.importedAt)) / 1000));
    }
    return {
      region: query.region ?? null,
      asOf: query.now,
      total,
      byState,
      byTier,
      reservationsExpiredUnused: expiredUnused,
      importToAssignment: summarizeDurations(toAssignment),
    };
  }
}
