import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { IdentityProviderUnavailableError, VerifyCustomerIdentityCommand, type CommandContext } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { maskPhone } from '@cards/security';
import { etagOf, RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { VerifyIdentityRequest } from '../../cards/verify-identity/verify-identity.controller';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

@ApiTags('customers')
@Controller('v1/customers/:customerId/identity-verifications')
@HonoursIdempotencyKey()
export class VerifyCustomerIdentityController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'The customer proved who they are again (same methods and body as a card\'s verification). VERIFIED makes a pending phone number take effect (`phoneChanged`); FAILED records the reasons and keeps the old number. There is no review here: what would go to a person for a card fails.',
    schema: { example: { customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', result: 'VERIFIED', reasons: [], phoneChanged: true, phone: '139****9000', revision: 3, position: '88' } },
  })
  @ApiServiceUnavailableResponse({ description: 'IDENTITY_PROVIDER_UNAVAILABLE: recorded, not held against the customer; retry later with a new Idempotency-Key' })
  async verify(
    @Param('customerId', uuidParam('customerId')) customerId: string,
    @Body() body: VerifyIdentityRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const outcome = await this.commands.execute(new VerifyCustomerIdentityCommand(customerId, body, ctx));
    const unavailable = outcome.newEvents.find((e) => e.type === 'CustomerIdentityVerificationUnavailable');
    if (unavailable?.type === 'CustomerIdentityVerificationUnavailable') {
      throw new IdentityProviderUnavailableError({ customerId }, unavailable.data.reason, outcome.revision);
    }
    const failed = outcome.newEvents.find((e) => e.type === 'CustomerIdentityVerificationFailed');
    void reply.header('ETag', etagOf(outcome.revision));
    return {
      customerId,
      result: failed ? 'FAILED' : 'VERIFIED',
      reasons: failed?.type === 'CustomerIdentityVerificationFailed' ? failed.data.reasons : [],
      phoneChanged: outcome.newEvents.some((e) => e.type === 'CustomerPhoneChanged'),
      phone: maskPhone(outcome.customer.phone),
      pendingPhone: outcome.customer.pendingPhone === undefined ? null : maskPhone(outcome.customer.pendingPhone),
      revision: Number(outcome.revision),
      position: formatPosition(outcome.position),
    };
  }
}
