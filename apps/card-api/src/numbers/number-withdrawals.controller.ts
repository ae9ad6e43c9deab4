import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { WithdrawNumberCommand, type CommandContext } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { RequestContext } from '../http/request-context';
import { MsisdnParam } from './number-params';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

export class WithdrawNumberRequest {
  @ApiProperty({ example: 'Reclaimed by the regulator', description: 'Why, for the record (1–200 characters)' })
  @IsString()
  @MaxLength(400)
  reason!: string;
}

@ApiTags('numbers')
@Controller('v1/numbers/:msisdn/withdrawal')
@HonoursIdempotencyKey()
export class NumberWithdrawalsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({
    description: 'The number is out of circulation for good (WITHDRAWN): never suggested, found or reserved again',
    schema: { example: { msisdn: '13800138000', reason: 'Reclaimed by the regulator', withdrawnAt: '2026-11-23T09:00:00.000Z', position: '44' } },
  })
  @ApiNotFoundResponse({ description: 'The number is not in the inventory (NUMBER_NOT_FOUND)' })
  @ApiConflictResponse({ description: 'The number is reserved, assigned or withdrawn already: only an AVAILABLE or QUARANTINED number can be withdrawn' })
  async withdraw(@Param('msisdn', MsisdnParam) msisdn: string, @Body() body: WithdrawNumberRequest, @RequestContext() ctx: CommandContext) {
    const withdrawn = await this.commands.execute(new WithdrawNumberCommand(msisdn, body.reason, ctx));
    return { ...withdrawn, position: formatPosition(withdrawn.position) };
  }
}
