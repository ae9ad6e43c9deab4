import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { ActivateCardCommand, type CommandContext } from '@cards/application';
import { ACTIVATION_CHANNELS, type ActivationChannel } from '@cards/domain';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { CardCommandDocs } from '../shared/card-command.decorators';
import { CARD_RESPONSE_EXAMPLE, cardCommandResponse, type CardCommandResponse } from '../shared/card-response';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

export class ActivateCardRequest {
  @ApiProperty({ enum: ACTIVATION_CHANNELS, example: 'APP' })
  @IsIn(ACTIVATION_CHANNELS)
  channel!: ActivationChannel;

  @ApiPropertyOptional({ example: '4111111111111111', description: 'Required for DEBIT and CREDIT: proves possession. Never stored.' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9][0-9 -]{10,28}[0-9]$/, { message: 'cardNumber must be 12 to 20 digits (spaces and dashes allowed between them)' })
  cardNumber?: string;

  @ApiPropertyOptional({ example: '123', description: 'CVV2, required for DEBIT and CREDIT. Checked, never stored.' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{3}$/, { message: 'cvv must be exactly 3 digits' })
  cvv?: string;
}

@ApiTags('cards')
@Controller('v1/cards/:cardId/activate')
@HonoursIdempotencyKey()
export class ActivateCardController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({ schema: { example: { ...CARD_RESPONSE_EXAMPLE, status: 'ACTIVE', revision: 3 } } })
  @ApiUnprocessableEntityResponse({
    description: 'Wrong card number or CVV2: the attempt is recorded, attemptsLeft says how many remain; the third suspends the card',
  })
  async activate(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: ActivateCardRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse> {
    return cardCommandResponse(await this.commands.execute(new ActivateCardCommand(cardId, body, ctx)), reply);
  }
}
