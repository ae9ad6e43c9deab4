import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import {
  DecideIdentityReviewCommand,
  ListReviewsQuery,
  ReadYourWrites,
  RecordReviewContactAttemptCommand,
  reviewsProjection,
  type CommandContext,
  type ReviewStatus,
} from '@cards/application';
import {
  CONTACT_ATTEMPT_CHANNELS,
  CONTACT_ATTEMPT_OUTCOMES,
  REVIEW_DECISIONS,
  type ContactAttemptChannel,
  type ContactAttemptOutcome,
  type ReviewDecision,
} from '@cards/domain';
import { PagedReadQuery } from '../read-side/read-query.request';
import { etagOf, RequestContext } from '../http/request-context';
import { formatPosition } from '@cards/event-store';
import { uuidParam } from '../http/validation';
import { cardCommandResponse } from '../cards/shared/card-response';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

const REVIEW_STATUSES: readonly ReviewStatus[] = ['OPEN', 'APPROVED', 'REJECTED', 'CLOSED'];

export class ReviewsQuery extends PagedReadQuery {
  @ApiPropertyOptional({ enum: REVIEW_STATUSES, default: 'OPEN' })
  @IsOptional()
  @IsIn(REVIEW_STATUSES)
  status?: ReviewStatus;
}

export class ContactAttemptRequest {
  @ApiProperty({ enum: CONTACT_ATTEMPT_CHANNELS, example: 'PHONE' })
  @IsIn(CONTACT_ATTEMPT_CHANNELS)
  channel!: ContactAttemptChannel;

  @ApiProperty({ enum: CONTACT_ATTEMPT_OUTCOMES, example: 'REACHED' })
  @IsIn(CONTACT_ATTEMPT_OUTCOMES)
  outcome!: ContactAttemptOutcome;

  @ApiPropertyOptional({ example: 'Customer confirmed the birth date on the document; our record had a typo' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export class ReviewDecisionRequest {
  @ApiProperty({ enum: REVIEW_DECISIONS, example: 'APPROVE' })
  @IsIn(REVIEW_DECISIONS)
  decision!: ReviewDecision;

  @ApiProperty({ example: 'Original document seen at the branch; birth date corrected', description: 'Why (1–2000 characters)' })
  @IsString()
  @Length(1, 2000)
  note!: string;
}

const REVIEW_EXAMPLE = {
  reviewId: '0e2b4b54-6f0a-4c1e-9d56-3b1f6a7c9e21',
  cardId: '5b0e8f4e-3b9a-4d7e-8d1c-2f7a9c1e4b10',
  method: 'ID_DOCUMENT',
  reasons: ['BIRTH_DATE_MISMATCH'],
  differences: ['BIRTH_DATE_MISMATCH'],
  matchScore: null,
  status: 'OPEN',
  requestedBy: 'branch-clerk-17',
  requestedAt: '2026-11-23T09:00:00.000Z',
  contactAttempts: [],
  decidedBy: null,
  decidedAt: null,
  decisionNote: null,
  durationSeconds: null,
};

@ApiTags('reviews')
@Controller('v1/reviews')
@HonoursIdempotencyKey()
export class ReviewsController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus, private readonly readYourWrites: ReadYourWrites) {}

  @Get()
  @ApiOkResponse({ description: '{ items, nextCursor }: identity reviews (OPEN by default), oldest first, with what differed', schema: { example: { items: [REVIEW_EXAMPLE], nextCursor: null } } })
  async list(@Query() query: ReviewsQuery) {
    await this.readYourWrites.ensure(query.minPosition, [reviewsProjection.name]);
    return this.queries.execute(new ListReviewsQuery({ status: query.status ?? 'OPEN', limit: query.limit ?? 50, ...(query.cursor && { cursor: query.cursor }) }));
  }

  @Post(':reviewId/contact-attempts')
  @HttpCode(201)
  @ApiOkResponse({ description: 'Recorded on the card\'s stream; the card stays under review' })
  @ApiNotFoundResponse({ description: 'No such review, or it is no longer open' })
  async contactAttempt(
    @Param('reviewId', uuidParam('reviewId')) reviewId: string,
    @Body() body: ContactAttemptRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const outcome = await this.commands.execute(new RecordReviewContactAttemptCommand(reviewId, body, ctx));
    return { reviewId, ...cardCommandResponse(outcome, reply) };
  }

  @Post(':reviewId/decision')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'A card\'s review: APPROVE verifies the identity (IDENTITY_VERIFIED), REJECT fails the verification and the card is ISSUED again. A customer\'s correction: APPROVE changes the name or id number (`corrected: true`; a new id number must not belong to another customer: 409), REJECT changes nothing',
  })
  @ApiForbiddenResponse({ description: 'REVIEWER_MUST_DIFFER: whoever asked for the review cannot decide it' })
  @ApiNotFoundResponse({ description: 'No such review, or it is no longer open' })
  async decide(
    @Param('reviewId', uuidParam('reviewId')) reviewId: string,
    @Body() body: ReviewDecisionRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const decided = await this.commands.execute(new DecideIdentityReviewCommand(reviewId, body, ctx));
    if (decided.subject === 'CARD') return { reviewId, decision: body.decision, ...cardCommandResponse(decided.outcome, reply) };
    const { outcome } = decided;
    void reply.header('ETag', etagOf(outcome.revision));
    return {
      reviewId,
      decision: body.decision,
      customerId: outcome.customerId,
      corrected: outcome.newEvents.some((e) => e.type === 'CustomerIdentityCorrected'),
      revision: Number(outcome.revision),
      position: formatPosition(outcome.position),
    };
  }
}
