import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiConflictResponse, ApiCreatedResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { RequestIdentityCorrectionCommand, type CommandContext } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { etagOf, RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

export class IdentityCorrectionRequest {
  @ApiPropertyOptional({ example: '张叁', description: 'The corrected name' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ example: '110105194912310038', description: 'The corrected id number (same id type, checked like a registration)' })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  idNumber?: string;

  @ApiProperty({ example: 'Registered with a typo; resident id card seen at branch BJ-001', description: 'Why, and on what evidence (10–500 characters, no personal data)' })
  @IsString()
  @Length(10, 500)
  reason!: string;
}

@ApiTags('customers')
@Controller('v1/customers/:customerId/identity-corrections')
@HonoursIdempotencyKey()
export class IdentityCorrectionsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({
    description: 'The correction waits in the review queue (GET /v1/reviews) for someone else to decide it; nothing changes until then',
    schema: { example: { customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', reviewId: '0e2b4b54-6f0a-4c1e-9d56-3b1f6a7c9e21', status: 'OPEN', revision: 2, position: '90' } },
  })
  @ApiConflictResponse({ description: 'A correction is already open, or the customer\'s personal data was erased' })
  async request(
    @Param('customerId', uuidParam('customerId')) customerId: string,
    @Body() body: IdentityCorrectionRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const outcome = await this.commands.execute(new RequestIdentityCorrectionCommand(customerId, body, ctx));
    void reply.header('ETag', etagOf(outcome.revision));
    return { customerId, reviewId: outcome.reviewId, status: 'OPEN', revision: Number(outcome.revision), position: formatPosition(outcome.position) };
  }
}
