import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { CasesReporting, casesProjection, ReadYourWrites } from '@cards/application';
import { cardsProjection } from '@cards/read-store';

export class CasesReportRequest {
  @ApiPropertyOptional({ example: '2026-11-01', description: 'Cases opened from (inclusive): a date (00:00 UTC) or a date-time with offset; default 30 days before `to`' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01', description: 'Up to (exclusive); default now' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;

  @ApiPropertyOptional({ example: '42', description: 'The position a command returned: answer once the read models have applied it' })
  @IsOptional()
  @Matches(/^\d{1,20}(\/\d{1,20})?$/, { message: 'minPosition must be a position returned by a command, e.g. "42"' })
  minPosition?: string;
}

@ApiTags('reports')
@Controller('v1/reports/cases')
export class CasesReportController {
  constructor(private readonly reporting: CasesReporting, private readonly readYourWrites: ReadYourWrites) {}

  @Get()
  @ApiOkResponse({
    description:
      'Cases opened in [from, to): volume by category, channel, priority, team and status; first-response and resolution times (exact p50, p90); breaches; satisfaction average and distribution; how often each classification rule was corrected; and recurring problems: the categories growing fastest against the period before, each next to the activation funnel step it hurts, with that step\'s conversion',
  })
  @ApiBadRequestResponse({ description: 'A bad from or to (named)' })
  async report(@Query() q: CasesReportRequest) {
    await this.readYourWrites.ensure(q.minPosition, [casesProjection.name, cardsProjection.name]);
    return this.reporting.report({ ...(q.from !== undefined && { from: q.from }), ...(q.to !== undefined && { to: q.to }) });
  }
}
