import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RegisterCustomerCommand, type CommandContext } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { etagOf, RequestContext } from '../../http/request-context';
import { RegisterCustomerRequest } from './register-customer.request';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

@ApiTags('customers')
@Controller('v1/customers')
@HonoursIdempotencyKey()
export class RegisterCustomerController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retry safely: the same key and body return the same answer' })
  @ApiCreatedResponse({ description: 'Registered', schema: { example: { customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', revision: 0, position: '42' } } })
  @ApiBadRequestResponse({ description: 'A field is malformed (application/problem+json names each one)' })
  @ApiConflictResponse({
    description:
      'Already registered: ID_NUMBER_ALREADY_REGISTERED when another customer holds the id document (type and number), with its existingCustomerId',
  })
  async register(
    @Body() body: RegisterCustomerRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ customerId: string; revision: number; position: string }> {
    const registration = await this.commands.execute(new RegisterCustomerCommand(body, ctx));
    void reply.header('Location', `/v1/customers/${registration.customerId}`).header('ETag', etagOf(registration.revision));
    return { customerId: registration.customerId, revision: Number(registration.revision), position: formatPosition(registration.position) };
  }
}
