import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import {
  casesProjection,
  CaseWorkloadQuery,
  CLOCK,
  GetCaseQuery,
  ListCasesQuery,
  PersonalDataAccessLog,
  ReadYourWrites,
  type Clock,
  type CommandContext,
} from '@cards/application';
import { allowedCaseActions, CASE_CATEGORIES, CASE_STATUSES, type CaseCategory, type CaseStatus } from '@cards/domain';
import { InvalidRequestError } from '@cards/platform';
import { PagedReadQuery } from '../read-side/read-query.request';
import { etagOf, RequestContext } from '../http/request-context';
import { uuidParam } from '../http/validation';

export class CasesQuery extends PagedReadQuery {
  @ApiPropertyOptional({ example: 'me', description: '"me" (the caller), or an agent\'s id' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  assignee?: string;

  @ApiPropertyOptional({ example: 'activation' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  team?: string;

  @ApiPropertyOptional({ example: 'ASSIGNED,IN_PROGRESS', description: `Comma-separated: ${CASE_STATUSES.join(', ')}` })
  @IsOptional()
  @Matches(new RegExp(`^(${CASE_STATUSES.join('|')})(,(${CASE_STATUSES.join('|')}))*$`), { message: `status must be one or more of ${CASE_STATUSES.join(', ')}, comma-separated` })
  status?: string;

  @ApiPropertyOptional({ enum: CASE_CATEGORIES })
  @IsOptional()
  @IsIn(CASE_CATEGORIES)
  category?: CaseCategory;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only cases escalated (or not) for a missed service level' })
  @IsOptional()
  @IsIn(['true', 'false'])
  escalated?: 'true' | 'false';
}

const LIST_EXAMPLE = {
  caseId: '0b8c7a1e-2f3d-8c5b-8a9e-1d2c3b4a5f60',
  caseNumber: 'CS-0B8C7A1E',
  channel: 'PHONE',
  customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21',
  cardId: '3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e',
  priority: 'HIGH',
  category: 'ACTIVATION_FAILED',
  status: 'ASSIGNED',
  team: 'activation',
  assignee: 'agent-17',
  openedAt: '2026-11-23T09:00:00.000Z',
  firstResponseDueAt: '2026-11-23T11:00:00.000Z',
  escalated: false,
};

@ApiTags('cases')
@Controller('v1/cases')
export class CaseReadsController {
  constructor(
    private readonly queries: QueryBus,
    private readonly readYourWrites: ReadYourWrites,
    private readonly accessLog: PersonalDataAccessLog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOkResponse({ description: '{ items, nextCursor }: cases from the read model, oldest first; no texts (description, comments) in it', schema: { example: { items: [LIST_EXAMPLE], nextCursor: null } } })
  async list(@Query() query: CasesQuery, @RequestContext() ctx: CommandContext) {
    await this.readYourWrites.ensure(query.minPosition, [casesProjection.name]);
    const assignee = query.assignee === 'me' ? ctx.actor.id : query.assignee;
    return this.queries.execute(
      new ListCasesQuery({
        ...(assignee !== undefined && { assignee }),
        ...(query.team !== undefined && { team: query.team }),
        ...(query.status !== undefined && { status: [...new Set(query.status.split(','))] as CaseStatus[] }),
        ...(query.category !== undefined && { category: query.category }),
        ...(query.escalated !== undefined && { escalated: query.escalated === 'true' }),
        limit: query.limit ?? 50,
        ...(query.cursor && { cursor: query.cursor }),
      }),
    );
  }

  @Get('workload')
  @ApiOkResponse({ description: 'Per team (the routing file\'s, and any other a case is in): open, queued (nobody holds them), escalated and overdue cases, and per agent their open and overdue ones' })
  async workload(@Query() query: PagedReadQuery) {
    await this.readYourWrites.ensure(query.minPosition, [casesProjection.name]);
    return this.queries.execute(new CaseWorkloadQuery(this.clock.now().toISOString()));
  }

  @Get(':caseId')
  @ApiHeader({ name: 'X-Access-Reason', required: false, description: 'Why the case is read (1–200 characters); the read of a customer\'s case is logged in their access log, with "case <number>" when none is given' })
  @ApiOkResponse({ description: 'The case from its stream: texts in clear (or [erased]), comments, deadlines, breaches, survey, allowed actions; the card\'s status and relevant events of the 30 days before the case' })
  @ApiNotFoundResponse({ description: 'No such case' })
  async get(
    @Param('caseId', uuidParam('caseId')) caseId: string,
    @Headers('x-access-reason') reasonHeader: string | undefined,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const reason = reasonHeader?.trim() || undefined;
    if (reason !== undefined && reason.length > 200) throw new InvalidRequestError([{ field: 'X-Access-Reason', reason: 'must be at most 200 characters' }]);
    const view = await this.queries.execute(new GetCaseQuery(caseId));
    const { exists: _exists, ...fields } = view.case;
    // Fail closed, as for a customer's record: the read is logged before the texts are answered.
    if (fields.customerId !== null) await this.accessLog.record(fields.customerId, ctx, reason ?? `case ${fields.caseNumber}`);
    void reply.header('ETag', etagOf(view.revision));
    return { ...fields, allowedActions: allowedCaseActions(fields.status), revision: Number(view.revision), card: view.card };
  }
}
