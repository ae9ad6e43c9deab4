import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiHeader, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { IssueCardCommand, type CommandContext } from '@cards/application';
import { RequestContext } from '../../http/request-context';
import { CARD_RESPONSE_EXAMPLE, cardCommandResponse, type CardCommandResponse } from '../shared/card-response';
import { IssueCardRequest } from './issue-card.request';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

@ApiTags('cards')
@Controller('v1/cards')
@HonoursIdempotencyKey()
export class IssueCardController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ schema: { example: { ...CARD_RESPONSE_EXAMPLE, status: 'ISSUED', revision: 0 } } })
  @ApiBadRequestResponse({ description: 'Malformed input, e.g. a card number that fails the Luhn check' })
  @ApiNotFoundResponse({ description: 'The customer does not exist' })
  @ApiConflictResponse({
    description:
      'This card number has already been issued (CARD_NUMBER_ALREADY_ISSUED), or the holder\'s id number already has MAX_SIMS_PER_ID active or pending SIM cards (SIM_LIMIT_REACHED, with maxSimsPerId and activeSims)',
  })
  async issue(
    @Body() body: IssueCardRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse> {
    const outcome = await this.commands.execute(new IssueCardCommand(body, ctx));
    void reply.header('Location', `/v1/cards/${outcome.cardId}`);
    return cardCommandResponse(outcome, reply);
  }
}
