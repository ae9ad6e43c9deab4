import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { OpenDisputeCommand, ResolveDisputeCommand, type CommandContext } from '@cards/application';
import { DISPUTE_OUTCOMES, DISPUTE_REASONS, type DisputeOutcome, type DisputeReason } from '@cards/domain';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { CardCommandDocs } from '../shared/card-command.decorators';
import { CARD_RESPONSE_EXAMPLE, cardCommandResponse, type CardCommandResponse } from '../shared/card-response';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

export class OpenDisputeRequest {
  @ApiProperty({ enum: DISPUTE_REASONS, example: 'UNRECOGNIZED_ACTIVATION' })
  @IsIn(DISPUTE_REASONS)
  reason!: DisputeReason;

  @ApiProperty({ example: 'The customer says they never activated this card.' })
  @IsString()
  @Length(1, 2000)
  description!: string;
}

export class ResolveDisputeRequest {
  @ApiProperty({ enum: DISPUTE_OUTCOMES, example: 'REJECTED', description: 'UPHELD cancels the card; REJECTED returns it to its status before the dispute' })
  @IsIn(DISPUTE_OUTCOMES)
  outcome!: DisputeOutcome;

  @ApiProperty({ example: 'Activation was made from the customer\'s registered device.' })
  @IsString()
  @Length(1, 2000)
  note!: string;
}

@ApiTags('cards')
@Controller('v1/cards/:cardId/disputes')
@HonoursIdempotencyKey()
export class DisputesController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @CardCommandDocs()
  @ApiCreatedResponse({ schema: { example: { disputeId: '0d6c3f0a-2b7e-4c1d-9a8f-3e2d1c0b9a87', ...CARD_RESPONSE_EXAMPLE, status: 'DISPUTED', revision: 4 } } })
  async open(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: OpenDisputeRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse & { disputeId: string }> {
    const outcome = await this.commands.execute(new OpenDisputeCommand(cardId, body, ctx));
    const disputeId = outcome.card.openDispute?.disputeId ?? '';
    void reply.header('Location', `/v1/cards/${cardId}/disputes/${disputeId}`);
    return { disputeId, ...cardCommandResponse(outcome, reply) };
  }

  @Post(':disputeId/resolution')
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({ schema: { example: { disputeId: '0d6c3f0a-2b7e-4c1d-9a8f-3e2d1c0b9a87', ...CARD_RESPONSE_EXAMPLE, status: 'ACTIVE', revision: 5 } } })
  async resolve(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Param('disputeId', uuidParam('disputeId')) disputeId: string,
    @Body() body: ResolveDisputeRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse & { disputeId: string }> {
    const outcome = await this.commands.execute(new ResolveDisputeCommand(cardId, disputeId, body, ctx));
    return { disputeId, ...cardCommandResponse(outcome, reply) };
  }
}
