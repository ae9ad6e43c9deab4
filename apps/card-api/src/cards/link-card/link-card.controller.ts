import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { LinkCardCommand, type CommandContext } from '@cards/application';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { CardCommandDocs } from '../shared/card-command.decorators';
import { CARD_RESPONSE_EXAMPLE, cardCommandResponse, type CardCommandResponse } from '../shared/card-response';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

export class LinkCardRequest {
  @ApiProperty({ example: 'ACC-6222020000123456', description: 'The customer\'s account at the issuer' })
  @IsString()
  @Length(1, 64)
  @Matches(/^[\w.:-]+$/, { message: 'accountId may contain letters, digits, "_", ".", ":" and "-" only' })
  accountId!: string;
}

@ApiTags('cards')
@Controller('v1/cards/:cardId/link')
@HonoursIdempotencyKey()
export class LinkCardController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({ schema: { example: { ...CARD_RESPONSE_EXAMPLE, status: 'LINKED', revision: 2 } } })
  async link(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: LinkCardRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardCommandResponse> {
    return cardCommandResponse(await this.commands.execute(new LinkCardCommand(cardId, body.accountId, ctx)), reply);
  }
}
