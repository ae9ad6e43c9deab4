import { hasTailShape } from './number-shapes';
import { compileNumberSearch, searchShapeOf, type NumberSearchCriteria } from './number-search';

function matcher(criteria: NumberSearchCriteria) {
  const compiled = compileNumberSearch(criteria);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.violations));
  return compiled.search;
}

describe('number search criteria', () => {
  it.each([
    [{ pattern: '*8888' }, ['13900008888'], ['13900088880', '13900008887']],
    [{ pattern: '138*1234*' }, ['13812340000', '13800012345', '13811111234'], ['13912341234', '13800001243']],
    [{ pattern: '138????5678' }, ['13812345678'], ['13912345678', '13812345679']],
    [{ pattern: 'AABB' }, ['13800001122'], ['13800001111', '13800001212']],
    [{ pattern: 'abab' }, ['13800001212'], ['13800001111', '13800001122']],
    [{ pattern: 'AAAA' }, ['13800006666'], ['13800006665']],
    [{ pattern: 'ASCENDING' }, ['13800003456'], ['13800003457', '13800006543']],
    [{ exclude: '4' }, ['13800138000'], ['13800138004', '14700000000']],
    [{ exclude: '47' }, ['13800138000'], ['13800138007']],
    [{ birthday: '0815' }, ['13808150000', '13800000815'], ['08150000000', '13800008105']],
    [{ pattern: '*88', exclude: '4' }, ['13900000088'], ['13940000088']],
  ])('%p matches what it should and nothing else', (criteria, yes, no) => {
    const search = matcher(criteria);
    for (const m of yes) expect([m, search.matches(m)]).toEqual([m, true]);
    for (const m of no) expect([m, search.matches(m)]).toEqual([m, false]);
  });

  it('tells the literal head a scan can be narrowed by', () => {
    expect(matcher({ pattern: '*8888' })).toMatchObject({ literalHead: '' });
    expect(matcher({ pattern: '138*1234*' })).toMatchObject({ literalHead: '138' });
    expect(matcher({ pattern: 'AABB' })).toMatchObject({ literalHead: '' });
    expect(matcher({ pattern: '13800138000' })).toMatchObject({ literalHead: '13800138000' });
  });

  it('tells the shape a scan can be narrowed by, ASCENDING being ABCD', () => {
    expect(matcher({ pattern: 'aabb' }).shape).toBe('AABB');
    expect(matcher({ pattern: 'ASCENDING' }).shape).toBe('ABCD');
    expect(matcher({ pattern: '*8888' }).shape).toBeNull();
    expect(matcher({ exclude: '4' }).shape).toBeNull();
  });

  it('gives every number the one searchable shape its tail has, the same the search matches', () => {
    // Every tail from 0000 to 9999: the recorded shape is the one (and only one) whose search matches it.
    const counts: Record<string, number> = {};
    const searches = (['AAAA', 'AABB', 'ABAB', 'ASCENDING'] as const).map((asked) => [asked, matcher({ pattern: asked })] as const);
    for (let tail = 0; tail < 10_000; tail++) {
      const msisdn = `1380000${String(tail).padStart(4, '0')}`;
      const shape = searchShapeOf(msisdn);
      counts[shape ?? 'none'] = (counts[shape ?? 'none'] ?? 0) + 1;
      const fitting = (['AAAA', 'AABB', 'ABAB', 'ABCD'] as const).filter((s) => hasTailShape(msisdn, s));
      if (fitting.join() !== (shape ?? '')) throw new Error(`${msisdn}: shapes ${fitting.join()} fit, recorded ${shape}`);
      for (const [asked, search] of searches) {
        if (search.matches(msisdn) !== (shape === (asked === 'ASCENDING' ? 'ABCD' : asked))) {
          throw new Error(`${msisdn}: the ${asked} search says ${search.matches(msisdn)}, its recorded shape is ${shape}`);
        }
      }
    }
    // 10 AAAA, 90 AABB, 90 ABAB, 7 ascending runs (0123 … 6789).
    expect(counts).toEqual({ AAAA: 10, AABB: 90, ABAB: 90, ABCD: 7, none: 10_000 - 197 });
  });

  it.each([
    [{ pattern: '88a8' }, 'pattern'],
    [{ pattern: '***' }, 'pattern'],
    [{ pattern: '1234567890123' }, 'pattern'],
    [{ exclude: 'four' }, 'exclude'],
    [{ birthday: '1332' }, 'birthday'],
    [{ birthday: '0230' }, 'birthday'],
  ])('refuses %p naming the field', (criteria, field) => {
    const compiled = compileNumberSearch(criteria);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.violations.map((v) => v.field)).toEqual([field]);
  });

  it('accepts 29 February as a birthday', () => {
    expect(matcher({ birthday: '0229' }).matches('13802290000')).toBe(true);
  });
});
