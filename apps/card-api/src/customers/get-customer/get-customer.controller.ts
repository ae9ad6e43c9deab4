import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GetCustomerQuery, PersonalDataAccessLog, type CommandContext } from '@cards/application';
import { InvalidRequestError } from '@cards/platform';
import { etagOf, RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';

/** Roles that read personal data for someone else's sake, and so must say why. */
const MUST_SAY_WHY = new Set(['agent', 'auditor']);

@ApiTags('customers')
@Controller('v1/customers')
export class GetCustomerController {
  constructor(private readonly queries: QueryBus, private readonly accessLog: PersonalDataAccessLog) {}

  @Get(':customerId')
  @ApiHeader({
    name: 'X-Access-Reason',
    required: false,
    description: 'Why the personal data is read (1–200 characters; required for agents and auditors). Every read is logged.',
  })
  @ApiOkResponse({ description: 'The customer, folded from its stream, personal data in clear (or [erased]); the read is logged' })
  @ApiBadRequestResponse({ description: 'An agent or auditor gave no X-Access-Reason' })
  @ApiNotFoundResponse({ description: 'No such customer' })
  async get(
    @Param('customerId', uuidParam('customerId')) customerId: string,
    @Headers('x-access-reason') reasonHeader: string | undefined,
    @RequestContext() ctx: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const reason = reasonHeader?.trim() || undefined;
    if (reason !== undefined && reason.length > 200) {
      throw new InvalidRequestError([{ field: 'X-Access-Reason', reason: 'must be at most 200 characters' }]);
    }
    if (reason === undefined && MUST_SAY_WHY.has(ctx.actor.role)) {
      throw new InvalidRequestError([
        { field: 'X-Access-Reason', reason: `is required to read personal data as ${ctx.actor.role}: say why (it is logged)` },
      ]);
    }
    const { customer, revision } = await this.queries.execute(new GetCustomerQuery(customerId));
    await this.accessLog.record(customerId, ctx, reason);
    void reply.header('ETag', etagOf(revision));
    const { exists: _exists, ...fields } = customer;
    return { ...fields, revision: Number(revision) };
  }

  @Get(':customerId/access-log')
  @ApiOkResponse({ description: '{ items }: every read of this customer\'s personal data in clear: who, role, when, why' })
  async accessLogOf(@Param('customerId', uuidParam('customerId')) customerId: string) {
    return { items: await this.accessLog.list(customerId), nextCursor: null };
  }
}
