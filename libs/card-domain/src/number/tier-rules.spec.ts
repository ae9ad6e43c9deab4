import { DEFAULT_TIER_RULES, parseTierRules, tierOf, tierRank } from './tier-rules';
import { isMsisdn, numberBlockOf } from './msisdn';

describe('tier rules', () => {
  it.each([
    ['13800008888', 'GOLD'], // AAAA
    ['13800001234', 'GOLD'], // ABCD ascending
    ['13800008088', 'GOLD'], // three 8s in the last four
    ['13800001122', 'SILVER'], // AABB
    ['13800001212', 'SILVER'], // ABAB
    ['13800000777', 'SILVER'], // AAA
    ['13800004321', 'STANDARD'], // descending is not a default rule
    ['13800001357', 'STANDARD'],
  ])('gives %s the tier %s with the default rules', (msisdn, tier) => {
    expect(tierOf(msisdn, DEFAULT_TIER_RULES)).toBe(tier);
  });

  it('lists commitments per tier', () => {
    expect(DEFAULT_TIER_RULES.tiers.GOLD).toEqual({ minimumMonthlyPlanCny: 188, depositCny: 1000 });
    expect(DEFAULT_TIER_RULES.tiers.STANDARD).toEqual({ minimumMonthlyPlanCny: 0, depositCny: 0 });
  });

  it('takes the first matching rule of another file, in file order', () => {
    const parsed = parseTierRules({
      tiers: { GOLD: { minimumMonthlyPlanCny: 1, depositCny: 1 }, SILVER: { minimumMonthlyPlanCny: 1, depositCny: 0 }, STANDARD: { minimumMonthlyPlanCny: 0, depositCny: 0 } },
      rules: [{ tier: 'SILVER', kind: 'TAIL', tail: '520' }, { tier: 'GOLD', kind: 'DCBA' }],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(tierOf('13800001520', parsed.rules)).toBe('SILVER');
    expect(tierOf('13800004321', parsed.rules)).toBe('GOLD');
    expect(tierOf('13800008888', parsed.rules)).toBe('STANDARD');
  });

  it('names every problem of a bad file by its path', () => {
    const parsed = parseTierRules({ tiers: { GOLD: { minimumMonthlyPlanCny: -1, depositCny: 0 }, PLATINUM: {} }, rules: [{ tier: 'GOLD', kind: 'AAAAA' }, { tier: 'X', kind: 'TAIL_DIGIT_COUNT', digit: '88', atLeast: 5, within: 4 }] });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => p.field)).toEqual([
      'tiers.PLATINUM',
      'tiers.STANDARD',
      'tiers.SILVER',
      'tiers.GOLD.minimumMonthlyPlanCny',
      'rules[0].kind',
      'rules[1].tier',
      'rules[1].digit',
      'rules[1].atLeast',
    ]);
  });

  it('ranks tiers cheapest first', () => {
    expect([tierRank('STANDARD'), tierRank('SILVER'), tierRank('GOLD')]).toEqual([0, 1, 2]);
  });
});

describe('mainland mobile numbers', () => {
  it.each(['13800138000', '19912345678', '15000000000'])('accepts %s', (msisdn) => expect(isMsisdn(msisdn)).toBe(true));
  it.each(['12800138000', '1380013800', '138001380001', '+8613800138000', '1380013800a', '', 13800138000])('refuses %p', (msisdn) =>
    expect(isMsisdn(msisdn)).toBe(false),
  );
  it('puts a number in the block of its first 7 digits', () => expect(numberBlockOf('13800138000')).toBe('1380013'));
});
