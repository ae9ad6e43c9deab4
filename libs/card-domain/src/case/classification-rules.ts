import type { FieldViolation } from '../shared/domain-error';
import { CASE_CATEGORIES, type CaseCategory } from './case.types';
import defaultRulesFile from './default-classification-rules.json';

const DAY_MS = 86_400_000;

/**
 * A rule proposing a category for a case opened without one. Every condition a rule gives must hold: `keywords`
 * (any one of them in the description) and `cardEvents` (at least `atLeast` events of these types on the case's
 * card within `withinDays` before the case was opened). The first rule that matches, in file order, decides.
 */
export interface ClassificationRule {
  readonly id: string;
  readonly category: CaseCategory;
  readonly keywords?: readonly string[];
  readonly cardEvents?: { readonly types: readonly string[]; readonly withinDays: number; readonly atLeast: number };
}

export interface ClassificationRules {
  readonly rules: readonly ClassificationRule[];
}

/** A card event as the rules see it: its type and when it happened. */
export interface CardEventFact {
  readonly type: string;
  readonly occurredAt: string;
}

export interface ClassificationInput {
  readonly description: string;
  /** The events of the case's card (none when the case is on no card). */
  readonly cardEvents: readonly CardEventFact[];
  readonly now: string;
}

export interface CategoryProposal {
  readonly category: CaseCategory;
  readonly ruleId: string;
}

const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Text as the rules compare it: NFKC (full-width letters and digits become ASCII), lower case, typographic
 * apostrophes made straight, runs of white space one space.
 */
export function normaliseForMatching(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").replace(/\s+/g, ' ').trim();
}

/** Latin keywords match whole words ("sms" is not found in "smsc"); others (Chinese) anywhere in the text. */
function keywordMatches(text: string, keyword: string): boolean {
  const k = normaliseForMatching(keyword);
  if (k.length === 0) return false;
  if (!/^[\x20-\x7e]+$/.test(k)) return text.includes(k);
  const escaped = k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![a-z0-9])${escaped}(?![a-z0-9])`).test(text);
}

function ruleMatches(rule: ClassificationRule, text: string, input: ClassificationInput): boolean {
  if (rule.keywords !== undefined && !rule.keywords.some((k) => keywordMatches(text, k))) return false;
  if (rule.cardEvents !== undefined) {
    const now = Date.parse(input.now);
    const since = now - rule.cardEvents.withinDays * DAY_MS;
    const count = input.cardEvents.filter((e) => {
      const at = Date.parse(e.occurredAt);
      return rule.cardEvents!.types.includes(e.type) && at >= since && at <= now;
    }).length;
    if (count < rule.cardEvents.atLeast) return false;
  }
  return true;
}

/** The category the first matching rule proposes, with its id; null when no rule matches. */
export function classifyCase(input: ClassificationInput, rules: ClassificationRules): CategoryProposal | null {
  const text = normaliseForMatching(input.description);
  const rule = rules.rules.find((r) => ruleMatches(r, text, input));
  return rule === undefined ? null : { category: rule.category, ruleId: rule.id };
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks a rules document (the default file's shape), naming every problem by its path. */
export function parseClassificationRules(input: unknown): { ok: true; rules: ClassificationRules } | { ok: false; problems: FieldViolation[] } {
  const problems: FieldViolation[] = [];
  const doc = (typeof input === 'object' && input !== null ? input : {}) as { rules?: unknown };
  const rules: ClassificationRule[] = [];
  if (!Array.isArray(doc.rules)) {
    return { ok: false, problems: [{ field: 'rules', reason: 'must be a list of rules' }] };
  }
  const ids = new Set<string>();
  doc.rules.forEach((raw: unknown, i) => {
    const at = `rules[${i}]`;
    const rule = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (typeof rule.id !== 'string' || !RULE_ID.test(rule.id)) problems.push({ field: `${at}.id`, reason: 'must be 1 to 64 characters: lower-case letters, digits, . _ -' });
    else if (ids.has(rule.id)) problems.push({ field: `${at}.id`, reason: `"${rule.id}" names another rule already` });
    else ids.add(rule.id);
    if (typeof rule.category !== 'string' || !(CASE_CATEGORIES as readonly string[]).includes(rule.category)) {
      problems.push({ field: `${at}.category`, reason: `must be one of ${CASE_CATEGORIES.join(', ')}` });
    }
    if (rule.keywords === undefined && rule.cardEvents === undefined) problems.push({ field: at, reason: 'needs keywords, cardEvents or both' });
    if (rule.keywords !== undefined) {
      if (!Array.isArray(rule.keywords) || rule.keywords.length === 0 || !rule.keywords.every((k) => typeof k === 'string' && normaliseForMatching(k).length > 0)) {
        problems.push({ field: `${at}.keywords`, reason: 'must be a non-empty list of non-empty texts' });
      }
    }
    if (rule.cardEvents !== undefined) {
      const ce = (typeof rule.cardEvents === 'object' && rule.cardEvents !== null ? rule.cardEvents : {}) as Record<string, unknown>;
      if (!Array.isArray(ce.types) || ce.types.length === 0 || !ce.types.every((t) => typeof t === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(t))) {
        problems.push({ field: `${at}.cardEvents.types`, reason: 'must be a non-empty list of event types, e.g. ["ActivationAttemptFailed"]' });
      }
      if (!isWhole(ce.withinDays, 1, 366)) problems.push({ field: `${at}.cardEvents.withinDays`, reason: 'must be a whole number of days from 1 to 366' });
      if (!isWhole(ce.atLeast, 1, 100)) problems.push({ field: `${at}.cardEvents.atLeast`, reason: 'must be a whole number from 1 to 100' });
    }
    rules.push(rule as unknown as ClassificationRule);
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, rules: { rules } };
}

const parsedDefault = parseClassificationRules(defaultRulesFile);
if (!parsedDefault.ok) throw new Error(`default-classification-rules.json is invalid: ${JSON.stringify(parsedDefault.problems)}`);
/** The rules of `default-classification-rules.json` (docs/cases.md lists them). */
export const DEFAULT_CLASSIFICATION_RULES: ClassificationRules = parsedDefault.rules;
