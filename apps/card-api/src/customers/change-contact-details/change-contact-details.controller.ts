import { Body, Controller, HttpCode, Param, Patch, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPreconditionFailedResponse,
  ApiTags,
  PartialType,
  PickType,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ChangeContactDetailsCommand, type CommandContext } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { maskEmail, maskPhone } from '@cards/security';
import { etagOf, RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { RegisterCustomerRequest } from '../register-customer/register-customer.request';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

/** The body of PATCH /v1/customers/{id}/contact: the contact fields of a registration, each optional; only those given change. */
export class ChangeContactDetailsRequest extends PartialType(PickType(RegisterCustomerRequest, ['phone', 'email', 'address', 'preferredChannels', 'locale', 'timeZone'] as const)) {}

@ApiTags('customers')
@Controller('v1/customers/:customerId/contact')
@HonoursIdempotencyKey()
export class ChangeContactDetailsController {
  constructor(private readonly commands: CommandBus) {}

  /**
   * The answer shows the new details masked: the caller just sent them, and echoing them in clear would only put
   * them in more logs and caches. Reading them in clear is GET /v1/customers/{id}, which is logged.
   */
  @Patch()
  @HttpCode(200)
  @ApiHeader({ name: 'If-Match', required: false, description: 'The customer\'s ETag: refuse (412) if it changed meanwhile' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retry safely: the same key and body return the same answer' })
  @ApiOkResponse({
    description:
      'Changed (or already so: `changed: false`, nothing recorded). The new details, masked. A new phone number is `pendingPhone` until the customer verifies their identity again (POST /v1/customers/{id}/identity-verifications); notifications keep going to `phone` until then.',
    schema: {
      example: {
        customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21',
        changed: true,
        phone: '138****8000',
        pendingPhone: '139****9000',
        email: 'l***@example.com',
        preferredChannels: ['SMS', 'EMAIL'],
        locale: 'zh-CN',
        timeZone: 'Asia/Shanghai',
        contactDetailsChangedAt: '2026-11-23T09:00:00.000Z',
        revision: 1,
        position: '57',
      },
    },
  })
  @ApiBadRequestResponse({ description: 'No field given, or a field is malformed (each one named)' })
  @ApiNotFoundResponse({ description: 'No such customer' })
  @ApiConflictResponse({ description: 'The customer\'s personal data was erased' })
  @ApiPreconditionFailedResponse({ description: 'If-Match names a revision that is no longer the latest' })
  async change(
    @Param('customerId', uuidParam('customerId')) customerId: string,
    @Body() body: ChangeContactDetailsRequest,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { customer, revision, position, changed } = await this.commands.execute(new ChangeContactDetailsCommand(customerId, body, ctx));
    void reply.header('ETag', etagOf(revision));
    return {
      customerId,
      changed,
      phone: maskPhone(customer.phone),
      pendingPhone: customer.pendingPhone === undefined ? null : maskPhone(customer.pendingPhone),
      ...(customer.email !== undefined && { email: maskEmail(customer.email) }),
      hasAddress: customer.address !== undefined,
      preferredChannels: customer.preferredChannels,
      locale: customer.locale,
      timeZone: customer.timeZone,
      contactDetailsChangedAt: customer.contactDetailsChangedAt ?? null,
      revision: Number(revision),
      position: formatPosition(position),
    };
  }
}
