import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { ChangeCardStatusCommand, type CardStatusChange, type CommandContext } from '@cards/application';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { CardCommandDocs } from '../shared/card-command.decorators';
import { CARD_RESPONSE_EXAMPLE, cardCommandResponse, type CardCommandResponse } from '../shared/card-response';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

export class StatusChangeRequest {
  @ApiProperty({ example: 'LOST_REPORTED', description: 'Why: a code or a short sentence (1–200 characters)' })
  @IsString()
  @Length(1, 200)
  reason!: string;
}

export class ReinstateRequest {
  @ApiPropertyOptional({ example: 'Card found by the customer' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  reason?: string;
}

@ApiTags('cards')
@Controller('v1/cards/:cardId')
@HonoursIdempotencyKey()
export class StatusChangesController {
  constructor(private readonly commands: CommandBus) {}

  @Post('suspend')
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({ schema: { example: { ...CARD_RESPONSE_EXAMPLE, status: 'SUSPENDED' } } })
  suspend(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: StatusChangeRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse> {
    return this.change(cardId, 'SuspendCard', body.reason, ctx, reply);
  }

  @Post('reinstate')
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({ description: 'Back to the status before the suspension', schema: { example: { ...CARD_RESPONSE_EXAMPLE, status: 'ACTIVE' } } })
  reinstate(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: ReinstateRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse> {
    return this.change(cardId, 'ReinstateCard', body.reason, ctx, reply);
  }

  @Post('cancel')
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({ description: 'Cancelled for good (terminal)', schema: { example: { ...CARD_RESPONSE_EXAMPLE, status: 'CANCELLED' } } })
  cancel(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: StatusChangeRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse> {
    return this.change(cardId, 'CancelCard', body.reason, ctx, reply);
  }

  private async change(
    cardId: string,
    change: CardStatusChange,
    reason: string | undefined,
    ctx: CommandContext,
    reply: FastifyReply,
  ): Promise<CardCommandResponse> {
    return cardCommandResponse(await this.commands.execute(new ChangeCardStatusCommand(cardId, change, reason, ctx)), reply);
  }
}
