import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiForbiddenResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import type { FastifyReply } from 'fastify';
import {
  AnswerCaseSurveyCommand,
  AssignCaseCommand,
  ChangeCaseStatusCommand,
  CommentOnCaseCommand,
  CorrectCaseCategoryCommand,
  ReopenCaseCommand,
  ResolveCaseCommand,
  type CommandContext,
} from '@cards/application';
import { CASE_CATEGORIES, CASE_TEXT_MAX_LENGTH, SETTABLE_CASE_STATUSES, SURVEY_COMMENT_MAX_LENGTH, type CaseCategory, type SettableCaseStatus } from '@cards/domain';
import { RequestContext } from '../http/request-context';
import { uuidParam } from '../http/validation';
import { CASE_RESPONSE_EXAMPLE, CaseCommandDocs, caseCommandResponse } from './case-response';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

// Texts are checked for length as people count characters by the domain; the DTO bounds the bytes that arrive.
const TEXT_BOUND = CASE_TEXT_MAX_LENGTH * 2;

export class AssignCaseRequest {
  @ApiProperty({ example: 'me', description: '"me", or an agent\'s id (their token subject): only a supervisor assigns to someone else' })
  @IsString()
  @Length(1, 256)
  assignee!: string;

  @ApiPropertyOptional({ example: 'activation-l2', description: 'Move the case to another team of the routing file (supervisors)' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'team must be a team name: letters, digits, . _ -' })
  team?: string;
}

export class CaseCommentRequest {
  @ApiProperty({ example: '已致电客户，确认卡片在手', description: `1–${CASE_TEXT_MAX_LENGTH} characters; encrypted when stored` })
  @IsString()
  @Length(1, TEXT_BOUND)
  text!: string;
}

export class CaseStatusRequest {
  @ApiProperty({ enum: SETTABLE_CASE_STATUSES, example: 'WAITING_CUSTOMER', description: 'RESOLVED through /resolution, ASSIGNED through /assignment' })
  @IsIn(SETTABLE_CASE_STATUSES)
  status!: SettableCaseStatus;
}

export class CaseResolutionRequest {
  @ApiProperty({ example: 'Reset the failed attempts; the customer activated the card while on the phone', description: `1–${CASE_TEXT_MAX_LENGTH} characters` })
  @IsString()
  @Length(1, TEXT_BOUND)
  resolution!: string;
}

export class CaseReopenRequest {
  @ApiProperty({ example: 'The customer still cannot activate', description: 'Why (1–4000 characters)' })
  @IsString()
  @Length(1, TEXT_BOUND)
  reason!: string;
}

export class CaseCategoryRequest {
  @ApiProperty({ enum: CASE_CATEGORIES, example: 'NOTIFICATION_NOT_RECEIVED' })
  @IsIn(CASE_CATEGORIES)
  category!: CaseCategory;
}

export class CaseSurveyRequest {
  @ApiProperty({ minimum: 1, maximum: 5, example: 4 })
  @IsInt()
  @Min(1)
  @Max(5)
  score!: number;

  @ApiPropertyOptional({ example: '处理很快', description: `At most ${SURVEY_COMMENT_MAX_LENGTH} characters` })
  @IsOptional()
  @IsString()
  @Length(0, SURVEY_COMMENT_MAX_LENGTH * 2)
  comment?: string;
}

@ApiTags('cases')
@Controller('v1/cases/:caseId')
@HonoursIdempotencyKey()
export class CaseWorkController {
  constructor(private readonly commands: CommandBus) {}

  @Post('assignment')
  @HttpCode(200)
  @CaseCommandDocs()
  @ApiOkResponse({ schema: { example: CASE_RESPONSE_EXAMPLE } })
  @ApiForbiddenResponse({ description: 'An agent assigning to someone else or another team (ASSIGNMENT_NEEDS_SUPERVISOR), or taking a case another agent holds (REASSIGNMENT_NEEDS_SUPERVISOR)' })
  async assign(@Param('caseId', uuidParam('caseId')) caseId: string, @Body() body: AssignCaseRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return caseCommandResponse(await this.commands.execute(new AssignCaseCommand(caseId, body, ctx)), reply);
  }

  @Post('comments')
  @HttpCode(201)
  @CaseCommandDocs()
  @ApiOkResponse({ schema: { example: CASE_RESPONSE_EXAMPLE } })
  async comment(@Param('caseId', uuidParam('caseId')) caseId: string, @Body() body: CaseCommentRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return caseCommandResponse(await this.commands.execute(new CommentOnCaseCommand(caseId, body.text, ctx)), reply);
  }

  @Post('status')
  @HttpCode(200)
  @CaseCommandDocs()
  @ApiOkResponse({ schema: { example: { ...CASE_RESPONSE_EXAMPLE, status: 'WAITING_CUSTOMER' } } })
  async status(@Param('caseId', uuidParam('caseId')) caseId: string, @Body() body: CaseStatusRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return caseCommandResponse(await this.commands.execute(new ChangeCaseStatusCommand(caseId, body.status, ctx)), reply);
  }

  @Post('resolution')
  @HttpCode(200)
  @CaseCommandDocs()
  @ApiOkResponse({ schema: { example: { ...CASE_RESPONSE_EXAMPLE, status: 'RESOLVED' } } })
  async resolve(@Param('caseId', uuidParam('caseId')) caseId: string, @Body() body: CaseResolutionRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return caseCommandResponse(await this.commands.execute(new ResolveCaseCommand(caseId, body.resolution, ctx)), reply);
  }

  @Post('reopen')
  @HttpCode(200)
  @CaseCommandDocs()
  @ApiOkResponse({ schema: { example: { ...CASE_RESPONSE_EXAMPLE, status: 'IN_PROGRESS' } } })
  async reopen(@Param('caseId', uuidParam('caseId')) caseId: string, @Body() body: CaseReopenRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return caseCommandResponse(await this.commands.execute(new ReopenCaseCommand(caseId, body.reason, ctx)), reply);
  }

  @Post('category')
  @HttpCode(200)
  @CaseCommandDocs()
  @ApiOkResponse({ schema: { example: { ...CASE_RESPONSE_EXAMPLE, category: 'NOTIFICATION_NOT_RECEIVED' } } })
  async category(@Param('caseId', uuidParam('caseId')) caseId: string, @Body() body: CaseCategoryRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return caseCommandResponse(await this.commands.execute(new CorrectCaseCategoryCommand(caseId, body.category, ctx)), reply);
  }

  @Post('survey')
  @HttpCode(201)
  @CaseCommandDocs()
  @ApiOkResponse({ description: 'Recorded (once: a second answer is a 409 SURVEY_ALREADY_ANSWERED)', schema: { example: { ...CASE_RESPONSE_EXAMPLE, status: 'RESOLVED' } } })
  async survey(@Param('caseId', uuidParam('caseId')) caseId: string, @Body() body: CaseSurveyRequest, @RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = { score: body.score, ...(body.comment !== undefined && { comment: body.comment }) };
    return caseCommandResponse(await this.commands.execute(new AnswerCaseSurveyCommand(caseId, input, 'AGENT', ctx)), reply);
  }
}
