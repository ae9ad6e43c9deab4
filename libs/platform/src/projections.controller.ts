import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@cards/domain';
import { ProjectionsHost } from './projections-host';

@ApiTags('projections')
@Controller('v1/projections')
export class ProjectionsController {
  constructor(private readonly host: ProjectionsHost) {}

  @Get()
  @ApiOkResponse({
    description:
      'Each projection: checkpoint, head position, lag in events and seconds, rate, state and last error, and its version (the one ' +
      'recorded with its documents, and the one this build declares: a projection whose version changed is rebuilt from zero when the ' +
      'projections start); and the projections lease: ' +
      'which process runs them (holder: host:pid:random), until when, and whether it is this one. A process waiting for the lease ' +
      'shows each projection in state "standby".',
    schema: {
      example: {
        lease: {
          name: 'projections',
          holder: 'card-projector-7d9f:41:9a3c51fe',
          acquiredAt: '2026-11-23T08:00:00.000Z',
          renewedAt: '2026-11-23T08:59:55.000Z',
          expiresAt: '2026-11-23T09:00:10.000Z',
          expired: false,
          heldByThisProcess: true,
          thisProcess: 'card-projector-7d9f:41:9a3c51fe',
          role: 'active',
          ttlMs: 15000,
        },
        items: [
          {
            name: 'cards',
            state: 'live',
            checkpoint: '1042',
            eventsApplied: 1042,
            headPosition: '1042',
            lagEvents: 0,
            lagCapped: false,
            lagSeconds: 0,
            eventsPerSecond: 35,
            error: null,
            updatedAt: '2026-11-23T09:00:00.000Z',
            version: 1,
            declaredVersion: 1,
          },
        ],
      },
    },
  })
  async list() {
    const [items, lease] = await Promise.all([this.host.status(), this.host.leaseStatus()]);
    return { lease, items };
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'The rebuild has started: follow it with GET /v1/projections (state "rebuilding")' })
  @ApiNotFoundResponse({ description: 'No projection of that name' })
  @ApiConflictResponse({
    description:
      'The projections run in another process: card-projector (PROJECTIONS_ELSEWHERE), or the process holding the projections lease while this one is on standby (PROJECTIONS_LEASE_HELD_ELSEWHERE, naming the holder)',
  })
  async rebuild(@Param('name') name: string) {
    if (!this.host.runner.has(name)) {
      throw new DomainError('not_found', 'PROJECTION_NOT_FOUND', `No projection named "${name}"`, {
        projections: this.host.runner.projections.map((p) => p.name),
      });
    }
    if (!this.host.inProcess) {
      throw new DomainError('conflict', 'PROJECTIONS_ELSEWHERE', 'Projections run in card-projector; rebuild them there (card-cli projections rebuild)');
    }
    if (this.host.standby) {
      const lease = await this.host.leaseStatus();
      throw new DomainError(
        'conflict',
        'PROJECTIONS_LEASE_HELD_ELSEWHERE',
        `This process (${lease.thisProcess}) is on standby: the projections run in ${lease.holder ?? 'another process'}, which holds the projections lease; rebuild there`,
        { holder: lease.holder, expiresAt: lease.expiresAt, thisProcess: lease.thisProcess },
      );
    }
    await this.host.runner.rebuild(name);
    return { name, state: 'rebuilding' };
  }
}
