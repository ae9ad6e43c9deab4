import { Inject, Injectable } from '@nestjs/common';
import type { CardStatus, Product } from '@cards/domain';
import {
  CARDS,
  DISPUTES,
  READ_STORE,
  VERIFICATION_FAILURES,
  type CardSummaryDocument,
  type DisputeDocument,
  type FieldValue,
  type Filter,
  type ReadDocument,
  type ReadStore,
  type SortKey,
  type VerificationFailureDocument,
} from '@cards/read-store';
import { REVIEWS, type ReviewDocument } from '../reviews/reviews.projection';
import { NOTIFICATIONS, type NotificationDocument } from '../notifications/notifications.projection';
import { CLOCK, type Clock } from '../shared/clock';
import { decodeCursor, encodeCursor, queryFingerprint, type Page } from '../read-side/paging';
import {
  activationsReport,
  bottlenecksReport,
  disputesReport,
  formatDuration,
  funnelReport,
  notificationsReport,
  parseIsoDuration,
  parseReportRange,
  reviewsReport,
  stageDurationsReport,
  verificationFailuresReport,
  type ActivationGrouping,
} from '../reports';
import { STUCK_CARD_SLAS, WAITING_STAGES, type StuckCardSlas, type WaitingStage } from './stuck-card-slas';

export interface RangeInput {
  readonly from?: string;
  readonly to?: string;
}

export interface StuckCard {
  readonly cardId: string;
  readonly customerId: string;
  readonly product: Product;
  readonly branchId: string | null;
  readonly stage: CardStatus;
  readonly since: string;
  readonly waitingSeconds: number;
  readonly waiting: string;
  /** The stage's limit that was passed (ISO-8601). */
  readonly olderThan: string;
}

const SCAN_PAGE = 200;

/**
 * The analyst's questions about the activation process, answered from the read models: each report streams
 * the documents it needs and computes exact figures (libs/card-application/src/reports).
 */
@Injectable()
export class ProcessAnalysis {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(STUCK_CARD_SLAS) private readonly slas: StuckCardSlas,
  ) {}

  private range(input: RangeInput) {
    return parseReportRange(input, this.clock.now().toISOString());
  }

  /** Documents of a collection, typed as what its projection writes. */
  private scan<T>(collection: string, filter: Filter): AsyncIterable<T> {
    return this.readStore.scan(collection, filter) as AsyncIterable<unknown> as AsyncIterable<T>;
  }

  /** The cards issued in [from, to): the cohort the process reports follow. */
  private cohort(from: string, to: string, extra: Record<string, FieldValue> = {}): AsyncIterable<CardSummaryDocument> {
    return this.scan<CardSummaryDocument>(CARDS, { issuedAt: { $gte: from, $lt: to }, ...extra });
  }

  async activations(input: RangeInput & { groupBy: ActivationGrouping; tz?: string }) {
    const { from, to } = this.range(input);
    // Every card with an event in the range was issued before `to` and last changed at or after `from`.
    const cards = this.scan<CardSummaryDocument>(CARDS, { issuedAt: { $lt: to }, updatedAt: { $gte: from } });
    const disputes = this.scan<DisputeDocument>(DISPUTES, { openedAt: { $gte: from, $lt: to } });
    return activationsReport(cards, disputes, { from, to, groupBy: input.groupBy, ...(input.tz && { tz: input.tz }) });
  }

  async funnel(input: RangeInput & { product?: Product; branchId?: string }) {
    const { from, to } = this.range(input);
    const extra: Record<string, FieldValue> = {};
    if (input.product) extra.product = input.product;
    if (input.branchId) extra.branchId = input.branchId;
    return funnelReport(this.cohort(from, to, extra), { from, to, ...(input.product && { product: input.product }), ...(input.branchId && { branchId: input.branchId }) });
  }

  async stageDurations(input: RangeInput & { product?: Product }) {
    const { from, to } = this.range(input);
    return stageDurationsReport(this.cohort(from, to, input.product ? { product: input.product } : {}), {
      from,
      to,
      ...(input.product && { product: input.product }),
    });
  }

  async bottlenecks(input: RangeInput) {
    const { from, to } = this.range(input);
    return bottlenecksReport(this.cohort(from, to), { from, to, now: this.clock.now().toISOString() });
  }

  async verificationFailures(input: RangeInput) {
    const { from, to } = this.range(input);
    const failures = this.scan<VerificationFailureDocument>(VERIFICATION_FAILURES, { failedAt: { $gte: from, $lt: to } });
    const reviews = this.scan<ReviewDocument>(REVIEWS, { requestedAt: { $gte: from, $lt: to } });
    return verificationFailuresReport(failures, { from, to }, reviews);
  }

  /** Identity reviews requested in the range, how they ended and how long they took; and the queue as it stands. */
  async reviews(input: RangeInput) {
    const { from, to } = this.range(input);
    const inRange = this.scan<ReviewDocument>(REVIEWS, { requestedAt: { $gte: from, $lt: to } });
    const open = this.scan<ReviewDocument>(REVIEWS, { status: 'OPEN' });
    return reviewsReport(inRange, open, { from, to, now: this.clock.now().toISOString() });
  }

  /**
   * Notices requested in the range, per channel and template: sent, pending, abandoned, failed attempts, delivery
   * latency. `knownTemplateIds`: the notification catalog's, which `templateId` must name.
   */
  async notifications(input: RangeInput & { channel?: string; templateId?: string; knownTemplateIds?: readonly string[] }) {
    const { from, to } = this.range(input);
    const filter: Record<string, FieldValue | { $gte: string; $lt: string }> = { requestedAt: { $gte: from, $lt: to } };
    if (input.channel) filter.channel = input.channel;
    if (input.templateId) filter.templateId = input.templateId;
    return notificationsReport(this.scan<NotificationDocument>(NOTIFICATIONS, filter), {
      from,
      to,
      ...(input.channel && { channel: input.channel }),
      ...(input.templateId && { templateId: input.templateId }),
      ...(input.knownTemplateIds && { knownTemplateIds: input.knownTemplateIds }),
    });
  }

  async disputes(input: RangeInput) {
    const { from, to } = this.range(input);
    const disputes = this.scan<DisputeDocument>(DISPUTES, { openedAt: { $gte: from, $lt: to } });
    return disputesReport(disputes, { from, to });
  }

  /**
   * Cards waiting in a stage longer than its limit (`olderThan`, or the stage's configured SLA), oldest first.
   * Without `stage`, every waiting stage with its own SLA: the scan walks cards in `statusSince` order and keeps
   * those past their stage's limit, so paging stays exact.
   */
  async stuck(input: { stage?: WaitingStage; olderThan?: string; limit: number; cursor?: string }): Promise<Page<StuckCard> & { slas: Record<string, string> }> {
    const now = this.clock.now().getTime();
    const stages: readonly WaitingStage[] = input.stage ? [input.stage] : WAITING_STAGES;
    const limits = new Map<string, { iso: string; seconds: number }>();
    for (const stage of stages) {
      const iso = input.olderThan ?? this.slas[stage];
      limits.set(stage, { iso, seconds: parseIsoDuration(iso, input.olderThan ? 'olderThan' : 'STUCK_CARD_SLAS') });
    }
    const shortest = Math.min(...[...limits.values()].map((l) => l.seconds));
    const latest = new Date(now - shortest * 1000).toISOString();
    const filter = { status: stages.length === 1 ? stages[0] : { $in: [...stages] }, statusSince: { $lt: latest } };
    const sort: SortKey[] = [{ field: 'statusSince', direction: 'asc' }];
    const fingerprint = queryFingerprint({ filter: { ...filter, statusSince: null }, limits: [...limits.entries()] });
    let after = input.cursor ? decodeCursor(input.cursor, fingerprint, sort) : undefined;

    const items: StuckCard[] = [];
    let lastScanned: ReadDocument | null = null;
    let exhausted = false;
    while (items.length < input.limit && !exhausted) {
      const page = await this.readStore.find(CARDS, { filter, sort, limit: SCAN_PAGE, ...(after && { after }) });
      exhausted = page.length < SCAN_PAGE;
      for (const doc of page) {
        lastScanned = doc;
        after = [doc.statusSince as FieldValue, doc._id];
        const card = doc as unknown as CardSummaryDocument;
        const limit = limits.get(card.status);
        const waitingSeconds = (now - Date.parse(card.statusSince)) / 1000;
        if (!limit || waitingSeconds <= limit.seconds) continue;
        items.push({
          cardId: card.cardId,
          customerId: card.customerId,
          product: card.product,
          branchId: card.branchId,
          stage: card.status,
          since: card.statusSince,
          waitingSeconds: Math.round(waitingSeconds),
          waiting: formatDuration(waitingSeconds),
          olderThan: limit.iso,
        });
        if (items.length === input.limit) {
          exhausted = exhausted && doc === page[page.length - 1];
          break;
        }
      }
    }
    return {
      items,
      nextCursor: !exhausted && lastScanned ? encodeCursor(fingerprint, lastScanned, sort) : null,
      slas: Object.fromEntries([...limits.entries()].map(([stage, l]) => [stage, l.iso])),
    };
  }
}
