import { randomInt } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { compileNumberSearch, NUMBER_TIERS, tierRank, ValidationFailed, type NumberCompletions, type NumberSearchCriteria, type NumberTier } from '@cards/domain';
import { READ_STORE, type FieldValue, type Filter, type ReadDocument, type ReadStore, type SortKey } from '@cards/read-store';
import { decodeCursor, encodeCursor, queryFingerprint, toPage, type Page } from '../read-side/paging';
import { NUMBER_BLOCKS, NUMBER_BUCKETS, NUMBERS, type NumberBlockDocument, type NumberBucketDocument, type NumberDocument } from './numbers.projection';

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
/** Numbers one search page examines at most (docs/numbers.md, "Choosing"). */
export const SEARCH_BUDGET = 1_000;
/** The tiers in search order, cheapest first. */
const TIERS_CHEAPEST_FIRST: readonly NumberTier[] = [...NUMBER_TIERS].sort((a, b) => tierRank(a) - tierRank(b));
/**
 * Most numbers a search looks up by id (and sorts in memory) rather than scanning: a lookup costs about half of what a
 * number read in a scan does, so this is about the work of a scan's budget.
 */
const MAX_CANDIDATES = 2_000;
/** Within one tier: by number (the id breaks no ties, a number being its own id). */
const NUMBER_ORDER: readonly SortKey[] = [{ field: 'msisdn', direction: 'asc' }];
/** Ids per lookup of a tail's candidates. */
const ID_LOOKUP_BATCH = 500;

/** Overrides of the search's limits (tests: 0 candidates makes every search scan in order). */
export interface NumberSearchTuning {
  readonly maxCandidates?: number;
}
export const NUMBER_SEARCH_TUNING = Symbol('NUMBER_SEARCH_TUNING');

/** A page of search results; `examined` says how many numbers the scan read for it. */
export interface NumberSearchPage extends Page<NumberOffer> {
  readonly examined: number;
}
/** The order of the (region, tier, slot) index: sorting by it makes that index the plan, whatever the statistics say. */
const SLOT_SORT: readonly SortKey[] = [{ field: 'slot', direction: 'asc' }];

/** Digits only: ':' sorts right after '9', so [p, p + ':') is every string starting with p. */
const startingWith = (prefix: string) => ({ $gte: prefix, $lt: `${prefix}:` });

/**
 * Suggestions and special-number search over the `numbers` read model (docs/numbers.md, "Choosing"). It lags the
 * write side by milliseconds: the reservation decides, never this.
 */
@Injectable()
export class NumberSelection {
  private readonly maxCandidates: number;

  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore, @Optional() @Inject(NUMBER_SEARCH_TUNING) tuning?: NumberSearchTuning) {
    this.maxCandidates = tuning?.maxCandidates ?? MAX_CANDIDATES;
  }

  /**
   * An exactly uniform random sample of the numbers available at `now`, without repeats: draws of a bucket in
   * proportion to its size and a slot within it (a round's draws of one bucket read in one indexed query), rejecting numbers that are not
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
    let drawn = 0;
    const maxDraws = 20 * query.count + 50;
    while (picked.size < query.count && drawn < maxDraws) {
      const round = Math.min(maxDraws - drawn, Math.ceil((query.count - picked.size) * 1.5) + 2);
      drawn += round;
      // One indexed query per bucket drawn from, for all its slots drawn this round; then the draws in the order
      // they were made, so that taking the first `count` available ones keeps the sample uniform.
      const draws = Array.from({ length: round }, () => bucketAt(total > 0xffff_ffff ? Math.floor(Math.random() * total) : randomInt(total)));
      const slotsByBucket = new Map<NumberBucketDocument, Set<number>>();
      for (const { bucket, slot } of draws) slotsByBucket.set(bucket, (slotsByBucket.get(bucket) ?? new Set<number>()).add(slot));
      const found = new Map<NumberBucketDocument, Map<number, ReadDocument>>();
      for (const [bucket, slots] of slotsByBucket) {
        const docs = await this.readStore.find(NUMBERS, {
          filter: { region: bucket.region, tier: bucket.tier, slot: { $in: [...slots] } },
          sort: SLOT_SORT,
          limit: slots.size,
        });
        found.set(bucket, new Map(docs.map((doc) => [(doc as unknown as NumberDocument).slot, doc])));
      }
      for (const { bucket, slot } of draws) {
        if (picked.size >= query.count) break;
        const doc = found.get(bucket)?.get(slot);
        if (doc && (doc as unknown as NumberDocument).availableFrom <= query.now && !picked.has(doc._id)) picked.set(doc._id, toOffer(doc));
      }
    }
    if (picked.size < query.count) {
      // Most of the matching numbers are taken: sample the rest among the available ones, by reservoir.
      const wanted = query.count - picked.size;
      const reservoir: NumberOffer[] = [];
      let seen = 0;
      for await (const doc of this.availableIn(buckets, query.now)) {
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

  /** The available numbers of these buckets, bucket by bucket in slot order: each page a seek of (region, tier, slot). */
  private async *availableIn(buckets: readonly NumberBucketDocument[], now: string): AsyncIterable<ReadDocument> {
    for (const bucket of buckets) {
      let after: FieldValue[] | undefined;
      for (;;) {
        const page = await this.readStore.find(NUMBERS, {
          filter: { region: bucket.region, tier: bucket.tier, availableFrom: { $lte: now } },
          sort: SLOT_SORT,
          limit: SEARCH_BATCH,
          ...(after && { after }),
        });
        yield* page;
        if (page.length < SEARCH_BATCH) break;
        const last = page[page.length - 1];
        after = [last.slot as number, last._id];
      }
    }
  }

  /**
   * Available numbers matching a special request, cheapest tier first, then by number; paged (docs/numbers.md,
   * "Choosing"). Each tier is read on its own, in number order, off the index that fits the request, so every
   * batch is a seek: (shape, region, tier, number) for a shape in a region, (shape, tier, number) for a shape,
   * (region, tier, number) for a region, with the number's range for a literal head. A literal tail of three
   * digits or more looks up its few candidates by id, in the blocks of the region, and sorts them here. What the
   * index does not decide (the rest of the pattern, exclusions, a birthday) is checked here. Batches start at a
   * page's size and grow with how rarely the request matched so far, so a request most numbers fit reads little
   * more than a page. A page examines at most SEARCH_BUDGET numbers: a rare request may answer fewer items than
   * asked, with a `nextCursor` that goes on where the scan stopped.
   */
  async search(query: { region?: string; criteria: NumberSearchCriteria; limit: number; cursor?: string; now: string }): Promise<NumberSearchPage> {
    const compiled = compileNumberSearch(query.criteria);
    if (!compiled.ok) throw new ValidationFailed(compiled.violations);
    const { search } = compiled;
    const fingerprint = queryFingerprint({ region: query.region ?? null, ...query.criteria, sort: 'tier,msisdn' });
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, fingerprint, SEARCH_SORT);
    const inRegion = (doc: NumberDocument) => !query.region || doc.region === query.region;

    if (search.completions !== null) {
      const candidates = await this.candidates(search.completions, query.region, query.now, after);
      if (candidates !== null) {
        const matches = candidates.filter((doc) => search.matches(doc.msisdn)).slice(0, query.limit + 1);
        return { ...toPage(matches as unknown as ReadDocument[], query.limit, fingerprint, SEARCH_SORT, toOffer), examined: candidates.length };
      }
    }

    const base: Record<string, Filter[string]> = { availableFrom: { $lte: query.now } };
    if (search.shape !== null) base.shape = search.shape;
    if (query.region) base.region = query.region;
    if (search.shape === null && search.literalHead.length > 0) base.msisdn = startingWith(search.literalHead);

    const matches: ReadDocument[] = [];
    let examined = 0;
    let lastExamined: ReadDocument | undefined;
    const startRank = after === undefined ? 0 : Number(after[0]);
    for (const tier of TIERS_CHEAPEST_FIRST.filter((t) => tierRank(t) >= startRank)) {
      let within = after !== undefined && tierRank(tier) === startRank ? [after[1], after[2]] : undefined;
      for (;;) {
        const batchSize = Math.min(nextBatchSize(query.limit + 1 - matches.length, matches.length, examined), SEARCH_BUDGET - examined);
        const batch = await this.readStore.find(NUMBERS, {
          filter: { ...base, tier },
          sort: NUMBER_ORDER,
          limit: batchSize,
          ...(within && { after: within }),
        });
        for (const doc of batch) {
          examined++;
          lastExamined = doc;
          if (search.matches((doc as unknown as NumberDocument).msisdn)) matches.push(doc);
          if (matches.length > query.limit) return { ...toPage(matches, query.limit, fingerprint, SEARCH_SORT, toOffer), examined };
        }
        if (batch.length < batchSize) break;
        if (examined >= SEARCH_BUDGET) {
          // Out of budget with fewer than asked: the page ends where the scan stopped.
          return { items: matches.map(toOffer), nextCursor: encodeCursor(fingerprint, lastExamined!, SEARCH_SORT), examined };
        }
        const last = batch[batch.length - 1];
        within = [last.msisdn as string, last._id];
      }
    }
    return { ...toPage(matches, query.limit, fingerprint, SEARCH_SORT, toOffer), examined };
  }

  /**
   * The available numbers that match (in `region`, when given), after the cursor, in search order; null when they
   * would be more than MAX_CANDIDATES lookups (a scan in order is then cheaper). A number is its block (seven digits)
   * and four more: the search's automaton says which endings of each block of the region match (`*8888`: one;
   * `*520`: ten; `138*1234*`: one or two; a birthday: one to a thousand, all 10,000 of a block that holds it), counting
   * them before listing any. Those are looked up by id.
   */
  private async candidates(completions: NumberCompletions, region: string | undefined, now: string, after: readonly FieldValue[] | undefined): Promise<NumberDocument[] | null> {
    const blocks: string[] = [];
    let total = 0;
    for await (const doc of this.readStore.scan(NUMBER_BLOCKS)) {
      const block = doc as unknown as NumberBlockDocument;
      if (region && Array.isArray(block.regions) && !block.regions.includes(region)) continue;
      total += completions.countOf(block._id);
      if (total > this.maxCandidates) return null;
      blocks.push(block._id);
    }
    const ids = blocks.flatMap((block) => completions.completionsOf(block, this.maxCandidates)!.map((ending) => block + ending));
    const docs: NumberDocument[] = [];
    for (let from = 0; from < ids.length; from += ID_LOOKUP_BATCH) {
      const chunk = ids.slice(from, from + ID_LOOKUP_BATCH);
      const found = await this.readStore.find(NUMBERS, {
        filter: { _id: { $in: chunk }, availableFrom: { $lte: now }, ...(region && { region }) },
        limit: chunk.length,
      });
      docs.push(...(found as unknown as NumberDocument[]));
    }
    const sorted = docs.sort((a, b) => a.tierRank - b.tierRank || (a.msisdn < b.msisdn ? -1 : a.msisdn > b.msisdn ? 1 : 0));
    if (after === undefined) return sorted;
    const [rank, msisdn] = [Number(after[0]), String(after[1])];
    return sorted.filter((doc) => doc.tierRank > rank || (doc.tierRank === rank && doc.msisdn > msisdn));
  }
}

/**
 * How many numbers the next batch of a search reads: what the page still needs, divided by the share of examined
 * numbers that matched so far (a quarter more, for luck), between a page and SEARCH_BATCH; before anything matched,
 * twice what was examined. A request most numbers fit then reads about a page, a rare one soon reads full batches.
 */
export function nextBatchSize(needed: number, matched: number, examined: number): number {
  const estimate = matched > 0 ? Math.ceil((needed * examined * 1.25) / matched) : Math.max(needed, 2 * examined);
  return Math.min(SEARCH_BATCH, Math.max(needed, estimate));
}
