import { searchShapeOf, tierRank, type NumberEvent, type NumberStatus, type NumberTier, type SearchShape } from '@cards/domain';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import type { Projection, ProjectionView, WriteOp } from '@cards/read-store';
import { NUMBERS_IMPORTED, type NumbersImportedData } from './number-inventory';

export const NUMBERS = 'numbers';
/** One document per (region, tier): how many numbers it holds, i.e. the next slot to give. */
export const NUMBER_BUCKETS = 'number_buckets';
/** `availableFrom` of a number that will not be available again by itself (assigned, withdrawn). */
export const NEVER = '9999-12-31T23:59:59.999Z';

/**
 * One document per number (docs/numbers.md, "Choosing"). `status` is the last one recorded; whether the number is
 * available *now* is `availableFrom <= now`, one range condition that also covers reservations and quarantines
 * that ended without an event.
 */
export interface NumberDocument {
  readonly _id: string;
  readonly msisdn: string;
  readonly region: string;
  readonly tier: NumberTier;
  /** The searchable shape of its last four digits (AAAA, AABB, ABAB, ABCD), null for most numbers. */
  readonly shape: SearchShape | null;
  /** 0 STANDARD, 1 SILVER, 2 GOLD: sorts cheapest first. */
  readonly tierRank: number;
  /** Dense position within its (region, tier) bucket, in import order: what suggestions draw. */
  readonly slot: number;
  readonly status: NumberStatus;
  readonly availableFrom: string;
  readonly reservedUntil: string | null;
  readonly quarantinedUntil: string | null;
  readonly customerId: string | null;
  readonly cardId: string | null;
  readonly importedAt: string;
  readonly assignedAt: string | null;
  /** Reservations recorded as expired unused. */
  readonly expiredReservations: number;
}

export interface NumberBucketDocument {
  readonly _id: string;
  readonly region: string;
  readonly tier: NumberTier;
  readonly size: number;
}

export const bucketId = (region: string, tier: string): string => `${region}|${tier}`;

/**
 * One document per block of the inventory (the number's first seven digits, as the write side keeps them): a tail
 * search looks up, in each block, the few numbers that can end with that tail (docs/numbers.md, "Choosing").
 */
export const NUMBER_BLOCKS = 'number_blocks';

export interface NumberBlockDocument {
  readonly _id: string;
  /** Numbers imported into the block. */
  readonly numbers: number;
  /** The regions its numbers belong to (usually one: a block is allocated to a city), so a tail search in a region skips the others. */
  readonly regions: readonly string[];
}

const NUMBER_STREAM_PREFIX = 'number-';
const BLOCK_STREAM_PREFIX = 'number-block-';

export const numbersProjection: Projection = {
  name: 'numbers',
  /**
   * 2: every document carries `shape` (searched through the (shape, tierRank, msisdn) index), and tails are found
   * through the blocks (`number_blocks`) instead of an index on the reversed number, whose random inserts made
   * imports three times slower at a million numbers. Documents written by version 1 differ, so a store projected by
   * it is rebuilt from zero when this starts (ProjectionRunner.start).
   * 3: blocks record their regions, and searches read a tier by its name (`tier`, a string: no JSON type test per
   * row, which `tierRank` 0 and 1 needed, as they could be booleans), with a shape index per region.
   */
  version: 3,
  collections: [
    {
      name: NUMBERS,
      indexes: [
        [{ field: 'region', direction: 'asc' }, { field: 'tier', direction: 'asc' }, { field: 'slot', direction: 'asc' }],
        // Searches (number-selection.ts): one tier at a time, in number order, narrowed by region, shape or both.
        [{ field: 'tier', direction: 'asc' }, { field: 'msisdn', direction: 'asc' }],
        [{ field: 'region', direction: 'asc' }, { field: 'tier', direction: 'asc' }, { field: 'msisdn', direction: 'asc' }],
        [{ field: 'shape', direction: 'asc' }, { field: 'tier', direction: 'asc' }, { field: 'msisdn', direction: 'asc' }],
        [{ field: 'shape', direction: 'asc' }, { field: 'region', direction: 'asc' }, { field: 'tier', direction: 'asc' }, { field: 'msisdn', direction: 'asc' }],
      ],
    },
    { name: NUMBER_BUCKETS, indexes: [[{ field: 'region', direction: 'asc' }]] },
    { name: NUMBER_BLOCKS, indexes: [] },
  ],

  async project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
    if (!event.streamId.startsWith(NUMBER_STREAM_PREFIX)) return [];
    if (event.streamId.startsWith(BLOCK_STREAM_PREFIX)) {
      return event.type === NUMBERS_IMPORTED ? imported(event.data as unknown as NumbersImportedData, event.streamId.slice(BLOCK_STREAM_PREFIX.length), view) : [];
    }
    const id = event.streamId.slice(NUMBER_STREAM_PREFIX.length);
    const upsert = (set: Partial<NumberDocument>): WriteOp => ({ kind: 'upsert', collection: NUMBERS, id, set: set as unknown as JsonObject });
    const e = { type: event.type, data: event.data } as unknown as NumberEvent;
    switch (e.type) {
      case 'NumberReserved':
        return [upsert({ status: 'RESERVED', availableFrom: e.data.expiresAt, reservedUntil: e.data.expiresAt, customerId: e.data.customerId })];
      case 'NumberReservationReleased':
        return [upsert({ status: 'AVAILABLE', availableFrom: e.data.releasedAt, reservedUntil: null, customerId: null })];
      case 'NumberReservationExpired':
        return [
          upsert({ status: 'AVAILABLE', availableFrom: e.data.expiredAt, reservedUntil: null, customerId: null }),
          { kind: 'increment', collection: NUMBERS, id, by: { expiredReservations: 1 } },
        ];
      case 'NumberAssigned':
        return [upsert({ status: 'ASSIGNED', availableFrom: NEVER, reservedUntil: null, customerId: e.data.customerId, cardId: e.data.cardId, assignedAt: e.data.assignedAt })];
      case 'NumberQuarantined':
        return [upsert({ status: 'QUARANTINED', availableFrom: e.data.until, quarantinedUntil: e.data.until, customerId: null })];
      case 'NumberQuarantineEnded':
        return [upsert({ status: 'AVAILABLE', availableFrom: e.data.endedAt, quarantinedUntil: null, cardId: null })];
      case 'NumberWithdrawn':
        return [upsert({ status: 'WITHDRAWN', availableFrom: NEVER, reservedUntil: null, quarantinedUntil: null, customerId: null })];
      default:
        return [];
    }
  },
};

/**
 * New numbers: each gets the next slot of its (region, tier) bucket. The write side records a number once (its
 * block stream), so slots stay dense; the order of events makes them the same in a rebuild.
 */
async function imported(data: NumbersImportedData, block: string, view: ProjectionView): Promise<WriteOp[]> {
  const sizes = new Map<string, number>();
  const ops: WriteOp[] = [];
  for (const n of data.numbers) {
    const bucket = bucketId(n.region, n.tier);
    if (!sizes.has(bucket)) {
      const stored = (await view.get(NUMBER_BUCKETS, bucket)) as unknown as NumberBucketDocument | null;
      sizes.set(bucket, stored?.size ?? 0);
    }
    const slot = sizes.get(bucket)!;
    sizes.set(bucket, slot + 1);
    const doc: Omit<NumberDocument, '_id'> = {
      msisdn: n.msisdn,
      shape: searchShapeOf(n.msisdn),
      region: n.region,
      tier: n.tier,
      tierRank: tierRank(n.tier),
      slot,
      status: 'AVAILABLE',
      availableFrom: data.importedAt,
      reservedUntil: null,
      quarantinedUntil: null,
      customerId: null,
      cardId: null,
      importedAt: data.importedAt,
      assignedAt: null,
      expiredReservations: 0,
    };
    ops.push({ kind: 'upsert', collection: NUMBERS, id: n.msisdn, set: doc as unknown as JsonObject });
  }
  for (const [bucket, size] of sizes) {
    const [region, tier] = bucket.split('|');
    ops.push({ kind: 'upsert', collection: NUMBER_BUCKETS, id: bucket, set: { region, tier, size } });
  }
  // An import event belongs to its block's stream: every number in it is of that block.
  const stored = (await view.get(NUMBER_BLOCKS, block)) as unknown as NumberBlockDocument | null;
  const regions = new Set(stored?.regions ?? []);
  const known = regions.size;
  for (const n of data.numbers) regions.add(n.region);
  if (stored === null || regions.size > known) ops.push({ kind: 'upsert', collection: NUMBER_BLOCKS, id: block, set: { regions: [...regions].sort() } });
  ops.push({ kind: 'increment', collection: NUMBER_BLOCKS, id: block, by: { numbers: data.numbers.length } });
  return ops;
}

