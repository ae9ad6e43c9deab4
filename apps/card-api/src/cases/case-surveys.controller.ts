import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  AggregateRunner,
  AnswerCaseSurveyCommand,
  CASE_SURVEY_LINKS,
  caseStream,
  CLOCK,
  type CaseOutcome,
  type CaseSurveyLinks,
  type Clock,
  type CommandContext,
} from '@cards/application';
import { caseDecider, DomainError } from '@cards/domain';
import { correlationIdOf } from '@cards/platform';
import { CaseSurveyRequest } from './case-work.controller';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

/**
 * The satisfaction survey answered by the customer through the link of the resolution e-mail (docs/cases.md,
 * "Survey"). Public: the signed, expiring token in the path is the credential, and it opens this one case's survey
 * and nothing else. The issuer's survey page (CASE_SURVEY_PAGE_URL) shows the question and posts the answer here.
 */
@ApiTags('cases')
@Controller('v1/case-surveys')
@HonoursIdempotencyKey()
export class CaseSurveysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly runner: AggregateRunner,
    @Inject(CASE_SURVEY_LINKS) private readonly links: CaseSurveyLinks,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':token')
  @ApiOkResponse({
    description: 'What the survey page needs: the case number, whether the survey can still be answered, until when the link answers',
    schema: { example: { caseNumber: 'CS-1A2B3C4D', status: 'RESOLVED', answerable: true, answered: false, linkExpiresAt: '2026-12-07T09:00:00.000Z' } },
  })
  @ApiForbiddenResponse({ description: 'SURVEY_LINK_EXPIRED' })
  @ApiNotFoundResponse({ description: 'SURVEY_LINK_INVALID: a forged, changed or cut link' })
  async show(@Param('token') token: string) {
    const { caseId, expiresAt } = this.caseOf(token);
    const { state } = await this.runner.load(caseStream(caseId), caseDecider);
    if (!state.exists) throw new DomainError('not_found', 'CASE_NOT_FOUND', 'The case of this survey link does not exist');
    return {
      caseNumber: state.caseNumber,
      status: state.status,
      answerable: (state.status === 'RESOLVED' || state.status === 'CLOSED') && state.survey === null,
      answered: state.survey !== null,
      linkExpiresAt: expiresAt,
    };
  }

  @Post(':token')
  @HttpCode(201)
  @ApiCreatedResponse({ description: 'Recorded, once (a second answer is a 409 SURVEY_ALREADY_ANSWERED)', schema: { example: { caseNumber: 'CS-1A2B3C4D', answered: true } } })
  @ApiForbiddenResponse({ description: 'SURVEY_LINK_EXPIRED' })
  @ApiNotFoundResponse({ description: 'SURVEY_LINK_INVALID' })
  async answer(@Param('token') token: string, @Body() body: CaseSurveyRequest, @Req() request: FastifyRequest) {
    const { caseId } = this.caseOf(token);
    const ctx: CommandContext = {
      // The customer answers for themselves; the link, not an account, says which case.
      actor: { id: 'survey-link', role: 'customer' },
      correlationId: correlationIdOf(request),
      causationId: String(request.id),
    };
    const input = { score: body.score, ...(body.comment !== undefined && { comment: body.comment }) };
    const outcome: CaseOutcome = await this.commands.execute(new AnswerCaseSurveyCommand(caseId, input, 'LINK', ctx));
    return { caseNumber: outcome.state.caseNumber, answered: true };
  }

  private caseOf(token: string): { caseId: string; expiresAt: string } {
    const checked = this.links.verify(token, this.clock.now());
    if (checked.ok) return checked;
    throw checked.reason === 'EXPIRED'
      ? new DomainError('forbidden', 'SURVEY_LINK_EXPIRED', 'This survey link has expired; the customer can give their score by calling the hotline')
      : // Like an unknown id: a forged or damaged link opens no survey, and says no more than that.
        new DomainError('not_found', 'SURVEY_LINK_INVALID', 'There is no survey behind this link: it is not one this service made, or it was changed or cut');
  }
}
