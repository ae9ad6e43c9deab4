import { compileNumberSearch, tierRank, type NumberSearchCriteria, type NumberTier } from '@cards/domain';
import type { RecordedEvent } from '@cards/event-store';
import { BatchView, SqliteReadStore } from '@cards/read-store';
import type { NumbersImportedData } from './number-inventory';
import { nextBatchSize, NumberSelection, SEARCH_BUDGET } from './number-selection';
import { numbersProjection } from './numbers.projection';

const NOW = '2026-11-23T10:00:00.000Z';
const LATER = '2026-11-23T10:30:00.000Z';
const TIERS: readonly NumberTier[] = ['STANDARD', 'SILVER', 'GOLD'];

interface Entry {
  readonly msisdn: string;
  readonly region: string;
  readonly tier: NumberTier;
  reserved: boolean;
}

/**
 * Search over the real `numbers` projection in a real SQLite read store, against a brute-force answer over the
 * same numbers: every page followed to the end gives exactly the available numbers that match, in the promised
 * order (cheapest tier, then number), whichever index the request narrows by and however often a page runs out of
 * its scan budget.
 */
describe('number search over the numbers read model', () => {
  let store: SqliteReadStore;
  let selection: NumberSelection;
  /** Never looks candidates up by id: every request scans in order. */
  let scanning: NumberSelection;
  const entries: Entry[] = [];
  let position = 0n;

  const record = async (streamId: string, type: string, data: Record<string, unknown>) => {
    position++;
    const event = { id: `e${position}`, streamId, type, data, metadata: {}, revision: 0n, position: { commit: position, prepare: position }, recordedAt: new Date(NOW) } as unknown as RecordedEvent;
    await store.commit(numbersProjection.name, event.position, 1, await numbersProjection.project(event, new BatchView(store)));
  };

  beforeAll(async () => {
    store = SqliteReadStore.open(':memory:');
    await store.ensureCollections(numbersProjection.collections);
    // Two regions, three blocks of numbers with every tail from 0000 to 2999 (rich in shapes, tails and birthdays),
    // tiers spread so that each tier holds numbers of each kind.
    for (const [block, region] of [['1380013', '010'], ['1390088', '020'], ['1500000', '010']] as const) {
      const numbers = Array.from({ length: 3000 }, (_, i) => {
        const msisdn = `${block}${String(i).padStart(4, '0')}`;
        const entry: Entry = { msisdn, region, tier: TIERS[(i * 7) % 3], reserved: false };
        entries.push(entry);
        return { msisdn, region, tier: entry.tier, tierSource: 'FILE' as const };
      });
      for (let from = 0; from < numbers.length; from += 1000) {
        const data: NumbersImportedData = { importId: 'test', numbers: numbers.slice(from, from + 1000), importedAt: '2026-11-01T00:00:00.000Z' };
        await record(`number-block-${block}`, 'NumbersImported', data as unknown as Record<string, unknown>);
      }
    }
    // Every 13th number held by a customer until LATER: not offered.
    for (const entry of entries.filter((_, i) => i % 13 === 0)) {
      entry.reserved = true;
      await record(`number-${entry.msisdn}`, 'NumberReserved', { msisdn: entry.msisdn, reservationId: `r-${entry.msisdn}`, customerId: 'c1', reservedAt: NOW, expiresAt: LATER });
    }
    selection = new NumberSelection(store);
    scanning = new NumberSelection(store, { maxCandidates: 0 });
  });
  afterAll(() => store.close());

  const expected = (criteria: NumberSearchCriteria, region?: string): string[] => {
    const compiled = compileNumberSearch(criteria);
    if (!compiled.ok) throw new Error('bad criteria');
    return entries
      .filter((e) => !e.reserved && (!region || e.region === region) && compiled.search.matches(e.msisdn))
      .sort((a, b) => tierRank(a.tier) - tierRank(b.tier) || a.msisdn.localeCompare(b.msisdn))
      .map((e) => e.msisdn);
  };

  const allPages = async (criteria: NumberSearchCriteria, region: string | undefined, limit: number, by = selection) => {
    const found: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let shortPagesWithMore = 0;
    for (;;) {
      const page = await by.search({ ...(region && { region }), criteria, limit, ...(cursor && { cursor }), now: NOW });
      pages++;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      if (page.nextCursor !== null && page.items.length < limit) shortPagesWithMore++;
      found.push(...page.items.map((item) => item.msisdn));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
      if (pages > 1000) throw new Error('no end to the pages');
    }
    return { found, pages, shortPagesWithMore };
  };

  it.each<[string, NumberSearchCriteria, string | undefined, number?]>([
    ['a tail of four digits (the reversed index)', { pattern: '*0888' }, undefined, 1],
    ['a tail of three digits in a region, pages of 2', { pattern: '*520' }, '010', 2],
    ['a tail of two digits (a scan in order)', { pattern: '*66' }, '020', 10],
    ['a head (the number range)', { pattern: '1380013*' }, undefined],
    ['a head and an inside part', { pattern: '138*12*' }, '010'],
    ['a shape (the shape index), in a region', { pattern: 'AABB' }, '010'],
    ['four of a kind', { pattern: 'AAAA' }, undefined, 2],
    ['an ascending run', { pattern: 'ASCENDING' }, '020', 1],
    ['no 4 anywhere', { exclude: '4' }, '020'],
    ['a birthday', { birthday: '1225' }, undefined, 1],
    ['a tail and an exclusion', { pattern: '*8', exclude: '4' }, '010'],
  ])('%s: all pages together are exactly the matching available numbers, cheapest tier first', async (_what, criteria, region, limit = 40) => {
    const want = expected(criteria, region);
    expect(want.length).toBeGreaterThan(limit);
    // Looked up by id where the request has few enough candidates, and scanned in order: the same answer.
    expect((await allPages(criteria, region, limit)).found).toEqual(want);
    expect((await allPages(criteria, region, limit, scanning)).found).toEqual(want);
  });

  it('a rare request runs out of its scan budget: short pages that go on, and still every match exactly once', async () => {
    // Scanned in order, the few numbers of region 010 that match are further apart than one page's budget of
    // examined numbers.
    const criteria = { pattern: '*0132?99' };
    const want = expected(criteria, '010');
    expect(want.length).toBeGreaterThan(0);
    expect(SEARCH_BUDGET).toBeLessThan(6000);
    const { found, shortPagesWithMore } = await allPages(criteria, '010', 50, scanning);
    expect(found).toEqual(want);
    expect(shortPagesWithMore).toBeGreaterThan(0);
    // Looked up by id instead (ten candidates a block): one page, every match.
    const direct = await selection.search({ region: '010', criteria, limit: 50, now: NOW });
    expect(direct.items.map((item) => item.msisdn)).toEqual(want);
    expect(direct.nextCursor).toBeNull();
    expect(direct.examined).toBeLessThanOrEqual(20);
  });

  it('a request most numbers fit reads about a page: a shape in a region off its own index, a tail only in the blocks of the region', async () => {
    const shape = await selection.search({ region: '010', criteria: { pattern: 'AABB' }, limit: 10, now: NOW });
    expect(shape.items).toHaveLength(10);
    expect(shape.items.every((item) => item.region === '010')).toBe(true);
    expect(shape.examined).toBeLessThanOrEqual(2 * 11);
    // '*520' has ten candidates per block: region 020 has one block of the three.
    const tail = await selection.search({ region: '020', criteria: { pattern: '*520' }, limit: 50, now: NOW });
    expect(tail.items.map((item) => item.msisdn)).toEqual(expected({ pattern: '*520' }, '020'));
    expect(tail.examined).toBeLessThanOrEqual(10);
  });

  it('a held number is not offered; once its reservation has run out, it is found again', async () => {
    const held = entries.find((e) => e.reserved)!;
    const criteria = { pattern: held.msisdn };
    expect((await selection.search({ criteria, limit: 50, now: NOW })).items).toEqual([]);
    const later = await selection.search({ criteria, limit: 50, now: LATER });
    expect(later.items.map((i) => i.msisdn)).toEqual([held.msisdn]);
  });
});

describe('nextBatchSize', () => {
  it.each([
    ['nothing read yet: what the page needs', 51, 0, 0, 51],
    ['nothing matched yet: twice what was read', 51, 0, 51, 102],
    ['a third matched: what is needed over that share, a quarter more', 31, 20, 60, 117],
    ['almost everything matched: never less than what is needed', 5, 46, 46, 7],
    ['rare: at most a full batch', 50, 1, 400, 500],
  ])('%s', (_what, needed, matched, examined, size) => {
    expect(nextBatchSize(needed, matched, examined)).toBe(size);
  });
});
