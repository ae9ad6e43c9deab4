import * as fs from 'node:fs';
import {
  CASE_PRIORITIES,
  DEFAULT_CASE_REOPEN_DAYS,
  DEFAULT_CASE_ROUTING,
  DEFAULT_CLASSIFICATION_RULES,
  parseCaseRouting,
  parseClassificationRules,
  type CasePriority,
  type CaseRouting,
  type ClassificationRules,
} from '@cards/domain';
import { parseIsoDuration } from '../reports/iso-duration';

/** DI token: CaseSettings. */
export const CASE_SETTINGS = Symbol('CASE_SETTINGS');

/** How long a case of a priority may wait for its first response and for its resolution (ISO-8601 durations). */
export interface ServiceLevel {
  readonly firstResponse: string;
  readonly resolution: string;
}

export interface CaseSettings {
  /** How long after its resolution a case may be reopened (CASE_REOPEN_DAYS). */
  readonly reopenDays: number;
  /** Per priority (CASE_SERVICE_LEVELS). */
  readonly serviceLevels: Readonly<Record<CasePriority, ServiceLevel>>;
  /** Rules proposing a category (CASE_CLASSIFICATION_RULES_FILE, else the built-in default). */
  readonly classification: ClassificationRules;
  /** Rules choosing a team, the teams and their agents (CASE_ROUTING_FILE, else the built-in default). */
  readonly routing: CaseRouting;
  /** How often the service levels of open cases are checked where the projections run (CASE_SLA_CHECK_MS). */
  readonly serviceLevelCheckMs: number;
  /** How long the survey link of a resolved case answers (CASE_SURVEY_LINK_DAYS). */
  readonly surveyLinkDays: number;
  /** The page the survey link opens, the token appended (CASE_SURVEY_PAGE_URL): the issuer's survey page. */
  readonly surveyPageUrl: string;
}

/** Without CASE_SURVEY_PAGE_URL the link opens this service's own GET /v1/case-surveys/{token} (development). */
export const DEFAULT_SURVEY_PAGE_URL = 'http://localhost:3000/v1/case-surveys/';

export const DEFAULT_SERVICE_LEVELS: Readonly<Record<CasePriority, ServiceLevel>> = {
  URGENT: { firstResponse: 'PT30M', resolution: 'PT4H' },
  HIGH: { firstResponse: 'PT2H', resolution: 'P1D' },
  MEDIUM: { firstResponse: 'PT8H', resolution: 'P3D' },
  LOW: { firstResponse: 'P1D', resolution: 'P7D' },
};

export const DEFAULT_CASE_SETTINGS: CaseSettings = {
  reopenDays: DEFAULT_CASE_REOPEN_DAYS,
  serviceLevels: DEFAULT_SERVICE_LEVELS,
  classification: DEFAULT_CLASSIFICATION_RULES,
  routing: DEFAULT_CASE_ROUTING,
  serviceLevelCheckMs: 60_000,
  surveyLinkDays: 14,
  surveyPageUrl: DEFAULT_SURVEY_PAGE_URL,
};

/** A deadline `duration` after `from` (an ISO instant). */
export function deadlineAfter(from: string, duration: string): string {
  return new Date(Date.parse(from) + parseIsoDuration(duration, 'duration') * 1000).toISOString();
}

/** `URGENT=PT30M/PT4H,LOW=P2D/P10D`: overrides some priorities' defaults (first response / resolution). */
export function parseServiceLevels(text: string | undefined, problems: string[]): Record<CasePriority, ServiceLevel> {
  const levels: Record<CasePriority, ServiceLevel> = { ...DEFAULT_SERVICE_LEVELS };
  for (const entry of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [priority, durations] = entry.split('=').map((s) => s.trim());
    if (!(CASE_PRIORITIES as readonly string[]).includes(priority)) {
      problems.push(`CASE_SERVICE_LEVELS: "${priority.slice(0, 40)}" is not a priority (${CASE_PRIORITIES.join(', ')})`);
      continue;
    }
    const [firstResponse, resolution] = (durations ?? '').split('/').map((s) => s.trim());
    try {
      const first = parseIsoDuration(firstResponse, 'firstResponse');
      const total = parseIsoDuration(resolution, 'resolution');
      if (first <= 0 || total < first) throw new Error('the first response must be due after 0 and no later than the resolution');
      levels[priority as CasePriority] = { firstResponse: firstResponse.toUpperCase(), resolution: resolution.toUpperCase() };
    } catch (error) {
      problems.push(`CASE_SERVICE_LEVELS: ${priority}=${(durations ?? '').slice(0, 40)} must be <first response>/<resolution>, ISO-8601 durations such as PT2H/P1D (${(error as Error).message})`);
    }
  }
  return levels;
}

function readJsonFile(variable: string, file: string, problems: string[]): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push(`${variable}: cannot read ${file} as JSON (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  }
}

/** Reads CASE_* variables (docs/cases.md, "Configuration"), adding a message to `problems` for each bad one. */
export function parseCaseSettings(value: (name: string) => string | undefined, problems: string[]): CaseSettings {
  let reopenDays = DEFAULT_CASE_SETTINGS.reopenDays;
  const reopen = value('CASE_REOPEN_DAYS');
  if (reopen !== undefined) {
    if (/^\d+$/.test(reopen) && Number(reopen) >= 0 && Number(reopen) <= 365) reopenDays = Number(reopen);
    else problems.push(`CASE_REOPEN_DAYS must be a whole number of days from 0 to 365, not "${reopen.slice(0, 40)}"`);
  }
  let serviceLevelCheckMs = DEFAULT_CASE_SETTINGS.serviceLevelCheckMs;
  const check = value('CASE_SLA_CHECK_MS');
  if (check !== undefined) {
    if (/^\d+$/.test(check) && Number(check) >= 100 && Number(check) <= 3_600_000) serviceLevelCheckMs = Number(check);
    else problems.push(`CASE_SLA_CHECK_MS must be a whole number of milliseconds from 100 to 3600000, not "${check.slice(0, 40)}"`);
  }
  const serviceLevels = parseServiceLevels(value('CASE_SERVICE_LEVELS'), problems);
  let surveyLinkDays = DEFAULT_CASE_SETTINGS.surveyLinkDays;
  const linkDays = value('CASE_SURVEY_LINK_DAYS');
  if (linkDays !== undefined) {
    if (/^\d+$/.test(linkDays) && Number(linkDays) >= 1 && Number(linkDays) <= 365) surveyLinkDays = Number(linkDays);
    else problems.push(`CASE_SURVEY_LINK_DAYS must be a whole number of days from 1 to 365, not "${linkDays.slice(0, 40)}"`);
  }
  let surveyPageUrl = DEFAULT_CASE_SETTINGS.surveyPageUrl;
  const page = value('CASE_SURVEY_PAGE_URL');
  if (page !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(page);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || page.length > 500) {
      problems.push('CASE_SURVEY_PAGE_URL must be an http(s) URL the token is appended to, e.g. https://bank.example/survey?token=');
    } else surveyPageUrl = page;
  }

  let classification = DEFAULT_CLASSIFICATION_RULES;
  const rulesFile = value('CASE_CLASSIFICATION_RULES_FILE');
  if (rulesFile !== undefined) {
    const json = readJsonFile('CASE_CLASSIFICATION_RULES_FILE', rulesFile, problems);
    if (json !== undefined) {
      const parsed = parseClassificationRules(json);
      if (parsed.ok) classification = parsed.rules;
      else problems.push(`CASE_CLASSIFICATION_RULES_FILE ${rulesFile}: ${parsed.problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`);
    }
  }
  let routing = DEFAULT_CASE_ROUTING;
  const routingFile = value('CASE_ROUTING_FILE');
  if (routingFile !== undefined) {
    const json = readJsonFile('CASE_ROUTING_FILE', routingFile, problems);
    if (json !== undefined) {
      const parsed = parseCaseRouting(json);
      if (parsed.ok) routing = parsed.routing;
      else problems.push(`CASE_ROUTING_FILE ${routingFile}: ${parsed.problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`);
    }
  }
  return { reopenDays, serviceLevels, classification, routing, serviceLevelCheckMs, surveyLinkDays, surveyPageUrl };
}
