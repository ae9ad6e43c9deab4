import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { AgentAvailability, type CommandContext } from '@cards/application';
import { InvalidRequestError } from '@cards/platform';
import { RequestContext } from '../http/request-context';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

export class AvailabilityRequest {
  @ApiProperty({ example: false, description: 'true: give me cases; false: away (no new case is routed to me)' })
  @IsBoolean()
  available!: boolean;
}

const AGENT_ID = /^[\x21-\x7e]{1,128}$/;

function agentIdOf(given: string, ctx: CommandContext): string {
  const agentId = given === 'me' ? ctx.actor.id : given;
  if (!AGENT_ID.test(agentId)) throw new InvalidRequestError([{ field: 'agentId', reason: 'must be "me" or an agent id of the routing file (1 to 128 visible ASCII characters)' }]);
  return agentId;
}

const EXAMPLE = { agentId: 'agent-17', teams: ['activation'], available: false, source: 'CHANGED', changedBy: 'agent-17', changedAt: '2026-11-23T12:00:00.000Z' };

/**
 * Who is on duty (docs/cases.md, "Routing"): an agent marks themselves available or away, a supervisor anyone of the
 * routing file; routing gives new cases only to available agents, and the supervisors' workload shows it.
 */
@ApiTags('cases')
@Controller('v1/cases/agents')
@HonoursIdempotencyKey()
export class AgentAvailabilityController {
  constructor(private readonly availability: AgentAvailability) {}

  @Get(':agentId/availability')
  @ApiOkResponse({ description: 'The agent\'s teams and whether new cases are routed to them (from the routing file, or the last change)', schema: { example: EXAMPLE } })
  @ApiNotFoundResponse({ description: 'AGENT_NOT_FOUND: not in any team of the routing file' })
  get(@Param('agentId') agentId: string, @RequestContext() ctx: CommandContext) {
    return this.availability.view(agentIdOf(agentId, ctx));
  }

  @Post(':agentId/availability')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Recorded (nothing is recorded when it does not change)', schema: { example: EXAMPLE } })
  @ApiForbiddenResponse({ description: 'NOT_YOUR_AVAILABILITY: an agent marks only their own' })
  @ApiNotFoundResponse({ description: 'AGENT_NOT_FOUND' })
  put(@Param('agentId') agentId: string, @Body() body: AvailabilityRequest, @RequestContext() ctx: CommandContext) {
    return this.availability.set(agentIdOf(agentId, ctx), body.available, ctx);
  }
}
