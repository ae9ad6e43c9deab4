import type { FieldViolation } from '../shared/domain-error';
import { hasTailShape, tailDigitCount, TAIL_SHAPES, type TailShape } from './number-shapes';
import defaultTierRulesFile from './default-tier-rules.json';

/** Number tiers, cheapest first: the order search results come in. */
export const NUMBER_TIERS = ['STANDARD', 'SILVER', 'GOLD'] as const;
export type NumberTier = (typeof NUMBER_TIERS)[number];

/** 0 for the cheapest tier: sorts search results cheapest first. */
export function tierRank(tier: NumberTier): number {
  return NUMBER_TIERS.indexOf(tier);
}

/** What a customer commits to when a number of this tier is assigned to them (whole yuan). */
export interface TierCommitments {
  readonly minimumMonthlyPlanCny: number;
  readonly depositCny: number;
}

export type TierRule =
  | { readonly tier: NumberTier; readonly kind: TailShape }
  | { readonly tier: NumberTier; readonly kind: 'TAIL_DIGIT_COUNT'; readonly digit: string; readonly atLeast: number; readonly within: number }
  | { readonly tier: NumberTier; readonly kind: 'TAIL'; readonly tail: string };

export interface TierRules {
  readonly tiers: Readonly<Record<NumberTier, TierCommitments>>;
  /** In order: the first rule that matches decides; no match is STANDARD. */
  readonly rules: readonly TierRule[];
}

const RULE_KINDS = [...TAIL_SHAPES, 'TAIL_DIGIT_COUNT', 'TAIL'] as const;

function isTier(value: unknown): value is NumberTier {
  return typeof value === 'string' && (NUMBER_TIERS as readonly string[]).includes(value);
}

function wholeNumber(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks a tier rules document (the default file's shape), naming every problem by its path. */
export function parseTierRules(input: unknown): { ok: true; rules: TierRules } | { ok: false; problems: FieldViolation[] } {
  const problems: FieldViolation[] = [];
  const doc = (typeof input === 'object' && input !== null ? input : {}) as { tiers?: unknown; rules?: unknown };
  const tiers: Partial<Record<NumberTier, TierCommitments>> = {};
  const tiersIn = (typeof doc.tiers === 'object' && doc.tiers !== null ? doc.tiers : {}) as Record<string, unknown>;
  for (const key of Object.keys(tiersIn)) if (!isTier(key)) problems.push({ field: `tiers.${key}`, reason: `is not a tier (${NUMBER_TIERS.join(', ')})` });
  for (const tier of NUMBER_TIERS) {
    const given = tiersIn[tier] as { minimumMonthlyPlanCny?: unknown; depositCny?: unknown } | undefined;
    if (typeof given !== 'object' || given === null) {
      problems.push({ field: `tiers.${tier}`, reason: 'is required: { minimumMonthlyPlanCny, depositCny }' });
      continue;
    }
    if (!wholeNumber(given.minimumMonthlyPlanCny, 0, 1_000_000)) problems.push({ field: `tiers.${tier}.minimumMonthlyPlanCny`, reason: 'must be a whole number of yuan from 0 to 1000000' });
    if (!wholeNumber(given.depositCny, 0, 1_000_000)) problems.push({ field: `tiers.${tier}.depositCny`, reason: 'must be a whole number of yuan from 0 to 1000000' });
    tiers[tier] = { minimumMonthlyPlanCny: given.minimumMonthlyPlanCny as number, depositCny: given.depositCny as number };
  }
  const rules: TierRule[] = [];
  if (!Array.isArray(doc.rules)) problems.push({ field: 'rules', reason: 'must be a list of rules' });
  else {
    doc.rules.forEach((raw: unknown, i) => {
      const rule = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const at = `rules[${i}]`;
      if (!isTier(rule.tier)) problems.push({ field: `${at}.tier`, reason: `must be one of ${NUMBER_TIERS.join(', ')}` });
      if (!(RULE_KINDS as readonly unknown[]).includes(rule.kind)) {
        problems.push({ field: `${at}.kind`, reason: `must be one of ${RULE_KINDS.join(', ')}` });
        return;
      }
      const tier = rule.tier as NumberTier;
      if (rule.kind === 'TAIL_DIGIT_COUNT') {
        if (typeof rule.digit !== 'string' || !/^\d$/.test(rule.digit)) problems.push({ field: `${at}.digit`, reason: 'must be one digit, e.g. "8"' });
        if (!wholeNumber(rule.within, 1, 11)) problems.push({ field: `${at}.within`, reason: 'must be a whole number from 1 to 11' });
        if (!wholeNumber(rule.atLeast, 1, 11) || (wholeNumber(rule.within, 1, 11) && rule.atLeast > rule.within)) {
          problems.push({ field: `${at}.atLeast`, reason: 'must be a whole number from 1 to within' });
        }
        rules.push({ tier, kind: 'TAIL_DIGIT_COUNT', digit: rule.digit as string, atLeast: rule.atLeast as number, within: rule.within as number });
      } else if (rule.kind === 'TAIL') {
        if (typeof rule.tail !== 'string' || !/^\d{1,10}$/.test(rule.tail)) problems.push({ field: `${at}.tail`, reason: 'must be 1 to 10 digits' });
        rules.push({ tier, kind: 'TAIL', tail: rule.tail as string });
      } else {
        rules.push({ tier, kind: rule.kind as TailShape });
      }
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, rules: { tiers: tiers as Record<NumberTier, TierCommitments>, rules } };
}

function matches(msisdn: string, rule: TierRule): boolean {
  switch (rule.kind) {
    case 'TAIL_DIGIT_COUNT':
      return tailDigitCount(msisdn, rule.digit, rule.within) >= rule.atLeast;
    case 'TAIL':
      return msisdn.endsWith(rule.tail);
    default:
      return hasTailShape(msisdn, rule.kind);
  }
}

/** The tier the rules give a number: the first matching rule's, else STANDARD. */
export function tierOf(msisdn: string, rules: TierRules): NumberTier {
  return rules.rules.find((rule) => matches(msisdn, rule))?.tier ?? 'STANDARD';
}

const parsedDefault = parseTierRules(defaultTierRulesFile);
if (!parsedDefault.ok) throw new Error(`default-tier-rules.json is invalid: ${JSON.stringify(parsedDefault.problems)}`);
/** The rules of `default-tier-rules.json` (docs/numbers.md lists them). */
export const DEFAULT_TIER_RULES: TierRules = parsedDefault.rules;
