import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ReadYourWrites, SearchAccessLogQuery } from '@cards/application';
import { ROLES } from '@cards/security';
import { PagedReadQuery } from '../../read-side/read-query.request';

export class AccessLogQuery extends PagedReadQuery {
  @ApiPropertyOptional({ description: 'Only reads of this customer' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @ApiPropertyOptional({ example: 'agent-0042', description: 'Only reads by this subject (the `sub` of their token)' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  by?: string;

  @ApiPropertyOptional({ enum: ROLES, description: 'Only reads made in this role' })
  @IsOptional()
  @IsIn(ROLES)
  role?: string;

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'From this moment (inclusive, ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'Until this moment (exclusive, ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

const iso = (value: string | undefined): string | undefined => (value === undefined ? undefined : new Date(value).toISOString());

@ApiTags('customers')
@Controller('v1/access-log')
export class AccessLogController {
  constructor(private readonly queries: QueryBus, private readonly readYourWrites: ReadYourWrites) {}

  @Get()
  @ApiOkResponse({
    description: '{ items, nextCursor }: every read of personal data in clear, across customers, newest first: who, role, when, why',
    schema: {
      example: {
        items: [
          {
            id: '0b6f3c1e-9a0d-4f59-8d2a-1f1b7c2d9e10',
            customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21',
            by: 'agent-0042',
            role: 'agent',
            reason: 'Customer called about a lost card, ticket 7781',
            at: '2026-11-23T09:00:00.000Z',
            correlationId: '5d1f8c1a-2a86-4c5e-bb5f-0e54f2d6a9c3',
          },
        ],
        nextCursor: null,
      },
    },
  })
  async search(@Query() query: AccessLogQuery) {
    await this.readYourWrites.ensure(query.minPosition, ['personal-data-access']);
    return this.queries.execute(
      new SearchAccessLogQuery({
        ...(query.customerId && { customerId: query.customerId }),
        ...(query.by && { by: query.by }),
        ...(query.role && { role: query.role }),
        ...(query.from && { from: iso(query.from) }),
        ...(query.to && { to: iso(query.to) }),
        limit: query.limit ?? 50,
        ...(query.cursor && { cursor: query.cursor }),
      }),
    );
  }
}
