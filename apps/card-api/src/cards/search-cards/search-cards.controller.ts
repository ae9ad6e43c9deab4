import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiPropertyOptional, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { CARD_SORTS, ReadYourWrites, SearchCardsQuery, type CardSort } from '@cards/application';
import { CARD_STATUSES, ISSUE_CHANNELS, PRODUCTS, type CardStatus, type IssueChannel, type Product } from '@cards/domain';
import { cardsProjection } from '@cards/read-store';
import { PagedReadQuery } from '../../read-side/read-query.request';

export class SearchCardsRequest extends PagedReadQuery {
  @ApiPropertyOptional() @IsOptional() @IsUUID() customerId?: string;

  @ApiPropertyOptional({ description: 'One status or several, comma-separated', example: 'LINKED,IDENTITY_VERIFIED' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value))
  @IsIn(CARD_STATUSES, { each: true, message: `status must be one or more of ${CARD_STATUSES.join(', ')}, comma-separated` })
  status?: CardStatus[];

  @ApiPropertyOptional({ enum: PRODUCTS }) @IsOptional() @IsIn(PRODUCTS) product?: Product;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 64) branchId?: string;
  @ApiPropertyOptional({ enum: ISSUE_CHANNELS, description: 'Issue channel' }) @IsOptional() @IsIn(ISSUE_CHANNELS) channel?: IssueChannel;
  @ApiPropertyOptional({ example: '1111' }) @IsOptional() @Matches(/^\d{4}$/, { message: 'panLast4 must be 4 digits' }) panLast4?: string;
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'issuedAt ≥ this' }) @IsOptional() @IsISO8601({ strict: true }) issuedFrom?: string;
  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'issuedAt < this' }) @IsOptional() @IsISO8601({ strict: true }) issuedTo?: string;
  @ApiPropertyOptional({ enum: CARD_SORTS, default: '-issuedAt' }) @IsOptional() @IsIn(CARD_SORTS) sort?: CardSort;
}

/** ISO-8601 with any offset → the UTC form documents are stored in, so string comparison is time comparison. */
export function toUtcIso(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

@ApiTags('cards')
@Controller('v1/cards')
export class SearchCardsController {
  constructor(private readonly queries: QueryBus, private readonly readYourWrites: ReadYourWrites) {}

  @Get()
  @ApiOkResponse({ description: '{ items, nextCursor }: cards from the read model, newest issued first by default' })
  @ApiServiceUnavailableResponse({ description: 'minPosition not reached in time' })
  async search(@Query() query: SearchCardsRequest) {
    await this.readYourWrites.ensure(query.minPosition, [cardsProjection.name]);
    return this.queries.execute(
      new SearchCardsQuery({
        ...(query.customerId && { customerId: query.customerId }),
        ...(query.status && { status: query.status }),
        ...(query.product && { product: query.product }),
        ...(query.branchId && { branchId: query.branchId }),
        ...(query.channel && { channel: query.channel }),
        ...(query.panLast4 && { panLast4: query.panLast4 }),
        ...(query.issuedFrom && { issuedFrom: toUtcIso(query.issuedFrom) }),
        ...(query.issuedTo && { issuedTo: toUtcIso(query.issuedTo) }),
        sort: query.sort ?? '-issuedAt',
        limit: query.limit ?? 50,
        ...(query.cursor && { cursor: query.cursor }),
      }),
    );
  }
}
