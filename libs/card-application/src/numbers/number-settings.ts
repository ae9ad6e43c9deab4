import * as fs from 'node:fs';
import { DEFAULT_TIER_RULES, parseTierRules, type TierRules } from '@cards/domain';

/** DI token: NumberSettings. */
export const NUMBER_SETTINGS = Symbol('NUMBER_SETTINGS');

export interface NumberSettings {
  /** Live reservations one customer may hold (NUMBER_MAX_RESERVATIONS_PER_CUSTOMER). */
  readonly maxReservationsPerCustomer: number;
  /** How long a number rests after its card is cancelled (NUMBER_QUARANTINE_DAYS). */
  readonly quarantineDays: number;
  /** Tier rules and commitments (NUMBER_TIER_RULES_FILE, else the built-in default). */
  readonly tierRules: TierRules;
}

export const DEFAULT_NUMBER_SETTINGS: NumberSettings = { maxReservationsPerCustomer: 3, quarantineDays: 90, tierRules: DEFAULT_TIER_RULES };

function wholeNumber(name: string, given: string | undefined, fallback: number, min: number, max: number, what: string, problems: string[]): number {
  if (given === undefined) return fallback;
  if (/^\d+$/.test(given) && Number(given) >= min && Number(given) <= max) return Number(given);
  problems.push(`${name} must be a whole number from ${min} to ${max} (${what}), not "${given.slice(0, 40)}"`);
  return fallback;
}

/** Reads NUMBER_* variables (docs/numbers.md, "Configuration"), adding a message to `problems` for each bad one. */
export function parseNumberSettings(value: (name: string) => string | undefined, problems: string[]): NumberSettings {
  const maxReservationsPerCustomer = wholeNumber(
    'NUMBER_MAX_RESERVATIONS_PER_CUSTOMER',
    value('NUMBER_MAX_RESERVATIONS_PER_CUSTOMER'),
    DEFAULT_NUMBER_SETTINGS.maxReservationsPerCustomer,
    1,
    100,
    'live number reservations one customer may hold',
    problems,
  );
  const quarantineDays = wholeNumber('NUMBER_QUARANTINE_DAYS', value('NUMBER_QUARANTINE_DAYS'), DEFAULT_NUMBER_SETTINGS.quarantineDays, 0, 3650, 'days a number rests after its card is cancelled', problems);
  let tierRules = DEFAULT_TIER_RULES;
  const file = value('NUMBER_TIER_RULES_FILE');
  if (file !== undefined) {
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      problems.push(`NUMBER_TIER_RULES_FILE: cannot read ${file} as JSON (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (parsedJson !== undefined) {
      const parsed = parseTierRules(parsedJson);
      if (parsed.ok) tierRules = parsed.rules;
      else problems.push(`NUMBER_TIER_RULES_FILE ${file}: ${parsed.problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`);
    }
  }
  return { maxReservationsPerCustomer, quarantineDays, tierRules };
}
