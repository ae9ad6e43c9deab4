import { Controller, HttpCode, Injectable, Post, Req, UnsupportedMediaTypeException, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NumberImports, type CommandContext, type NumberFileFormat } from '@cards/application';
import { InvalidRequestError } from '@cards/platform';
import { RequestContext } from '../http/request-context';
import { firstLineNumberOf, IMPORT_BODY_LIMIT_BYTES, IMPORT_CONTENT_TYPES } from '../imports/import-body';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

const CSV = 'text/csv';

/** Registers a text/csv body parser beside the JSON Lines one (which ImportBodyParser registers). */
@Injectable()
export class CsvBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (fastify.hasContentTypeParser(CSV)) return;
    fastify.addContentTypeParser(CSV, { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
  }
}

function formatOf(request: FastifyRequest): NumberFileFormat {
  const mediaType = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === CSV) return 'csv';
  if ((IMPORT_CONTENT_TYPES as readonly string[]).includes(mediaType)) return 'jsonl';
  throw new UnsupportedMediaTypeException(`Send the numbers as ${CSV} (msisdn,region[,tier]) or ${IMPORT_CONTENT_TYPES.join(' or ')} (one JSON object per line)`);
}

@ApiTags('numbers')
@Controller('v1/numbers/imports')
@HonoursIdempotencyKey()
export class NumberImportsController {
  constructor(private readonly imports: NumberImports) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import numbers into the inventory (CSV or JSON Lines)',
    description:
      'One number per line: CSV `msisdn,region[,tier]` (a header line is skipped) or JSON Lines `{"msisdn","region","tier"?}`. ' +
      'Without a tier, the tier rules give one. Malformed lines and numbers repeated in the body are reported by line number and ' +
      'skipped; numbers already in the inventory are counted (`alreadyInInventory`) and not written again, so a file can be sent twice safely. ' +
      'Send a big file in chunks with X-Import-First-Line.',
  })
  @ApiConsumes(CSV, ...IMPORT_CONTENT_TYPES)
  @ApiBody({ schema: { type: 'string', example: 'msisdn,region,tier\n13800138000,010,\n13900008888,010,GOLD' } })
  @ApiHeader({ name: 'X-Import-First-Line', required: false, description: 'The file\'s line number of the body\'s first line (default 1)' })
  @ApiOkResponse({ schema: { example: { importId: 'numbers-2026-11', lines: 3, imported: 2, alreadyInInventory: 0, failed: [{ line: 3, code: 'INVALID_MSISDN', reason: 'msisdn must be an 11-digit mainland mobile number' }], position: '42' } } })
  async import(@Req() request: FastifyRequest, @RequestContext() ctx: CommandContext) {
    const format = formatOf(request);
    const body = request.body;
    if (typeof body !== 'string' || body.trim() === '') {
      throw new InvalidRequestError([{ field: 'body', reason: 'is empty: send the lines of the file' }]);
    }
    return this.imports.run(body.split(/\r?\n/), { format, firstLineNumber: firstLineNumberOf(request), importId: ctx.correlationId, ctx });
  }
}
