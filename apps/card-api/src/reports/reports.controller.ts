import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import {
  ACTIVATION_GROUPINGS,
  InvalidCursorError,
  notificationsProjection,
  ProcessAnalysis,
  ReadYourWrites,
  reviewsProjection,
  WAITING_STAGES,
  type ActivationGrouping,
  type WaitingStage,
} from '@cards/application';
import { NOTIFICATION_CHANNELS, PRODUCTS, type Product } from '@cards/domain';
import { NOTIFICATION_CATALOG } from '@cards/notifications';
import { cardsProjection, disputesProjection, verificationFailuresProjection } from '@cards/read-store';

// Read-your-writes waits on the projections (by name) that write what each report reads.
const CARDS = cardsProjection.name;
const DISPUTES = disputesProjection.name;
const VERIFICATION_FAILURES = verificationFailuresProjection.name;
const REVIEWS = reviewsProjection.name;
const NOTIFICATIONS = notificationsProjection.name;
import { PagedReadQuery } from '../read-side/read-query.request';

const RANGE_DOC =
  'Half-open [from, to). ISO-8601 date-time with Z or an offset (2026-11-01T00:00:00+08:00), or a date (00:00 UTC). Default: the 30 days before now; at most 1096 days.';

export class ReportRangeRequest extends PagedReadQuery {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: RANGE_DOC }) @IsOptional() @IsString() @MaxLength(40) from?: string;
  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: RANGE_DOC }) @IsOptional() @IsString() @MaxLength(40) to?: string;
}

export class ActivationsReportRequest extends ReportRangeRequest {
  @ApiPropertyOptional({ enum: ACTIVATION_GROUPINGS, default: 'day' }) @IsOptional() @IsIn(ACTIVATION_GROUPINGS) groupBy?: ActivationGrouping;
  @ApiPropertyOptional({ example: 'Asia/Shanghai', description: 'IANA time zone for day and week groups (default UTC)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tz?: string;
}

export class CohortReportRequest extends ReportRangeRequest {
  @ApiPropertyOptional({ enum: PRODUCTS }) @IsOptional() @IsIn(PRODUCTS) product?: Product;
}

export class FunnelReportRequest extends CohortReportRequest {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 64) branchId?: string;
}

export class NotificationsReportRequest extends ReportRangeRequest {
  @ApiPropertyOptional({ enum: NOTIFICATION_CHANNELS }) @IsOptional() @IsIn(NOTIFICATION_CHANNELS) channel?: string;
  @ApiPropertyOptional({ example: 'activation-confirmation', description: 'A template of the notification catalog (GET /v1/notification-templates)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  templateId?: string;
}

export class StuckCardsRequest extends PagedReadQuery {
  @ApiPropertyOptional({ enum: WAITING_STAGES, description: 'Default: every stage a card waits in, each with its own SLA' })
  @IsOptional()
  @IsIn(WAITING_STAGES)
  stage?: WaitingStage;

  @ApiPropertyOptional({ example: 'P2D', description: 'ISO-8601 duration (PnW, PnDTnHnMnS); default: the stage\'s SLA (STUCK_CARD_SLAS)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  olderThan?: string;
}

/** Lists a report's rows as `{ items, nextCursor }`: reports are small, so the rows are paged in memory. */
function paged<T>(rows: readonly T[], query: PagedReadQuery): { items: T[]; nextCursor: string | null } {
  const limit = query.limit ?? 200;
  let start = 0;
  if (query.cursor !== undefined) {
    const match = /^row:(\d{1,9})$/.exec(Buffer.from(query.cursor, 'base64url').toString('utf8'));
    if (!match) throw new InvalidCursorError('is not a cursor this report issued');
    start = Number(match[1]);
  }
  const next = start + limit < rows.length ? Buffer.from(`row:${start + limit}`).toString('base64url') : null;
  return { items: rows.slice(start, start + limit), nextCursor: next };
}

@ApiTags('reports')
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly analysis: ProcessAnalysis, private readonly readYourWrites: ReadYourWrites) {}

  @Get('activations')
  @ApiOkResponse({ description: 'Per group (day, ISO week, channel, product or branch): issued, verified, linked, activated, disputed, cancelled in the range' })
  async activations(@Query() q: ActivationsReportRequest) {
    await this.readYourWrites.ensure(q.minPosition, [CARDS, DISPUTES]);
    const { rows, ...report } = await this.analysis.activations({ ...range(q), groupBy: q.groupBy ?? 'day', ...(q.tz && { tz: q.tz }) });
    return { ...report, ...paged(rows, q) };
  }

  @Get('funnel')
  @ApiOkResponse({ description: 'Cards issued in the range: how many reached each stage, conversion from the previous stage and from issue, and the drop-offs' })
  async funnel(@Query() q: FunnelReportRequest) {
    await this.readYourWrites.ensure(q.minPosition, [CARDS]);
    const { stages, ...report } = await this.analysis.funnel({ ...range(q), ...(q.product && { product: q.product }), ...(q.branchId && { branchId: q.branchId }) });
    return { ...report, ...paged(stages, q) };
  }

  @Get('stage-durations')
  @ApiOkResponse({ description: 'Per step: count, mean, p50, p90, p95 and max in seconds. Percentiles are exact (nearest rank), not estimated.' })
  async stageDurations(@Query() q: CohortReportRequest) {
    await this.readYourWrites.ensure(q.minPosition, [CARDS]);
    const { steps, ...report } = await this.analysis.stageDurations({ ...range(q), ...(q.product && { product: q.product }) });
    return { ...report, ...paged(steps, q) };
  }

  @Get('bottlenecks')
  @ApiOkResponse({ description: 'The steps ranked by p90 wait (items) and by drop-off (byDropOff), each with a one-line finding' })
  async bottlenecks(@Query() q: ReportRangeRequest) {
    await this.readYourWrites.ensure(q.minPosition, [CARDS]);
    const { byWait, ...report } = await this.analysis.bottlenecks(range(q));
    return { ...report, ...paged(byWait, q) };
  }

  @Get('stuck')
  @ApiOkResponse({ description: 'Cards waiting in a stage longer than its limit, oldest first' })
  async stuck(@Query() q: StuckCardsRequest) {
    await this.readYourWrites.ensure(q.minPosition, [CARDS]);
    return this.analysis.stuck({
      ...(q.stage && { stage: q.stage }),
      ...(q.olderThan && { olderThan: q.olderThan }),
      limit: q.limit ?? 50,
      ...(q.cursor && { cursor: q.cursor }),
    });
  }

  @Get('verification-failures')
  @ApiOkResponse({ description: 'Failed identity verifications in the range, by reason, by method and by both; and how the reviews requested in the range ended' })
  async verificationFailures(@Query() q: ReportRangeRequest) {
    await this.readYourWrites.ensure(q.minPosition, [VERIFICATION_FAILURES, REVIEWS]);
    const { byReason, ...report } = await this.analysis.verificationFailures(range(q));
    return { ...report, byReason, ...paged(Object.entries(byReason).map(([reason, count]) => ({ reason, count })), q) };
  }

  @Get('reviews')
  @ApiOkResponse({
    description:
      'Identity reviews requested in the range: by outcome (OPEN, APPROVED, REJECTED, CLOSED), reason and method, approval rate, time to decision, contact attempts; and the reviews open now with their age',
  })
  async reviews(@Query() q: ReportRangeRequest) {
    await this.readYourWrites.ensure(q.minPosition, [REVIEWS]);
    return this.analysis.reviews(range(q));
  }

  @Get('notifications')
  @ApiOkResponse({
    description:
      'Notices requested in the range, per channel and template (items): requested, sent, pending, abandoned (by reason), failed attempts, ' +
      'and the delivery latency of those sent (p50, p95 exact, in ms and ISO-8601); totals per channel and overall',
  })
  async notifications(@Query() q: NotificationsReportRequest) {
    await this.readYourWrites.ensure(q.minPosition, [NOTIFICATIONS]);
    const { rows, ...report } = await this.analysis.notifications({
      ...range(q),
      ...(q.channel && { channel: q.channel }),
      ...(q.templateId && { templateId: q.templateId }),
      knownTemplateIds: NOTIFICATION_CATALOG.map((entry) => entry.templateId),
    });
    return { ...report, ...paged(rows, q) };
  }

  @Get('disputes')
  @ApiOkResponse({ description: 'Disputes opened in the range: by reason, by outcome, and time to resolve' })
  async disputes(@Query() q: ReportRangeRequest) {
    await this.readYourWrites.ensure(q.minPosition, [DISPUTES]);
    const { byReason, ...report } = await this.analysis.disputes(range(q));
    return { ...report, byReason, ...paged(Object.entries(byReason).map(([reason, count]) => ({ reason, count })), q) };
  }
}

function range(q: ReportRangeRequest): { from?: string; to?: string } {
  return { ...(q.from && { from: q.from }), ...(q.to && { to: q.to }) };
}
