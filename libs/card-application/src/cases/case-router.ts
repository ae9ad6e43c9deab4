import { Inject, Injectable } from '@nestjs/common';
import { chooseAgent, routeCase, type RoutingFacts } from '@cards/domain';
import { EVENT_STORE, StreamRevisionConflictError, type EventStore } from '@cards/event-store';
import { READ_STORE, type ReadStore } from '@cards/read-store';
import { deterministicUuid } from '../shared/deterministic-id';
import { caseRoutingStream } from '../shared/streams';
import { AgentAvailability } from './agent-availability';
import { CASE_SETTINGS, type CaseSettings } from './case-settings';
import { CASES } from './cases.projection';

export const CASE_ROUTED_TO_AGENT = 'CaseRoutedToAgent';
const ATTEMPTS = 4;

export interface RoutingDecision {
  readonly team: string;
  /** The rule that chose the team; null: none matched, the default queue. */
  readonly ruleId: string | null;
  /** The agent who gets the case; null: nobody in the team is available, the case waits in the team's queue. */
  readonly assignee: string | null;
}

/**
 * Chooses a case's team (the routing rules, in order) and agent (round-robin or least open cases among the team's
 * available agents). Round-robin carries on from the team's routing stream (`routing-team-<team>`, one
 * `CaseRoutedToAgent` per case given to an agent), appended at the revision read: two cases routed at the same
 * moment never both go to the same "next" agent. Least open cases counts from the `cases` read model, which may
 * trail the log by a moment: a heuristic for spreading load, not a rule that must hold exactly.
 */
@Injectable()
export class CaseRouter {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CASE_SETTINGS) private readonly settings: CaseSettings,
    private readonly availability: AgentAvailability,
  ) {}

  /** What this process last read of each team's routing stream: later reads start after it (the stream only grows). */
  private readonly lastRead = new Map<string, { lastAssigned: string; revision: bigint }>();

  /** The team's routing stream read: the agent its last case went to, and the revision to append at. */
  private async lastRouted(team: string): Promise<{ lastAssigned: string | null; revision: bigint | 'no_stream' }> {
    const known = this.lastRead.get(team);
    const events = await this.eventStore.readStream(caseRoutingStream(team), known === undefined ? {} : { fromRevision: known.revision + 1n });
    const last = events[events.length - 1];
    if (last !== undefined) this.lastRead.set(team, { lastAssigned: String(last.data.agentId), revision: last.revision });
    const now = this.lastRead.get(team);
    return now === undefined ? { lastAssigned: null, revision: 'no_stream' } : { lastAssigned: now.lastAssigned, revision: now.revision };
  }

  private async openCasesOf(agents: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const agent of agents) counts.set(agent, await this.readStore.count(CASES, { assignee: agent, open: true }));
    return counts;
  }

  async route(caseId: string, facts: RoutingFacts, now: string): Promise<RoutingDecision> {
    const { team, ruleId } = routeCase(facts, this.settings.routing);
    const inFile = this.settings.routing.teams[team];
    // Who is on duty now: the file's value unless the agent (or a supervisor) changed it since.
    const config = inFile === undefined ? undefined : await this.availability.effective(inFile);
    if (config === undefined || !config.agents.some((a) => a.available)) return { team, ruleId, assignee: null };
    const openCases = config.strategy === 'LEAST_OPEN' ? await this.openCasesOf(config.agents.filter((a) => a.available).map((a) => a.id)) : undefined;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const { lastAssigned, revision } = await this.lastRouted(team);
      const assignee = chooseAgent(config, { lastAssigned, ...(openCases && { openCases }) });
      if (assignee === null) return { team, ruleId, assignee: null };
      try {
        await this.eventStore.appendToStream(
          caseRoutingStream(team),
          [{ id: deterministicUuid('case-routed', team, caseId), type: CASE_ROUTED_TO_AGENT, data: { caseId, agentId: assignee, routedAt: now }, metadata: { schemaVersion: 1 } }],
          { expectedRevision: revision },
        );
        return { team, ruleId, assignee };
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
      }
    }
    // Lost every race: leave the case in the team's queue rather than fail the customer's case.
    return { team, ruleId, assignee: null };
  }
}
