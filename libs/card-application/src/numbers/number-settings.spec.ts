import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_TIER_RULES } from '@cards/domain';
import { parseNumberSettings } from './number-settings';

const parse = (env: Record<string, string>) => {
  const problems: string[] = [];
  const settings = parseNumberSettings((name) => env[name], problems);
  return { settings, problems };
};

describe('NUMBER_* configuration', () => {
  it('defaults to 3 reservations per customer, 90 days of quarantine and the built-in tier rules', () => {
    expect(parse({})).toEqual({ settings: { maxReservationsPerCustomer: 3, quarantineDays: 90, tierRules: DEFAULT_TIER_RULES }, problems: [] });
  });

  it('reads the variables and a rules file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tiers-')), 'tiers.json');
    const tiers = { minimumMonthlyPlanCny: 0, depositCny: 0 };
    fs.writeFileSync(file, JSON.stringify({ tiers: { GOLD: tiers, SILVER: tiers, STANDARD: tiers }, rules: [{ tier: 'GOLD', kind: 'TAIL', tail: '520' }] }));
    const { settings, problems } = parse({ NUMBER_MAX_RESERVATIONS_PER_CUSTOMER: '5', NUMBER_QUARANTINE_DAYS: '0', NUMBER_TIER_RULES_FILE: file });
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({ maxReservationsPerCustomer: 5, quarantineDays: 0, tierRules: { rules: [{ tier: 'GOLD', kind: 'TAIL', tail: '520' }] } });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('names every bad value', () => {
    const { problems } = parse({ NUMBER_MAX_RESERVATIONS_PER_CUSTOMER: '0', NUMBER_QUARANTINE_DAYS: 'ninety', NUMBER_TIER_RULES_FILE: '/nonexistent/tiers.json' });
    expect(problems).toEqual([
      expect.stringMatching(/^NUMBER_MAX_RESERVATIONS_PER_CUSTOMER must be a whole number from 1 to 100/),
      expect.stringMatching(/^NUMBER_QUARANTINE_DAYS must be a whole number from 0 to 3650/),
      expect.stringMatching(/^NUMBER_TIER_RULES_FILE: cannot read \/nonexistent\/tiers.json as JSON \(ENOENT\)/),
    ]);
  });
});
