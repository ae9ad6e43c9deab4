import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { FindCustomersQuery, MAX_LOOKUP_MATCHES, ReadYourWrites } from '@cards/application';
import { InvalidRequestError } from '@cards/platform';
import type { LookupKind } from '@cards/security';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

/** Exactly one of phone, idNumber, email. In a body, not the URL, so that it stays out of access logs and proxies. */
export class FindCustomersRequest {
  @ApiPropertyOptional({ example: '13800138000', description: 'Any common form: +86 138 0013 8000, 13800138000, 0086-138…' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  phone?: string;

  @ApiPropertyOptional({ example: '11010519491231002X', description: 'Case and spaces do not matter' })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  idNumber?: string;

  @ApiPropertyOptional({ example: 'zhang.san@example.com', description: 'Case does not matter' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '42', description: 'The position a command returned: answer only once the read models have applied it' })
  @IsOptional()
  @Matches(/^\d{1,20}(\/\d{1,20})?$/, { message: 'minPosition must be a position returned by a command, e.g. "42"' })
  minPosition?: string;
}

const KINDS: readonly LookupKind[] = ['phone', 'idNumber', 'email'];
const LOOKUP_PROJECTION = 'customers';

@ApiTags('customers')
@Controller('v1/customers/lookup')
@HonoursIdempotencyKey()
export class FindCustomersController {
  constructor(private readonly queries: QueryBus, private readonly readYourWrites: ReadYourWrites) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({
    description: `{ items }: the customers with exactly this phone, id number or e-mail (at most ${MAX_LOOKUP_MATCHES}), masked, newest first. Not logged as a read in clear: nothing in it is.`,
    schema: {
      example: {
        items: [
          {
            customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21',
            name: '张*',
            idType: 'CN_RESIDENT_ID',
            idNumber: '110105********002X',
            phone: '138****8000',
            email: 'z***@example.com',
            hasAddress: true,
            preferredChannels: ['SMS'],
            locale: 'zh-CN',
            timeZone: 'Asia/Shanghai',
            registeredAt: '2026-11-01T09:00:00.000Z',
            contactDetailsChangedAt: null,
            personalDataErasedAt: null,
            revision: 0,
          },
        ],
      },
    },
  })
  @ApiBadRequestResponse({ description: 'Not exactly one of phone, idNumber, email' })
  async find(@Body() body: FindCustomersRequest) {
    const given = KINDS.filter((kind) => body[kind] !== undefined);
    if (given.length !== 1) {
      throw new InvalidRequestError([{ field: 'body', reason: 'must give exactly one of phone, idNumber, email' }]);
    }
    await this.readYourWrites.ensure(body.minPosition, [LOOKUP_PROJECTION]);
    return this.queries.execute(new FindCustomersQuery(given[0], body[given[0]]!));
  }
}

