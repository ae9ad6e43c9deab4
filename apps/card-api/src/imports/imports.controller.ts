import { Controller, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { IMPORT_COMMANDS, ImportHistory, type CommandContext } from '@cards/application';
import { RequestContext } from '../http/request-context';
import { firstLineNumberOf, IMPORT_BODY_LIMIT_BYTES, IMPORT_CONTENT_TYPES, importLinesOf } from './import-body';
import { ImportInterrupted, ImportInterruptedFilter } from './import-interrupted.filter';
import { IMPORT_RESPONSE_EXAMPLE, toImportResponse, type ImportResponse } from './import-response';
import { HonoursIdempotencyKey } from '../http/idempotency.interceptor';

const EXAMPLE_FILE = [
  '{"command":"RegisterCustomer","occurredAt":"2021-03-01T09:00:00+08:00","customerId":"8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21","name":"张三","idType":"CN_RESIDENT_ID","idNumber":"11010519491231002X","phone":"13800138000"}',
  '{"command":"IssueCard","occurredAt":"2021-03-01T09:20:00+08:00","cardId":"3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e","customerId":"8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21","product":"CREDIT","cardNumber":"5555555555554444","expiry":"12/24","channel":"BRANCH","branchId":"BJ-001"}',
  '{"command":"VerifyIdentity","occurredAt":"2021-03-01T09:25:00+08:00","cardId":"3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e","method":"ID_DOCUMENT","name":"张三","idNumber":"11010519491231002X"}',
].join('\n');

@ApiTags('imports')
@Controller('v1/imports')
@HonoursIdempotencyKey()
export class ImportsController {
  constructor(private readonly importHistory: ImportHistory) {}

  @Post()
  @HttpCode(200)
  @UseFilters(ImportInterruptedFilter)
  @ApiOperation({
    summary: 'Import card histories from another system (JSON Lines)',
    description:
      `One command per line, in the order it happened: the API's request body plus \`command\` (${IMPORT_COMMANDS.join(', ')}), ` +
      'the ids it acts on, chosen by the file (`customerId` for RegisterCustomer and IssueCard, `cardId` for IssueCard and every ' +
      'card command, `disputeId` for OpenDispute and ResolveDispute; UUIDs), and `occurredAt` (ISO-8601 with Z or an offset, not in ' +
      'the future). Each line goes through the same rules as the API; its events keep `occurredAt` as their time and say ' +
      '`imported: true` in their metadata. ActivateCard takes no card number or CVV2: possession was proven in the old system. ' +
      'A bad line is reported with its number and reason and the others go on; a line imported before writes nothing ' +
      '(`alreadyImported`), so a file can be sent again safely. Blank lines are skipped. ' +
      `At most ${IMPORT_BODY_LIMIT_BYTES / 1024 / 1024} MiB per request: send a bigger file in chunks with X-Import-First-Line.`,
  })
  @ApiConsumes(...IMPORT_CONTENT_TYPES)
  @ApiBody({ description: 'The file (or a chunk of it): JSON Lines', schema: { type: 'string', example: EXAMPLE_FILE } })
  @ApiHeader({ name: 'X-Import-First-Line', required: false, description: 'The file\'s line number of the body\'s first line (default 1), so that a file sent in chunks is reported by its own line numbers' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false, description: 'The import\'s id (importId): send the same one with every chunk of a file' })
  @ApiOkResponse({ description: 'What happened to each line: counts, and the failed lines with their number and reason', schema: { example: IMPORT_RESPONSE_EXAMPLE } })
  @ApiBadRequestResponse({ description: 'An empty body or a malformed X-Import-First-Line (bad lines are reported in the 200 answer instead)' })
  @ApiPayloadTooLargeResponse({ description: `Body larger than ${IMPORT_BODY_LIMIT_BYTES / 1024 / 1024} MiB: send the file in chunks` })
  @ApiUnsupportedMediaTypeResponse({ description: `Content type other than ${IMPORT_CONTENT_TYPES.join(' or ')}` })
  @ApiServiceUnavailableResponse({ description: 'The event store went away: `stoppedAtLine` and `report` say how far the import got; send the same lines again later' })
  async import(@Req() request: FastifyRequest, @RequestContext() ctx: CommandContext): Promise<ImportResponse> {
    const lines = importLinesOf(request);
    const report = await this.importHistory.run(lines, {
      actor: ctx.actor,
      importId: ctx.correlationId,
      causationId: ctx.causationId,
      firstLineNumber: firstLineNumberOf(request),
    });
    const response = toImportResponse(report);
    if (report.stoppedAt) throw new ImportInterrupted(response, report.stoppedAt.line);
    return response;
  }
}
