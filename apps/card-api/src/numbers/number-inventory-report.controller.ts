import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { CLOCK, NumberInventoryReporting, numbersProjection, ReadYourWrites, type Clock } from '@cards/application';
import { REGION_PATTERN } from '@cards/domain';

export class NumberInventoryReportRequest {
  @ApiPropertyOptional({ example: '010', description: 'City code; default: every region' })
  @IsOptional()
  @Matches(REGION_PATTERN, { message: 'region must be a city code: 0 and 1 to 3 more digits (e.g. 010, 0755)' })
  region?: string;
  @ApiPropertyOptional({ example: '42' })
  @IsOptional()
  @Matches(/^\d{1,20}(\/\d{1,20})?$/, { message: 'minPosition must be a position returned by a command, e.g. "42"' })
  minPosition?: string;
}

@ApiTags('reports')
@Controller('v1/reports')
export class NumberInventoryReportController {
  constructor(private readonly reporting: NumberInventoryReporting, private readonly readYourWrites: ReadYourWrites, @Inject(CLOCK) private readonly clock: Clock) {}

  @Get('number-inventory')
  @ApiOkResponse({ description: 'Numbers by state (as of now) and tier, reservations that expired unused, and the time from import to assignment (exact percentiles)' })
  async numberInventory(@Query() q: NumberInventoryReportRequest) {
    await this.readYourWrites.ensure(q.minPosition, [numbersProjection.name]);
    return this.reporting.report({ ...(q.region && { region: q.region }), now: this.clock.now().toISOString() });
  }
}
