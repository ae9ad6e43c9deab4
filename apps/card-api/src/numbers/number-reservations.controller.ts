import { Body, Controller, Delete, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { ReleaseNumberReservationCommand, ReserveNumberCommand, type CommandContext } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { InvalidRequestError } from '@cards/platform';
import { RequestContext } from '../http/request-context';
import { uuidParam } from '../http/validation';
import { durationSeconds, MsisdnParam } from './number-params';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

export class ReserveNumberRequest {
  @ApiProperty({ example: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', description: 'The customer the number is held for' })
  @IsUUID()
  customerId!: string;

  @ApiPropertyOptional({ example: 'PT30M', description: 'How long the number is held: an ISO-8601 duration from PT1M to P1D (default PT30M)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  ttl?: string;
}

@ApiTags('numbers')
@Controller('v1/numbers/:msisdn/reservations')
@HonoursIdempotencyKey()
export class NumberReservationsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({
    description: 'The number is held for the customer until expiresAt; it is available again by itself then',
    schema: {
      example: { reservationId: '5d1c1f7e-2a7b-8c3d-9e4f-0a1b2c3d4e5f', msisdn: '13800138000', customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', region: '010', tier: 'STANDARD', reservedAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:30:00.000Z', position: '42' },
    },
  })
  @ApiBadRequestResponse({ description: 'A malformed number, customerId or ttl' })
  @ApiNotFoundResponse({ description: 'The number is not in the inventory (NUMBER_NOT_FOUND), or the customer does not exist' })
  @ApiConflictResponse({ description: 'The number is taken (NUMBER_NOT_AVAILABLE, with its status), or the customer holds NUMBER_MAX_RESERVATIONS_PER_CUSTOMER reservations already (RESERVATION_LIMIT_REACHED)' })
  async reserve(
    @Param('msisdn', MsisdnParam) msisdn: string,
    @Body() body: ReserveNumberRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    let ttlSeconds: number | undefined;
    if (body.ttl !== undefined) {
      const seconds = durationSeconds(body.ttl);
      if (seconds === null) throw new InvalidRequestError([{ field: 'ttl', reason: 'must be an ISO-8601 duration such as PT30M, PT2H or P1D' }]);
      ttlSeconds = seconds;
    }
    const reservation = await this.commands.execute(new ReserveNumberCommand({ msisdn, customerId: body.customerId, ...(ttlSeconds !== undefined && { ttlSeconds }) }, ctx));
    void reply.header('Location', `/v1/numbers/${msisdn}/reservations/${reservation.reservationId}`);
    const { position, replayed: _replayed, ...rest } = reservation;
    return { ...rest, position: formatPosition(position) };
  }

  @Delete(':reservationId')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Released: the number is available again at once', schema: { example: { msisdn: '13800138000', reservationId: '5d1c1f7e-2a7b-8c3d-9e4f-0a1b2c3d4e5f', releasedAt: '2026-11-23T09:05:00.000Z', position: '43' } } })
  @ApiNotFoundResponse({ description: 'No such number or reservation' })
  @ApiConflictResponse({ description: 'The reservation has ended already (RESERVATION_NOT_ACTIVE: EXPIRED, RELEASED or ASSIGNED)' })
  async release(
    @Param('msisdn', MsisdnParam) msisdn: string,
    @Param('reservationId', uuidParam('reservationId')) reservationId: string,
    @RequestContext() ctx: CommandContext,
  ) {
    const released = await this.commands.execute(new ReleaseNumberReservationCommand(msisdn, reservationId, ctx));
    return { ...released, position: formatPosition(released.position) };
  }
}
