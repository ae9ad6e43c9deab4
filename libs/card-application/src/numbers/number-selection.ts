import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { compileNumberSearch, ValidationFailed, type NumberSearchCriteria, type NumberTier } from '@cards/domain';
import { READ_STORE, type Filter, type ReadDocument, type ReadStore, type SortKey } from '@cards/read-store';
import { decodeCursor, queryFingerprint, toPage, type Page } from '../read-side/paging';
import { NUMBER_BUCKETS, NUMBERS, type NumberBucketDocument, type NumberDocument } from './numbers.projection';

/** A number offered to a customer: nothing about who held it before. */
export interface NumberOffer {
  readonly msisdn: string;
  readonly region: string;
  readonly tier: NumberTier;
}

const toOffer = (doc: ReadDocument): NumberOffer => {
  const n = doc as unknown as NumberDocument;
  return { msisdn: n.msisdn, region: n.region, tier: n.tier };
};

const SEARCH_SORT: readonly SortKey[] = [
  { field: 'tierRank', direction: 'asc' },
  { field: 'msisdn', direction: 'asc' },
];
const SEARCH_BATCH = 500;

/** Digits only: ':' sorts right after '9', so [p, p + ':') is every string starting with p. */
const startingWith = (prefix: string) => ({ $gte: prefix, $lt: `${prefix}:` });

/**
 * Suggestions and special-number search over the `numbers` read model (docs/numbers.md, "Choosing"). It lags the
 * write side by milliseconds: the reservation decides, never this.
 */
@Injectable()
export class NumberSelection {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  /**
   * An exactly uniform random sample of the numbers available at `now`, without repeats: draws of a bucket in
   * proportion to its size and a slot within it, each one indexed lookup, rejecting numbers that are not
   * available; when too many draws are rejected, a reservoir sample over the available ones does the rest.
   */
  async suggestions(query: { region?: string; tier?: NumberTier; count: number; now: string }): Promise<NumberOffer[]> {
    const bucketFilter: Filter = { ...(query.region && { region: query.region }), ...(query.tier && { tier: query.tier }) };
    const buckets = (await this.readStore.find(NUMBER_BUCKETS, { filter: bucketFilter, limit: 10_000 })) as unknown as NumberBucketDocument[];
    const total = buckets.reduce((sum, b) => sum + b.size, 0);
    const picked = new Map<string, NumberOffer>();
    if (total === 0) return [];

    const bucketAt = (n: number): { bucket: NumberBucketDocument; slot: number } => {
      let rest = n;
      for (const bucket of buckets) {
        if (rest < bucket.size) return { bucket, slot: rest };
        rest -= bucket.size;
      }
      throw new Error('draw out of range');
    };
    let draws = 0;
    const maxDraws = 20 * query.count + 50;
    while (picked.size < query.count && draws < maxDraws) {
      const round = Math.min(maxDraws - draws, Math.ceil((query.count - picked.size) * 1.5) + 2);
      draws += round;
      const found = await Promise.all(
        Array.from({ length: round }, () => {
          const { bucket, slot } = bucketAt(total > 0xffff_ffff ? Math.floor(Math.random() * total) : randomInt(total));
          return this.readStore.find(NUMBERS, { filter: { region: bucket.region, tier: bucket.tier, slot }, limit: 1 });
        }),
      );
      for (const [doc] of found) {
        if (picked.size >= query.count) break;
        if (doc && (doc as unknown as NumberDocument).availableFrom <= query.now && !picked.has(doc._id)) picked.set(doc._id, toOffer(doc));
      }
    }
    if (picked.size < query.count) {
      // Most of the matching numbers are taken: sample the rest among the available ones, by reservoir.
      const wanted = query.count - picked.size;
      const reservoir: NumberOffer[] = [];
      let seen = 0;
      for await (const doc of this.readStore.scan(NUMBERS, { ...bucketFilter, availableFrom: { $lte: query.now } })) {
        if (picked.has(doc._id)) continue;
        seen++;
        if (reservoir.length < wanted) reservoir.push(toOffer(doc));
        else {
          const j = randomInt(seen);
          if (j < wanted) reservoir[j] = toOffer(doc);
        }
      }
      for (const offer of reservoir) picked.set(offer.msisdn, offer);
    }
    return [...picked.values()];
  }

  /** Available numbers matching a special request, cheapest tier first, then by number; paged. */
  async search(query: { region?: string; criteria: NumberSearchCriteria; limit: number; cursor?: string; now: string }): Promise<Page<NumberOffer>> {
    const compiled = compileNumberSearch(query.criteria);
    if (!compiled.ok) throw new ValidationFailed(compiled.violations);
    const { search } = compiled;
    const filter: Record<string, Filter[string]> = { ...(query.region && { region: query.region }), availableFrom: { $lte: query.now } };
    if (search.literalTail.length > 0) filter.rev = startingWith([...search.literalTail].reverse().join(''));
    else if (search.literalHead.length > 0) filter.msisdn = startingWith(search.literalHead);

    const fingerprint = queryFingerprint({ region: query.region ?? null, ...query.criteria, sort: 'tier,msisdn' });
    let after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, fingerprint, SEARCH_SORT);
    const matches: ReadDocument[] = [];
    for (;;) {
      const batch = await this.readStore.find(NUMBERS, { filter, sort: SEARCH_SORT, limit: SEARCH_BATCH, ...(after && { after }) });
      for (const doc of batch) {
        if (search.matches((doc as unknown as NumberDocument).msisdn)) matches.push(doc);
        if (matches.length > query.limit) break;
      }
      if (matches.length > query.limit || batch.length < SEARCH_BATCH) break;
      const last = batch[batch.length - 1];
      after = [last.tierRank as number, last.msisdn as string, last._id];
    }
    return toPage(matches, query.limit, fingerprint, SEARCH_SORT, toOffer);
  }
}
