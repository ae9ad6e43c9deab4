import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ReadYourWrites, SearchCardsQuery } from '@cards/application';
import { cardsProjection } from '@cards/read-store';
import { PagedReadQuery } from '../../read-side/read-query.request';
import { uuidParam } from '../../http/validation';

@ApiTags('customers')
@Controller('v1/customers/:customerId/cards')
export class CustomerCardsController {
  constructor(private readonly queries: QueryBus, private readonly readYourWrites: ReadYourWrites) {}

  @Get()
  @ApiOkResponse({ description: '{ items, nextCursor }: the customer\'s cards with status and open dispute, newest first' })
  async list(@Param('customerId', uuidParam('customerId')) customerId: string, @Query() query: PagedReadQuery) {
    await this.readYourWrites.ensure(query.minPosition, [cardsProjection.name]);
    return this.queries.execute(
      new SearchCardsQuery({ customerId, sort: '-issuedAt', limit: query.limit ?? 50, ...(query.cursor && { cursor: query.cursor }) }),
    );
  }
}
