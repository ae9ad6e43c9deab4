import { comparePositions, formatPosition, parsePosition } from './position';
import { expectationHolds } from './expected-revision';

describe('positions as text', () => {
  it('writes a SQLite position (commit = prepare) as one number', () => {
    expect(formatPosition({ commit: 42n, prepare: 42n })).toBe('42');
  });

  it('writes an EventStoreDB position as commit/prepare', () => {
    expect(formatPosition({ commit: 1_000n, prepare: 996n })).toBe('1000/996');
  });

  it.each([
    { commit: 0n, prepare: 0n },
    { commit: 42n, prepare: 42n },
    { commit: 18_446_744_073_709_551_615n, prepare: 18_446_744_073_709_551_000n },
  ])('reads back what it wrote: %p', (position) => {
    expect(parsePosition(formatPosition(position))).toEqual(position);
  });

  it.each(['', 'abc', '-1', '1/2/3', '1.5', '12/'])('rejects %p', (text) => {
    expect(() => parsePosition(text)).toThrow(RangeError);
  });

  it('orders by commit, then prepare', () => {
    expect(comparePositions({ commit: 1n, prepare: 9n }, { commit: 2n, prepare: 0n })).toBeLessThan(0);
    expect(comparePositions({ commit: 2n, prepare: 1n }, { commit: 2n, prepare: 0n })).toBeGreaterThan(0);
    expect(comparePositions({ commit: 2n, prepare: 2n }, { commit: 2n, prepare: 2n })).toBe(0);
  });
});

describe('expected revision', () => {
  it.each([
    ['any', undefined, true],
    ['any', 3n, true],
    ['no_stream', undefined, true],
    ['no_stream', 0n, false],
    ['stream_exists', undefined, false],
    ['stream_exists', 0n, true],
    [2n, 2n, true],
    [2n, 3n, false],
    [0n, undefined, false],
  ] as const)('%p against %p holds: %p', (expected, current, holds) => {
    expect(expectationHolds(expected, current)).toBe(holds);
  });
});
