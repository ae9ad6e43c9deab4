import { Inject, Injectable } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { cardDecider, caseDecider, DomainError, type CaseStatus, type OpenedCase } from '@cards/domain';
import { READ_STORE, type FieldCondition, type Filter, type ReadStore, type SortKey } from '@cards/read-store';
import { decodeCursor, queryFingerprint, toPage, type Page } from '../read-side/paging';
import { AggregateRunner } from '../shared/aggregate-runner';
import { cardStream, caseStream } from '../shared/streams';
import { occurredAtOf } from './case-commands';
import { AgentAvailability } from './agent-availability';
import { CASE_SETTINGS, type CaseSettings } from './case-settings';
import { CASES, type CaseDocument } from './cases.projection';

/** The card events an agent looks at for a case, and the facts of each that help (codes and counts, nothing personal). */
const RELEVANT_CARD_EVENTS: Readonly<Record<string, readonly string[]>> = {
  CardIssued: ['channel', 'product'],
  IdentityVerified: ['method'],
  IdentityVerificationFailed: ['method', 'reasons'],
  IdentityVerificationLocked: ['failures'],
  IdentityReviewRequested: ['method', 'reasons'],
  IdentityReviewDecided: ['decision'],
  CardLinked: [],
  ActivationAttemptFailed: ['channel', 'reason', 'attempt', 'attemptsLeft'],
  CardActivated: ['channel'],
  CardSuspended: [],
  CardReinstated: [],
  CardCancelled: [],
  CardDisputed: ['reason'],
  DisputeResolved: ['outcome'],
};
/** How far back before the case was opened the card's events are shown. */
const RELEVANT_DAYS = 30;
const MAX_RELEVANT_EVENTS = 50;

export interface RelevantCardEvent {
  readonly type: string;
  readonly occurredAt: string;
  readonly facts: Record<string, unknown>;
}

export interface CaseView {
  readonly case: OpenedCase;
  readonly revision: bigint;
  /** The card the case is on, its status and its relevant recent events; null for a case on no card. */
  readonly card: { readonly cardId: string; readonly status: string; readonly panLast4: string; readonly product: string; readonly recentEvents: RelevantCardEvent[] } | null;
}

export class GetCaseQuery extends Query<CaseView> {
  constructor(readonly caseId: string) {
    super();
  }
}

/** One case, folded from its stream (texts decrypted), with its card's relevant events of the 30 days before it. */
@QueryHandler(GetCaseQuery)
@Injectable()
export class GetCaseHandler implements IQueryHandler<GetCaseQuery, CaseView> {
  constructor(private readonly runner: AggregateRunner) {}

  async execute({ caseId }: GetCaseQuery): Promise<CaseView> {
    const loaded = await this.runner.load(caseStream(caseId), caseDecider);
    if (!loaded.state.exists || loaded.revision === null) throw new DomainError('not_found', 'CASE_NOT_FOUND', `No case with id ${caseId}`, { caseId });
    const state = loaded.state;
    let card: CaseView['card'] = null;
    if (state.cardId !== null) {
      const cardLoaded = await this.runner.load(cardStream(state.cardId), cardDecider);
      if (cardLoaded.state.exists) {
        const since = Date.parse(state.openedAt) - RELEVANT_DAYS * 86_400_000;
        const recentEvents = cardLoaded.events
          .filter((e) => RELEVANT_CARD_EVENTS[e.type] !== undefined && Date.parse(occurredAtOf(e)) >= since)
          .slice(-MAX_RELEVANT_EVENTS)
          .map((e) => ({
            type: e.type,
            occurredAt: occurredAtOf(e),
            facts: Object.fromEntries(RELEVANT_CARD_EVENTS[e.type].filter((f) => e.data[f] !== undefined).map((f) => [f, e.data[f]])),
          }));
        card = { cardId: state.cardId, status: cardLoaded.state.status, panLast4: cardLoaded.state.panLast4, product: cardLoaded.state.product, recentEvents };
      }
    }
    return { case: state, revision: loaded.revision, card };
  }
}

export type CaseListItem = Omit<CaseDocument, '_id'>;

export interface CaseCriteria {
  readonly assignee?: string;
  readonly team?: string;
  readonly status?: readonly CaseStatus[];
  readonly category?: string;
  readonly escalated?: boolean;
  readonly limit: number;
  readonly cursor?: string;
}

export class ListCasesQuery extends Query<Page<CaseListItem>> {
  constructor(readonly criteria: CaseCriteria) {
    super();
  }
}

const OLDEST_FIRST: readonly SortKey[] = [{ field: 'openedAt', direction: 'asc' }];

/** The cases read model, filtered, oldest first: an agent's queue, a team's, the escalated ones. */
@QueryHandler(ListCasesQuery)
@Injectable()
export class ListCasesHandler implements IQueryHandler<ListCasesQuery, Page<CaseListItem>> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ criteria }: ListCasesQuery): Promise<Page<CaseListItem>> {
    const filter: Record<string, FieldCondition> = { openedAt: { $ne: null } };
    if (criteria.assignee !== undefined) filter.assignee = criteria.assignee;
    if (criteria.team !== undefined) filter.team = criteria.team;
    if (criteria.status !== undefined) filter.status = criteria.status.length === 1 ? criteria.status[0] : { $in: [...criteria.status] };
    if (criteria.category !== undefined) filter.category = criteria.category;
    if (criteria.escalated !== undefined) filter.escalated = criteria.escalated;
    const fingerprint = queryFingerprint({ filter, sort: OLDEST_FIRST });
    const after = criteria.cursor ? decodeCursor(criteria.cursor, fingerprint, OLDEST_FIRST) : undefined;
    const docs = await this.readStore.find(CASES, { filter: filter as Filter, sort: OLDEST_FIRST, limit: criteria.limit + 1, ...(after && { after }) });
    return toPage(docs, criteria.limit, fingerprint, OLDEST_FIRST, (doc) => {
      const { _id, ...item } = doc as unknown as CaseDocument;
      return item;
    });
  }
}

export interface TeamWorkload {
  readonly team: string;
  readonly strategy: string | null;
  readonly escalateTo: string | null;
  /** Open cases of the team that nobody holds (its queue). */
  readonly queued: number;
  readonly open: number;
  readonly escalated: number;
  readonly overdue: number;
  readonly agents: AgentWorkload[];
}

export interface AgentWorkload {
  readonly agentId: string;
  /** As the routing file says; null for an agent holding the team's cases who is not in the file's team. */
  readonly available: boolean | null;
  open: number;
  overdue: number;
}

export class CaseWorkloadQuery extends Query<{ asOf: string; teams: TeamWorkload[] }> {
  constructor(readonly now: string) {
    super();
  }
}

/**
 * What the supervisors see: per team of the routing file (and any other team a case is in), the open cases, the
 * queue nobody holds, escalations and cases past a deadline, and per agent their open and overdue cases.
 */
@QueryHandler(CaseWorkloadQuery)
@Injectable()
export class CaseWorkloadHandler implements IQueryHandler<CaseWorkloadQuery> {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CASE_SETTINGS) private readonly settings: CaseSettings,
    private readonly availability: AgentAvailability,
  ) {}

  async execute({ now }: CaseWorkloadQuery): Promise<{ asOf: string; teams: TeamWorkload[] }> {
    type Mutable = { -readonly [K in keyof TeamWorkload]: TeamWorkload[K] };
    const teams = new Map<string, Mutable>();
    const teamOf = (name: string): Mutable => {
      let team = teams.get(name);
      if (team === undefined) {
        const config = this.settings.routing.teams[name];
        team = {
          team: name,
          strategy: config?.strategy ?? null,
          escalateTo: config?.escalateTo ?? null,
          queued: 0,
          open: 0,
          escalated: 0,
          overdue: 0,
          agents: (config?.agents ?? []).map((a) => ({ agentId: a.id, available: a.available, open: 0, overdue: 0 })),
        };
        teams.set(name, team);
      }
      return team;
    };
    for (const name of Object.keys(this.settings.routing.teams)) teamOf(name);
    // Who is on duty now: the routing file's value, unless a change was recorded since.
    for (const [name, team] of teams) {
      const inFile = this.settings.routing.teams[name];
      if (inFile === undefined) continue;
      const now = await this.availability.effective(inFile);
      team.agents = team.agents.map((a) => ({ ...a, available: now.agents.find((b) => b.id === a.agentId)?.available ?? a.available }));
    }
    for await (const raw of this.readStore.scan(CASES, { open: true })) {
      const doc = raw as unknown as CaseDocument;
      const team = teamOf(doc.team);
      const overdue = (doc.firstRespondedAt === null && doc.firstResponseDueAt < now) || doc.resolutionDueAt < now;
      team.open += 1;
      if (doc.escalated) team.escalated += 1;
      if (overdue) team.overdue += 1;
      if (doc.assignee === null) {
        team.queued += 1;
        continue;
      }
      let agent = team.agents.find((a) => a.agentId === doc.assignee);
      if (agent === undefined) {
        agent = { agentId: doc.assignee, available: null, open: 0, overdue: 0 };
        team.agents.push(agent);
      }
      agent.open += 1;
      if (overdue) agent.overdue += 1;
    }
    return { asOf: now, teams: [...teams.values()] };
  }
}
