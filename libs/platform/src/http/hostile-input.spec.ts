import { MAX_JSON_DEPTH, tooDeeplyNested } from './hostile-input';

function nested(levels: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = wrap(value);
  return value;
}

describe('tooDeeplyNested', () => {
  it('lets through what any request of the service looks like', () => {
    expect(tooDeeplyNested({ name: 'x', address: { line1: 'a', city: 'b', country: 'CN' }, preferredChannels: ['SMS'] })).toBeNull();
    expect(tooDeeplyNested(null)).toBeNull();
    expect(tooDeeplyNested('text')).toBeNull();
    expect(tooDeeplyNested({ a: nested(MAX_JSON_DEPTH - 1, (inner) => [inner]) })).toBeNull();
  });

  it('names the top-level field under which a body nests too deep, or the body itself', () => {
    expect(tooDeeplyNested({ ok: 1, reason: nested(MAX_JSON_DEPTH, (inner) => ({ a: inner })) })).toBe('reason');
    expect(tooDeeplyNested(nested(MAX_JSON_DEPTH + 1, (inner) => [inner]))).toBe('body');
  });

  it('walks without recursion: 100,000 levels do not exhaust the stack', () => {
    expect(tooDeeplyNested({ deep: nested(100_000, (inner) => [inner]) })).toBe('deep');
  });
});
