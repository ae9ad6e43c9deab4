import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { IsBase64, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { IdentityProviderUnavailableError, VerifyIdentityCommand, type CommandContext } from '@cards/application';
import { VERIFICATION_METHODS, type ReviewReason, type VerificationFailureReason, type VerificationMethod } from '@cards/domain';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { CardCommandDocs } from '../shared/card-command.decorators';
import { CARD_RESPONSE_EXAMPLE, cardCommandResponse, type CardCommandResponse } from '../shared/card-response';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

/** Base64 of a photo or fingerprint template: at most this many characters (about 750 KB of image). */
export const MAX_SAMPLE_BASE64_LENGTH = 1_000_000;

export class VerifyIdentityRequest {
  @ApiProperty({ enum: VERIFICATION_METHODS, example: 'ID_DOCUMENT', description: 'docs/identity.md says what each method needs and checks' })
  @IsIn(VERIFICATION_METHODS)
  method!: VerificationMethod;

  @ApiPropertyOptional({ example: '张三', description: 'The name on the document (ID_DOCUMENT, BRANCH_STAFF: required). Compared after NFKC, ignoring spaces, middle dots and Latin case' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ example: '11010519491231002X', description: 'The document number (ID_DOCUMENT, BRANCH_STAFF: required)' })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  idNumber?: string;

  @ApiPropertyOptional({ example: '1949-12-31', description: 'The birth date printed on the document, YYYY-MM-DD' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be a date, YYYY-MM-DD' })
  birthDate?: string;

  @ApiPropertyOptional({
    example: 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10',
    description: 'A passport\'s machine-readable zone (ICAO 9303 TD3: two lines of 44 characters); its check digits are verified',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  mrz?: string;

  @ApiPropertyOptional({ description: 'FACE: base64 of a JPEG or PNG photo; FINGERPRINT: base64 of an ISO/IEC 19794-2 template. Sent to the identity provider, never stored' })
  @IsOptional()
  @IsBase64()
  @MaxLength(MAX_SAMPLE_BASE64_LENGTH)
  sample?: string;

  @ApiPropertyOptional({ example: 'staff-0042', description: 'BRANCH_STAFF: the member of staff who saw the original document (default: the caller)' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  staffId?: string;
}

type VerificationResult = 'VERIFIED' | 'FAILED' | 'REVIEW' | 'LOCKED';
type VerificationResponse = CardCommandResponse & {
  result: VerificationResult;
  reasons: (VerificationFailureReason | ReviewReason)[];
  reviewId?: string;
};

@ApiTags('cards')
@Controller('v1/cards/:cardId/identity-verifications')
@HonoursIdempotencyKey()
export class VerifyIdentityController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(200)
  @CardCommandDocs()
  @ApiOkResponse({
    description:
      'The outcome, recorded whatever it is: VERIFIED; FAILED with a reason code per failed check (the card stays ISSUED and may try again); ' +
      'REVIEW (a person decides: the card waits in IDENTITY_REVIEW, see /v1/reviews); LOCKED (the third failure: VERIFICATION_LOCKED until a review decides)',
    schema: { example: { result: 'VERIFIED', reasons: [], ...CARD_RESPONSE_EXAMPLE, status: 'IDENTITY_VERIFIED', revision: 1 } },
  })
  @ApiServiceUnavailableResponse({ description: 'IDENTITY_PROVIDER_UNAVAILABLE: the provider could not answer; recorded, not held against the customer. Retry later with a new Idempotency-Key' })
  async verify(
    @Param('cardId', uuidParam('cardId')) cardId: string,
    @Body() body: VerifyIdentityRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VerificationResponse> {
    const outcome = await this.commands.execute(new VerifyIdentityCommand(cardId, body, ctx));
    const events = outcome.newEvents;
    const unavailable = events.find((e) => e.type === 'IdentityVerificationUnavailable');
    if (unavailable?.type === 'IdentityVerificationUnavailable') {
      throw new IdentityProviderUnavailableError({ cardId }, unavailable.data.reason, outcome.revision);
    }
    const failed = events.find((e) => e.type === 'IdentityVerificationFailed');
    const review = events.find((e) => e.type === 'IdentityReviewRequested');
    const locked = events.some((e) => e.type === 'IdentityVerificationLocked');
    const result: VerificationResult = locked ? 'LOCKED' : failed ? 'FAILED' : review ? 'REVIEW' : 'VERIFIED';
    return {
      result,
      reasons: failed?.type === 'IdentityVerificationFailed' ? failed.data.reasons : review?.type === 'IdentityReviewRequested' ? review.data.reasons : [],
      ...(review?.type === 'IdentityReviewRequested' && { reviewId: review.data.reviewId }),
      ...cardCommandResponse(outcome, reply),
    };
  }
}
