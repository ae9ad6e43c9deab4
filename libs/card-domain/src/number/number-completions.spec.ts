import fc from 'fast-check';
import { compileNumberSearch, type NumberSearchCriteria } from './number-search';

function compiled(criteria: NumberSearchCriteria) {
  const result = compileNumberSearch(criteria);
  if (!result.ok) throw new Error(JSON.stringify(result.violations));
  return result.search;
}

/** Every four-digit ending of a block that `matches` accepts: the brute-force answer. */
function bruteForce(criteria: NumberSearchCriteria, block: string): string[] {
  const search = compiled(criteria);
  return Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0')).filter((end) => search.matches(block + end));
}

describe('NumberCompletions: the endings of a block that make a match', () => {
  it.each<[NumberSearchCriteria, string]>([
    [{ pattern: '*8888' }, '1380013'],
    [{ pattern: '*520' }, '1380013'],
    [{ pattern: '138*1234*' }, '1380013'],
    [{ pattern: '138*1234*' }, '1381234'],
    [{ pattern: '138*1234*' }, '1390013'],
    [{ pattern: '13?0??3?1?1' }, '1380013'],
    [{ birthday: '0815' }, '1380815'],
    [{ birthday: '0815' }, '1380081'],
    [{ birthday: '0815' }, '0815000'],
    [{ exclude: '4' }, '1380013'],
    [{ exclude: '47' }, '1380413'],
    [{ pattern: '*66', exclude: '4' }, '1380013'],
    [{ pattern: '*1*', birthday: '1225', exclude: '9' }, '1381225'],
  ])('%p in block %s: exactly what matches() accepts', (criteria, block) => {
    const completions = compiled(criteria).completions!;
    const want = bruteForce(criteria, block);
    expect(completions.countOf(block)).toBe(want.length);
    expect(completions.completionsOf(block, 10_000)).toEqual(want);
  });

  it('says when there would be more than asked for, from the count alone', () => {
    const completions = compiled({ exclude: '4' }).completions!;
    expect(completions.countOf('1380013')).toBe(9 ** 4);
    expect(completions.completionsOf('1380013', 6560)).toBeNull();
    expect(completions.completionsOf('1380013', 6561)).toHaveLength(6561);
  });

  it('a shape search has none: its index narrows better', () => {
    expect(compiled({ pattern: 'AABB' }).completions).toBeNull();
  });

  it('agrees with matches() for any glob, exclusion and birthday (property)', () => {
    const digit = fc.constantFrom(...'0123456789');
    const glob = fc.array(fc.oneof(digit, fc.constant('*'), fc.constant('?')), { minLength: 1, maxLength: 12 }).map((t) => t.join(''));
    const criteria = fc.record(
      {
        pattern: glob.filter((p) => /\d/.test(p) && p.replace(/\*/g, '').length <= 11),
        exclude: fc.array(digit, { minLength: 1, maxLength: 2 }).map((d) => d.join('')),
        birthday: fc.constantFrom('0815', '1225', '0101', '1111'),
      },
      { requiredKeys: [] },
    );
    const block = fc.array(digit, { minLength: 7, maxLength: 7 }).map((d) => d.join(''));
    fc.assert(
      fc.property(criteria, block, (c, b) => {
        expect(compiled(c).completions!.completionsOf(b, 10_000)).toEqual(bruteForce(c, b));
      }),
      { numRuns: 150 },
    );
  });
});
