import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { OpenCaseCommand, type CommandContext } from '@cards/application';
import { CASE_CATEGORIES, CASE_CHANNELS, CASE_PRIORITIES, CASE_TEXT_MAX_LENGTH, type CaseCategory, type CaseChannel, type CasePriority } from '@cards/domain';
import { RequestContext } from '../http/request-context';
import { CASE_RESPONSE_EXAMPLE, caseCommandResponse } from './case-response';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

export class OpenCaseRequest {
  @ApiProperty({ enum: CASE_CHANNELS, example: 'PHONE', description: 'Where the customer raised it' })
  @IsIn(CASE_CHANNELS)
  channel!: CaseChannel;

  @ApiPropertyOptional({ example: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', description: 'The customer; taken from the card when only the card is given' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @ApiPropertyOptional({ example: '3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e', description: 'The card the case is about: its recent events help classify it' })
  @IsOptional()
  @IsUUID()
  cardId?: string;

  @ApiProperty({ example: '客户说激活时一直提示CVV错误', description: `What the customer says (1–${CASE_TEXT_MAX_LENGTH} characters; encrypted when stored, never in lists or reports)` })
  @IsString()
  @Length(1, CASE_TEXT_MAX_LENGTH * 2)
  description!: string;

  @ApiPropertyOptional({ enum: CASE_CATEGORIES, description: 'Leave it out and the classification rules propose one' })
  @IsOptional()
  @IsIn(CASE_CATEGORIES)
  category?: CaseCategory;

  @ApiProperty({ enum: CASE_PRIORITIES, example: 'HIGH', description: 'Sets the service levels (CASE_SERVICE_LEVELS)' })
  @IsIn(CASE_PRIORITIES)
  priority!: CasePriority;
}

@ApiTags('cases')
@Controller('v1/cases')
@HonoursIdempotencyKey()
export class OpenCaseController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retry safely: the same key and body open one case and return the same answer' })
  @ApiCreatedResponse({
    description: 'Opened, classified and routed: the team (and agent, when one of the team is available), the service-level deadlines; Location names it',
    schema: { example: { ...CASE_RESPONSE_EXAMPLE, proposedCategory: 'ACTIVATION_FAILED', proposedByRule: 'recent-failed-activation', routingRule: 'activation' } },
  })
  async open(@Body() body: OpenCaseRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const outcome = await this.commands.execute(new OpenCaseCommand(body, ctx));
    void reply.header('Location', `/v1/cases/${outcome.caseId}`);
    const opened = outcome.newEvents.find((e) => e.type === 'CaseOpened');
    return {
      ...caseCommandResponse(outcome, reply),
      proposedCategory: outcome.state.proposedCategory,
      proposedByRule: outcome.state.proposedByRule,
      routingRule: opened?.type === 'CaseOpened' ? opened.data.routingRule : null,
    };
  }
}
