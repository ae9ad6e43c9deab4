import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** What every read-model query takes: paging and read-your-writes. */
export class PagedReadQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  cursor?: string;

  @ApiPropertyOptional({
    example: '42',
    description: 'The position a command returned: answer only once the read models have applied it (read-your-writes); 503 if they do not within a few seconds',
  })
  @IsOptional()
  @Matches(/^\d{1,20}(\/\d{1,20})?$/, { message: 'minPosition must be a position returned by a command, e.g. "42"' })
  minPosition?: string;
}
