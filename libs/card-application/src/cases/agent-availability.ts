import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type Team } from '@cards/domain';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { eventMetadata } from '../shared/event-metadata';
import { deterministicUuid } from '../shared/deterministic-id';
import { agentStream } from '../shared/streams';
import { CASE_SETTINGS, type CaseSettings } from './case-settings';

export const AGENT_AVAILABILITY_CHANGED = 'AgentAvailabilityChanged';

export interface AgentAvailabilityView {
  readonly agentId: string;
  readonly teams: string[];
  readonly available: boolean;
  /** Where the value comes from: the routing file, or a change recorded since (who, when). */
  readonly source: 'ROUTING_FILE' | 'CHANGED';
  readonly changedBy: string | null;
  readonly changedAt: string | null;
}

/**
 * Who is on duty (docs/cases.md, "Routing"): the routing file lists the agents of each team and whether they start
 * available; an agent marks themselves available or away during the day (a supervisor may do it for anyone), and
 * that is recorded in the agent's stream (`agent-<agentId>`, `AgentAvailabilityChanged`). The last change wins over
 * the file; routing and the supervisors' workload read it.
 */
@Injectable()
export class AgentAvailability {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CASE_SETTINGS) private readonly settings: CaseSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The teams of the routing file the agent belongs to; empty when the file does not know them. */
  teamsOf(agentId: string): string[] {
    return Object.entries(this.settings.routing.teams)
      .filter(([, team]) => team.agents.some((a) => a.id === agentId))
      .map(([name]) => name);
  }

  /** The agent's last recorded change, if any. */
  private async lastChange(agentId: string): Promise<{ available: boolean; changedBy: string; changedAt: string } | null> {
    const events = await this.eventStore.readStream(agentStream(agentId));
    const last = events[events.length - 1];
    if (last === undefined) return null;
    return { available: last.data.available === true, changedBy: String(last.data.changedBy), changedAt: String(last.data.changedAt) };
  }

  async view(agentId: string): Promise<AgentAvailabilityView> {
    const teams = this.teamsOf(agentId);
    if (teams.length === 0) throw unknownAgent(agentId);
    const change = await this.lastChange(agentId);
    if (change !== null) return { agentId, teams, available: change.available, source: 'CHANGED', changedBy: change.changedBy, changedAt: change.changedAt };
    const inFile = teams.some((team) => this.settings.routing.teams[team].agents.some((a) => a.id === agentId && a.available));
    return { agentId, teams, available: inFile, source: 'ROUTING_FILE', changedBy: null, changedAt: null };
  }

  /** The team with each agent's availability as it stands now (the file's value unless a change was recorded). */
  async effective(team: Team): Promise<Team> {
    const agents = await Promise.all(
      team.agents.map(async (agent) => {
        const change = await this.lastChange(agent.id);
        return change === null ? agent : { ...agent, available: change.available };
      }),
    );
    return { ...team, agents };
  }

  /** Records a change: an agent for themselves, a supervisor for anyone of the routing file. */
  async set(agentId: string, available: boolean, ctx: CommandContext): Promise<AgentAvailabilityView> {
    if (this.teamsOf(agentId).length === 0) throw unknownAgent(agentId);
    if (ctx.actor.role !== 'supervisor' && ctx.actor.id !== agentId) {
      throw new DomainError('forbidden', 'NOT_YOUR_AVAILABILITY', 'An agent marks their own availability; a supervisor may mark anyone\'s', { agentId });
    }
    const now = ctx.occurredAt ?? this.clock.now().toISOString();
    const current = await this.view(agentId);
    if (current.available !== available) {
      const idSeed = ctx.idempotencyKey ?? `${ctx.causationId}`;
      await this.eventStore.appendToStream(
        agentStream(agentId),
        [
          {
            id: deterministicUuid('agent-availability', agentId, idSeed),
            type: AGENT_AVAILABILITY_CHANGED,
            data: { agentId, available, changedBy: ctx.actor.id, changedAt: now },
            metadata: eventMetadata(ctx, now, 'api'),
          },
        ],
        { expectedRevision: 'any' },
      );
    }
    return this.view(agentId);
  }
}

function unknownAgent(agentId: string): DomainError {
  return new DomainError('not_found', 'AGENT_NOT_FOUND', `No agent ${agentId} in any team of the routing file (CASE_ROUTING_FILE)`, { agentId });
}
