import { StatementPerLimit } from './statement-per-limit';

describe('StatementPerLimit', () => {
  const preparing = () => {
    const prepared: string[] = [];
    const statements = new StatementPerLimit((limit) => {
      prepared.push(limit);
      return { sql: `SELECT 1 LIMIT ${limit}` };
    });
    return { prepared, statements };
  };

  it('prepares a statement once per limit, with the limit written into it', () => {
    const { prepared, statements } = preparing();
    const first = statements.for(500);
    expect(first.sql).toBe('SELECT 1 LIMIT 500');
    expect(statements.for(500)).toBe(first);
    expect(statements.for(-1).sql).toBe('SELECT 1 LIMIT -1');
    expect(prepared).toEqual(['500', '-1']);
  });

  it('keeps sixteen limits: the oldest is prepared again once it was let go', () => {
    const { prepared, statements } = preparing();
    for (let limit = 1; limit <= 17; limit++) statements.for(limit);
    statements.for(17);
    statements.for(2);
    expect(prepared).toHaveLength(17);
    statements.for(1);
    expect(prepared).toHaveLength(18);
    expect(prepared[17]).toBe('1');
  });

  it('refuses a limit that is not a whole number, before any SQL is written', () => {
    const { prepared, statements } = preparing();
    for (const limit of [2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(() => statements.for(limit)).toThrow(RangeError);
    }
    expect(prepared).toEqual([]);
  });
});
