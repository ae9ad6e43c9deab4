import { Readable } from 'node:stream';
import { Controller, Get, Inject, Optional, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { AUDIT_KEYS, type AuditKeys } from '@cards/application';
import { comparePositions, parsePosition, publicKeyId, rawPublicKey } from '@cards/event-store';
import { InvalidRequestError } from '@cards/platform';
import { AuditExport, type ExportRange } from './audit-export';
import { CONTENT_TYPES, EXPORT_FORMATS, type ExportFormat } from './export-lines';

export const AUDIT_EXPORT_PATH = 'v1/audit/export';

/** ISO-8601 with Z or an offset, or a date alone (00:00 UTC): never a local time, which would depend on the server. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const INSTANT_MESSAGE = 'must be an ISO-8601 instant with Z or an offset (2026-11-01T00:00:00Z), or a date (00:00 UTC)';
const POSITION = /^\d{1,20}(\/\d{1,20})?$/;
const POSITION_MESSAGE = 'must be a log position, e.g. "42"';

export class AuditExportQuery {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'From the first event the store recorded at or after this instant (inclusive)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(INSTANT, { message: `from ${INSTANT_MESSAGE}` })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'Up to the first event the store recorded at or after this instant (exclusive)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(INSTANT, { message: `to ${INSTANT_MESSAGE}` })
  to?: string;

  @ApiPropertyOptional({ example: '1000', description: 'Only events after this global position (exclusive), as a checkpoint\'s fromPosition' })
  @IsOptional()
  @Matches(POSITION, { message: `fromPosition ${POSITION_MESSAGE}` })
  fromPosition?: string;

  @ApiPropertyOptional({ example: '2000', description: 'Only events up to this global position (inclusive), as a checkpoint\'s upToPosition' })
  @IsOptional()
  @Matches(POSITION, { message: `toPosition ${POSITION_MESSAGE}` })
  toPosition?: string;

  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'jsonl', description: 'JSON Lines (what docs/verify_audit_export.py reads) or CSV' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}

const EXAMPLE_JSONL = [
  '{"kind":"header","format":"cards-audit-export","version":1,"generatedAt":"2026-11-23T10:00:00.000Z","from":null,"to":null,"fromPosition":"40","toPosition":"43","headPosition":"57"}',
  '{"kind":"event","position":"41","streamId":"card-3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e","revision":2,"id":"…","type":"CardLinked","recordedAt":"2026-11-23T09:15:00.021Z","data":{"accountId":"ACC-1001","linkedAt":"2026-11-23T09:15:00.000Z"},"metadata":{"…":"…","prevHash":"…","hash":"…"}}',
  '{"kind":"event","position":"43","streamId":"audit-checkpoints","revision":6,"id":"…","type":"AuditCheckpointSigned","recordedAt":"…","data":{"checkpoint":7,"…":"…"},"metadata":{"…":"…"}}',
  '{"kind":"footer","events":3,"checkpoints":0}',
].join('\n');

/** The range a query asks for, or a 400 naming the field. */
export function exportRangeOf(query: AuditExportQuery): ExportRange {
  const from = query.from === undefined ? undefined : instant(query.from, 'from');
  const to = query.to === undefined ? undefined : instant(query.to, 'to');
  const fromPosition = query.fromPosition === undefined ? undefined : parsePosition(query.fromPosition);
  const toPosition = query.toPosition === undefined ? undefined : parsePosition(query.toPosition);
  if (from && to && from.getTime() >= to.getTime()) throw new InvalidRequestError([{ field: 'to', reason: 'must be after from' }]);
  if (fromPosition && toPosition && comparePositions(fromPosition, toPosition) > 0) {
    throw new InvalidRequestError([{ field: 'toPosition', reason: 'must not be before fromPosition' }]);
  }
  return { ...(from && { from }), ...(to && { to }), ...(fromPosition && { fromPosition }), ...(toPosition && { toPosition }) };
}

function instant(text: string, field: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new InvalidRequestError([{ field, reason: INSTANT_MESSAGE }]);
  return at;
}

@ApiTags('audit')
@Controller(AUDIT_EXPORT_PATH)
export class AuditExportController {
  constructor(
    private readonly exports: AuditExport,
    @Optional() @Inject(AUDIT_KEYS) private readonly keys?: AuditKeys,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Export events with their hashes and the signed checkpoints covering them, for independent verification',
    description:
      'Streams one unbroken run of the log in position order, page by page, with no size limit: a header line, one line per ' +
      'event (data and metadata exactly as stored, so every hash recomputes), then the checkpoints appended after the range ' +
      'that still cover its events, and a footer with the counts (a file without it was cut short). Bounds, all optional: ' +
      '`from`/`to` on the time the store recorded the events (from inclusive, to exclusive), `fromPosition`/`toPosition` on ' +
      'global positions (after fromPosition, up to toPosition inclusive). The format, byte for byte, and the verifier an ' +
      'auditor runs on it (docs/verify_audit_export.py) are in docs/audit.md; `card-cli export` saves it to a file.',
  })
  @ApiProduces(CONTENT_TYPES.jsonl, CONTENT_TYPES.csv)
  @ApiOkResponse({ description: 'The export, streamed (format=jsonl shown)', content: { [CONTENT_TYPES.jsonl]: { example: EXAMPLE_JSONL } } })
  async export(@Query() query: AuditExportQuery, @Res() reply: FastifyReply): Promise<void> {
    const format = query.format ?? 'jsonl';
    // For reference only: a verifier takes the key from a channel it trusts (docs/audit.md, "The public key").
    const publicKeys = this.keys?.verificationKeys.map((key) => ({ keyId: publicKeyId(key), publicKeyBase64: rawPublicKey(key).toString('base64') }));
    const opened = await this.exports.open(exportRangeOf(query), format, publicKeys);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    // Readable.from pulls the next page only when the connection has taken the last one: back-pressure end to end.
    const body = Readable.from(opened.lines, { objectMode: false, highWaterMark: 64 * 1024 });
    void reply
      .status(200)
      .header('content-type', CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="cards-audit-export-${stamp}.${format}"`)
      .header('cache-control', 'no-store')
      .send(body);
  }
}
