import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { VerifyIdentityCommand, type CommandContext } from '@cards/application';
import { VERIFICATION_METHODS, type VerificationFailureReason, type VerificationMethod } from '@cards/domain';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { CardCommandDocs } from '../shared/card-command.decorators';
import { CARD_RESPONSE_EXAMPLE, cardCommandResponse, type CardCommandResponse } from '../shared/card-response';

export class VerifyIdentityRequest {
  @ApiProperty({ enum: VERIFICATION_METHODS, example: 'ID_DOCUMENT' })
  @IsIn(VERIFICATION_METHODS)
  method!: VerificationMethod;

  @ApiProperty({ example: '张三', description: 'The name as presented (compared after NFKC, ignoring spaces and middle dots)' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ example: '11010519491231002X' })
  @IsString()
  @Length(1, 40)
  idNumber!: string;

  @ApiPropertyOptional({ example: 0.93, description: 'Provider match score 0..1, required for FACE and FINGERPRINT' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  matchScore?: number;
}

type VerificationResponse = CardCommandResponse & { result: 'VERIFIED' | 'FAILED'; reasons: VerificationFailureReason[] };

@ApiTags('cards')
@Controller('v1/cards/:cardId/identity-verifications')
export class VerifyIdentityController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({
    description: 'The outcome: a failed verification is recorded too (status stays ISSUED) and can be retried',
    schema: { example: { result: 'VERIFIED', reasons: [], ...CARD_RESPONSE_EXAMPLE, status: 'IDENTITY_VERIFIED', revision: 1 } },
  })
  async verify(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: VerifyIdentityRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VerificationResponse> {
    const outcome = await this.commands.execute(new VerifyIdentityCommand(cardId, body, ctx));
    const failure = outcome.newEvents.find((e) => e.type === 'IdentityVerificationFailed');
    return {
      result: failure ? 'FAILED' : 'VERIFIED',
      reasons: failure?.type === 'IdentityVerificationFailed' ? failure.data.reasons : [],
      ...cardCommandResponse(outcome, reply),
    };
  }
}
