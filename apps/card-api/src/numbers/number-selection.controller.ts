import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CLOCK, NumberSelection, numbersProjection, ReadYourWrites, type Clock } from '@cards/application';
import { NUMBER_TIERS, REGION_PATTERN, type NumberTier } from '@cards/domain';
import { PagedReadQuery } from '../read-side/read-query.request';

const REGION_MESSAGE = 'region must be a city code: 0 and 1 to 3 more digits (e.g. 010, 0755)';

export class SuggestionsRequest {
  @ApiPropertyOptional({ example: '010', description: 'City code' }) @IsOptional() @Matches(REGION_PATTERN, { message: REGION_MESSAGE }) region?: string;
  @ApiPropertyOptional({ enum: NUMBER_TIERS }) @IsOptional() @IsIn(NUMBER_TIERS) tier?: NumberTier;
  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 10 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(50) count?: number;
  @ApiPropertyOptional({ example: '42', description: 'Read-your-writes: a position a command returned' })
  @IsOptional()
  @Matches(/^\d{1,20}(\/\d{1,20})?$/, { message: 'minPosition must be a position returned by a command, e.g. "42"' })
  minPosition?: string;
}

export class NumberSearchRequest extends PagedReadQuery {
  @ApiPropertyOptional({ example: '010', description: 'City code' }) @IsOptional() @Matches(REGION_PATTERN, { message: REGION_MESSAGE }) region?: string;
  @ApiPropertyOptional({ example: '*8888', description: 'Digits with * (any digits) and ? (one digit), e.g. *8888 or 138*1234*; or a shape of the last four digits: AAAA, AABB, ABAB, ABCD (ASCENDING)' })
  @IsOptional()
  @IsString()
  @MaxLength(22)
  pattern?: string;
  @ApiPropertyOptional({ example: '4', description: 'Digits the number must not contain' }) @IsOptional() @IsString() @MaxLength(10) exclude?: string;
  @ApiPropertyOptional({ example: '0815', description: 'A birthday, MMDD, within the last eight digits' }) @IsOptional() @IsString() @MaxLength(4) birthday?: string;
}

@ApiTags('numbers')
@Controller('v1/numbers')
export class NumberSelectionController {
  constructor(
    private readonly selection: NumberSelection,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('suggestions')
  @ApiOkResponse({ description: '{ items }: a uniformly random sample of the numbers available now (another on every call)', schema: { example: { items: [{ msisdn: '13800138000', region: '010', tier: 'STANDARD' }] } } })
  @ApiServiceUnavailableResponse({ description: 'minPosition not reached in time' })
  async suggestions(@Query() q: SuggestionsRequest) {
    await this.readYourWrites.ensure(q.minPosition, [numbersProjection.name]);
    const items = await this.selection.suggestions({ ...(q.region && { region: q.region }), ...(q.tier && { tier: q.tier }), count: q.count ?? 10, now: this.clock.now().toISOString() });
    return { items };
  }

  @Get('search')
  @ApiOkResponse({
    description:
      '{ items, nextCursor, examined }: available numbers matching every criterion given, cheapest tier first, then by number. ' +
      'A page examines at most 1,000 numbers: a rare request may answer fewer items than asked (even none) with a nextCursor to go on; examined says how many numbers it read.',
  })
  @ApiServiceUnavailableResponse({ description: 'minPosition not reached in time' })
  async search(@Query() q: NumberSearchRequest) {
    await this.readYourWrites.ensure(q.minPosition, [numbersProjection.name]);
    return this.selection.search({
      ...(q.region && { region: q.region }),
      criteria: { ...(q.pattern !== undefined && { pattern: q.pattern }), ...(q.exclude !== undefined && { exclude: q.exclude }), ...(q.birthday !== undefined && { birthday: q.birthday }) },
      limit: q.limit ?? 50,
      ...(q.cursor && { cursor: q.cursor }),
      now: this.clock.now().toISOString(),
    });
  }
}
