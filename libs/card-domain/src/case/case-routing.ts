import type { FieldViolation } from '../shared/domain-error';
import { CASE_CATEGORIES, CASE_CHANNELS, CASE_PRIORITIES, type CaseCategory, type CaseChannel, type CasePriority } from './case.types';
import defaultRoutingFile from './default-routing.json';

export const ROUTING_STRATEGIES = ['ROUND_ROBIN', 'LEAST_OPEN'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** A rule sends the cases it matches to a team. A condition left out matches everything; each given one must hold. */
export interface RoutingRule {
  readonly id: string;
  readonly categories?: readonly CaseCategory[];
  readonly priorities?: readonly CasePriority[];
  readonly channels?: readonly CaseChannel[];
  readonly team: string;
}

export interface TeamAgent {
  readonly id: string;
  /** Only available agents are given new cases; the others keep theirs. */
  readonly available: boolean;
}

export interface Team {
  readonly strategy: RoutingStrategy;
  /** In order: round-robin goes down this list. */
  readonly agents: readonly TeamAgent[];
  /** The second-level team a breach of a service level escalates to (the supervisors are told either way). */
  readonly escalateTo?: string;
}

export interface CaseRouting {
  /** The queue of cases no rule matches. */
  readonly defaultTeam: string;
  /** In order: the first rule that matches decides. */
  readonly rules: readonly RoutingRule[];
  readonly teams: Readonly<Record<string, Team>>;
}

export interface RoutingFacts {
  readonly category: CaseCategory;
  readonly priority: CasePriority;
  readonly channel: CaseChannel;
}

/** The team a case goes to, and the rule that sent it there (null: no rule matched, the default queue). */
export function routeCase(facts: RoutingFacts, routing: CaseRouting): { team: string; ruleId: string | null } {
  const rule = routing.rules.find(
    (r) =>
      (r.categories === undefined || r.categories.includes(facts.category)) &&
      (r.priorities === undefined || r.priorities.includes(facts.priority)) &&
      (r.channels === undefined || r.channels.includes(facts.channel)),
  );
  return rule === undefined ? { team: routing.defaultTeam, ruleId: null } : { team: rule.team, ruleId: rule.id };
}

export interface AgentChoiceContext {
  /** The agent the team's last routed case went to (round-robin carries on after them). */
  readonly lastAssigned: string | null;
  /** Open cases per agent (LEAST_OPEN); an agent missing from it has none. */
  readonly openCases?: ReadonlyMap<string, number>;
}

/**
 * The agent who gets the team's next case, or null when nobody in the team is available (the case waits in the
 * team's queue). ROUND_ROBIN: the next available agent after the last one routed, in the team's order.
 * LEAST_OPEN: the available agent with the fewest open cases; a tie goes round-robin, so equals share alike.
 */
export function chooseAgent(team: Team, context: AgentChoiceContext): string | null {
  const agents = team.agents.map((a) => a.id);
  const lastIndex = context.lastAssigned === null ? -1 : agents.indexOf(context.lastAssigned);
  // Everybody in round-robin order: starting after the last one routed.
  const rotation = agents.map((_, i) => team.agents[(lastIndex + 1 + i) % agents.length]).filter((a) => a.available);
  if (rotation.length === 0) return null;
  if (team.strategy === 'ROUND_ROBIN') return rotation[0].id;
  const open = (id: string) => context.openCases?.get(id) ?? 0;
  let best = rotation[0];
  for (const agent of rotation) if (open(agent.id) < open(best.id)) best = agent;
  return best.id;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function listOf<T extends string>(value: unknown, allowed: readonly T[], field: string, problems: FieldViolation[]): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && (allowed as readonly string[]).includes(v))) {
    problems.push({ field, reason: `must be a non-empty list of ${allowed.join(', ')}` });
    return undefined;
  }
  return value as T[];
}

/** Checks a routing document (the default file's shape), naming every problem by its path. */
export function parseCaseRouting(input: unknown): { ok: true; routing: CaseRouting } | { ok: false; problems: FieldViolation[] } {
  const problems: FieldViolation[] = [];
  const doc = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const teams: Record<string, Team> = {};
  const teamsIn = (typeof doc.teams === 'object' && doc.teams !== null && !Array.isArray(doc.teams) ? doc.teams : undefined) as Record<string, unknown> | undefined;
  if (teamsIn === undefined) problems.push({ field: 'teams', reason: 'must be an object: team name → { strategy, agents, escalateTo? }' });
  for (const [name, raw] of Object.entries(teamsIn ?? {})) {
    const at = `teams.${name}`;
    if (!NAME.test(name)) problems.push({ field: at, reason: 'a team name is 1 to 64 letters, digits, . _ -' });
    const team = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (!(ROUTING_STRATEGIES as readonly unknown[]).includes(team.strategy)) problems.push({ field: `${at}.strategy`, reason: `must be one of ${ROUTING_STRATEGIES.join(', ')}` });
    const agents: TeamAgent[] = [];
    if (!Array.isArray(team.agents)) problems.push({ field: `${at}.agents`, reason: 'must be a list of { id, available } (it may be empty)' });
    else {
      team.agents.forEach((a: unknown, i) => {
        const agent = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
        if (typeof agent.id !== 'string' || agent.id.trim() === '' || agent.id.length > 256) problems.push({ field: `${at}.agents[${i}].id`, reason: 'must be the agent\'s token subject (1 to 256 characters)' });
        else if (agents.some((x) => x.id === agent.id)) problems.push({ field: `${at}.agents[${i}].id`, reason: `${agent.id} is in this team twice` });
        if (typeof agent.available !== 'boolean') problems.push({ field: `${at}.agents[${i}].available`, reason: 'must be true or false' });
        agents.push({ id: agent.id as string, available: agent.available as boolean });
      });
    }
    if (team.escalateTo !== undefined && (typeof team.escalateTo !== 'string' || teamsIn?.[team.escalateTo] === undefined || team.escalateTo === name)) {
      problems.push({ field: `${at}.escalateTo`, reason: 'must name another team of this file' });
    }
    teams[name] = { strategy: team.strategy as RoutingStrategy, agents, ...(typeof team.escalateTo === 'string' && { escalateTo: team.escalateTo }) };
  }
  const known = (team: unknown): boolean => typeof team === 'string' && teams[team] !== undefined;
  if (!known(doc.defaultTeam)) problems.push({ field: 'defaultTeam', reason: 'must name a team of this file' });
  const rules: RoutingRule[] = [];
  if (!Array.isArray(doc.rules)) problems.push({ field: 'rules', reason: 'must be a list of rules (it may be empty)' });
  else {
    const ids = new Set<string>();
    doc.rules.forEach((raw: unknown, i) => {
      const at = `rules[${i}]`;
      const rule = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      if (typeof rule.id !== 'string' || !NAME.test(rule.id)) problems.push({ field: `${at}.id`, reason: 'must be 1 to 64 letters, digits, . _ -' });
      else if (ids.has(rule.id)) problems.push({ field: `${at}.id`, reason: `"${rule.id}" names another rule already` });
      else ids.add(rule.id);
      if (!known(rule.team)) problems.push({ field: `${at}.team`, reason: 'must name a team of this file' });
      const categories = listOf(rule.categories, CASE_CATEGORIES, `${at}.categories`, problems);
      const priorities = listOf(rule.priorities, CASE_PRIORITIES, `${at}.priorities`, problems);
      const channels = listOf(rule.channels, CASE_CHANNELS, `${at}.channels`, problems);
      rules.push({
        id: rule.id as string,
        team: rule.team as string,
        ...(categories && { categories }),
        ...(priorities && { priorities }),
        ...(channels && { channels }),
      });
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, routing: { defaultTeam: doc.defaultTeam as string, rules, teams } };
}

/** The teams an agent belongs to, in file order. */
export function teamsOfAgent(routing: CaseRouting, agentId: string): string[] {
  return Object.entries(routing.teams)
    .filter(([, team]) => team.agents.some((a) => a.id === agentId))
    .map(([name]) => name);
}

const parsedDefault = parseCaseRouting(defaultRoutingFile);
if (!parsedDefault.ok) throw new Error(`default-routing.json is invalid: ${JSON.stringify(parsedDefault.problems)}`);
/** The routing of `default-routing.json`: teams without agents (cases wait in the team queues until an agent takes them). */
export const DEFAULT_CASE_ROUTING: CaseRouting = parsedDefault.routing;
