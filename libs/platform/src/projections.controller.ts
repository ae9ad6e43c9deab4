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
    description: 'Each projection: checkpoint, head position, lag in events and seconds, rate, state and last error',
    schema: {
      example: {
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
          },
        ],
      },
    },
  })
  async list() {
    return { items: await this.host.status() };
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'The rebuild has started: follow it with GET /v1/projections (state "rebuilding")' })
  @ApiNotFoundResponse({ description: 'No projection of that name' })
  @ApiConflictResponse({ description: 'The projections run in another process (card-projector)' })
  async rebuild(@Param('name') name: string) {
    if (!this.host.runner.has(name)) {
      throw new DomainError('not_found', 'PROJECTION_NOT_FOUND', `No projection named "${name}"`, {
        projections: this.host.runner.projections.map((p) => p.name),
      });
    }
    if (!this.host.inProcess) {
      throw new DomainError('conflict', 'PROJECTIONS_ELSEWHERE', 'Projections run in card-projector; rebuild them there (card-cli projections rebuild)');
    }
    await this.host.runner.rebuild(name);
    return { name, state: 'rebuilding' };
  }
}
