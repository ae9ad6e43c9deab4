import { eventIdGenerator, formatUuid, newEventId } from './event-ids';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit millisecond timestamp at the front of a version 7 id. */
const millisecondsOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
/** The 12-bit counter after the version nibble. */
const counterOf = (id: string) => parseInt(id.replace(/-/g, '').slice(13, 16), 16);

describe('event ids (UUID version 7)', () => {
  it('given the clock, when an id is made, then it is a version 7, variant 10 UUID carrying that millisecond', () => {
    const at = Date.UTC(2026, 10, 24, 1, 30, 0, 123);
    const id = eventIdGenerator(() => at)();
    expect(id).toMatch(V7);
    expect(millisecondsOf(id)).toBe(at);
  });

  it('given the real clock, when an id is made, then its time is now', () => {
    const before = Date.now();
    const id = newEventId();
    const after = Date.now();
    expect(id).toMatch(V7);
    expect(millisecondsOf(id)).toBeGreaterThanOrEqual(before);
    expect(millisecondsOf(id)).toBeLessThanOrEqual(after);
  });

  it('given a clock that stands still, when thousands of ids are made, then each sorts after the one before and none repeats', () => {
    const next = eventIdGenerator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 10_000 }, () => next());
    const outOfOrder = ids.findIndex((id, i) => i > 0 && !(id > ids[i - 1]));
    expect(outOfOrder).toBe(-1);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !V7.test(id))).toEqual([]);
  });

  it('given 4,096 ids in one millisecond, when the counter runs out, then the next id takes the next millisecond', () => {
    const next = eventIdGenerator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 5_000 }, () => next());
    const first = ids[0];
    expect(millisecondsOf(first)).toBe(1_700_000_000_000);
    expect(counterOf(first)).toBeLessThan(0x400);
    const lastOfFirst = ids.filter((id) => millisecondsOf(id) === 1_700_000_000_000).length - 1;
    expect(counterOf(ids[lastOfFirst])).toBe(0xfff);
    expect(millisecondsOf(ids[lastOfFirst + 1])).toBe(1_700_000_000_001);
    expect(counterOf(ids[lastOfFirst + 1])).toBe(0);
  });

  it('given a clock that steps back, when ids are made, then they still sort in the order they were made', () => {
    const times = [5_000, 5_001, 4_000, 4_000, 5_002];
    const next = eventIdGenerator(() => times.shift()!);
    const ids = Array.from({ length: 5 }, () => next());
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map(millisecondsOf)).toEqual([5_000, 5_001, 5_001, 5_001, 5_002]);
  });

  it('given a new millisecond, when an id is made, then its counter starts at a random place below 1,024', () => {
    let now = 0;
    const next = eventIdGenerator(() => (now += 1));
    const counters = Array.from({ length: 200 }, () => counterOf(next()));
    expect(Math.max(...counters)).toBeLessThan(0x400);
    expect(new Set(counters).size).toBeGreaterThan(100);
  });

  it('given ids made in a row, when their random parts are compared, then they differ', () => {
    const next = eventIdGenerator(() => 1_700_000_000_000);
    const tails = Array.from({ length: 1_000 }, () => next().slice(19));
    expect(new Set(tails).size).toBe(tails.length);
  });

  it('given 16 bytes or more, when formatted, then the first 16 are lower-case hex in groups of 8-4-4-4-12', () => {
    const bytes = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    expect(formatUuid(bytes)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(formatUuid(Buffer.concat([bytes, Buffer.from([1, 2])]))).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });
});
