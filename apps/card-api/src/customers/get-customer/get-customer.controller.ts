import { Controller, Get, Param, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GetCustomerQuery } from '@cards/application';
import { etagOf } from '../../http/request-context';
import { uuidParam } from '../../http/validation';

@ApiTags('customers')
@Controller('v1/customers')
export class GetCustomerController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':customerId')
  @ApiOkResponse({ description: 'The customer, folded from its stream' })
  @ApiNotFoundResponse({ description: 'No such customer' })
  async get(@Param('customerId', uuidParam('customerId')) customerId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const { customer, revision } = await this.queries.execute(new GetCustomerQuery(customerId));
    void reply.header('ETag', etagOf(revision));
    const { exists: _exists, ...fields } = customer;
    return { ...fields, revision: Number(revision) };
  }
}
