import { ABANDON_REASONS, NOTIFICATION_CHANNELS } from '@cards/domain';
import type { NotificationDocument } from '../notifications/notifications.projection';
import { formatIsoDuration } from './iso-duration';
import { checkReportRange, instantOf, isInRange } from './report-range';
import { ReportParameterError } from './report-parameter-error';
import { forEachOf, type ReportSource } from './report-source';
import { nearestRankPercentile, Tally } from './statistics';

/** The form of a template id (the catalog's: lower-case words joined by hyphens). */
const TEMPLATE_ID = /^[a-z0-9-]{1,64}$/;

export interface NotificationsReportParams {
  readonly from: string;
  readonly to: string;
  /** Only notices on this channel (SMS or EMAIL). */
  readonly channel?: string;
  /** Only notices of this template. */
  readonly templateId?: string;
  /**
   * The template ids `templateId` may name: the notification catalog's, which the caller passes in (this library
   * cannot import it: the notifications library depends on this one). Left out, any id of the catalog's form
   * (`activation-confirmation`) is accepted.
   */
  readonly knownTemplateIds?: readonly string[];
}

/** How long sent notices took to go out once allowed to: sentAt − sendAt (the quiet hours are not counted). */
export interface DeliveryLatency {
  /** The sent notices the figures are over. */
  readonly count: number;
  /** Exact percentiles (nearest rank), in milliseconds; null when nothing was sent. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** The same as ISO-8601 durations (`PT1.5S`, `PT2M3S`, `P1DT2H`). */
  readonly p50: string | null;
  readonly p95: string | null;
}

export interface NotificationFigures {
  /** Notices requested in [from, to). The next three add up to it. */
  readonly requested: number;
  /** Of those, sent (whatever attempt went through). */
  readonly sent: number;
  /** Not sent yet: waiting for their send time or their next attempt. */
  readonly pending: number;
  /** Given up. */
  readonly abandoned: number;
  /** Failed attempts summed over the notices: a notice sent at its third attempt counts 2. */
  readonly failedAttempts: number;
  /** Notices with at least one failed attempt, however they ended. */
  readonly withFailures: number;
  /** Abandoned notices by reason; every known reason listed (MAX_ATTEMPTS, PERMANENT_FAILURE, NO_RECIPIENT). */
  readonly abandonedByReason: Record<string, number>;
  readonly latency: DeliveryLatency;
}

export interface NotificationsRow extends NotificationFigures {
  readonly channel: string;
  readonly templateId: string;
}

export interface NotificationsReport {
  readonly from: string;
  readonly to: string;
  readonly channel: string | null;
  readonly templateId: string | null;
  /** One row per channel and template met among the notices, by channel (SMS, EMAIL), then template id. */
  readonly rows: NotificationsRow[];
  readonly totals: {
    /** Every channel asked for (both without a `channel`), 0 included. */
    readonly byChannel: Record<string, NotificationFigures>;
    readonly overall: NotificationFigures;
  };
}

/** Adds up the notices of one row, one channel or all of them. */
class NotificationCounter {
  private requested = 0;
  private sent = 0;
  private pending = 0;
  private abandoned = 0;
  private failedAttempts = 0;
  private withFailures = 0;
  private readonly abandonedByReason = new Tally(ABANDON_REASONS);
  private readonly latenciesMs: number[] = [];

  add(notice: NotificationDocument, latencyMs: number | null): void {
    this.requested += 1;
    const failed = typeof notice.failedAttempts === 'number' ? notice.failedAttempts : 0;
    this.failedAttempts += failed;
    if (failed > 0) this.withFailures += 1;
    if (notice.status === 'SENT') {
      this.sent += 1;
      if (latencyMs !== null) this.latenciesMs.push(latencyMs);
    } else if (notice.status === 'ABANDONED') {
      this.abandoned += 1;
      this.abandonedByReason.add(notice.abandonReason ?? 'UNKNOWN');
    } else {
      this.pending += 1;
    }
  }

  figures(): NotificationFigures {
    const sorted = Float64Array.from(this.latenciesMs).sort();
    const p50Ms = nearestRankPercentile(sorted, 50);
    const p95Ms = nearestRankPercentile(sorted, 95);
    return {
      requested: this.requested,
      sent: this.sent,
      pending: this.pending,
      abandoned: this.abandoned,
      failedAttempts: this.failedAttempts,
      withFailures: this.withFailures,
      abandonedByReason: this.abandonedByReason.toRecord(),
      latency: {
        count: sorted.length,
        p50Ms,
        p95Ms,
        p50: p50Ms === null ? null : formatIsoDuration(p50Ms),
        p95: p95Ms === null ? null : formatIsoDuration(p95Ms),
      },
    };
  }
}

/** The projection's latencyMs, else sentAt − sendAt; null when neither can be read. Never negative. */
function latencyOf(notice: NotificationDocument): number | null {
  if (typeof notice.latencyMs === 'number' && Number.isFinite(notice.latencyMs)) return Math.max(0, notice.latencyMs);
  const sentMs = instantOf(notice.sentAt);
  const sendMs = instantOf(notice.sendAt);
  return sentMs === null || sendMs === null ? null : Math.max(0, sentMs - sendMs);
}

export function checkNotificationChannel(channel: unknown): string | null {
  if (channel === undefined || channel === null || channel === '') return null;
  if (typeof channel !== 'string' || !(NOTIFICATION_CHANNELS as readonly string[]).includes(channel)) {
    throw new ReportParameterError('channel', `"${String(channel)}" is not a notification channel; use one of ${NOTIFICATION_CHANNELS.join(', ')}`);
  }
  return channel;
}

export function checkTemplateId(templateId: unknown, known?: readonly string[]): string | null {
  if (templateId === undefined || templateId === null || templateId === '') return null;
  if (typeof templateId !== 'string' || !TEMPLATE_ID.test(templateId)) {
    throw new ReportParameterError('templateId', 'must be a template id: 1 to 64 lower-case letters, digits and hyphens, e.g. activation-confirmation');
  }
  if (known !== undefined && !known.includes(templateId)) {
    throw new ReportParameterError('templateId', `"${templateId}" is not a notification template; use one of ${known.join(', ')}`);
  }
  return templateId;
}

const CHANNEL_ORDER = (channel: string): number => {
  const i = (NOTIFICATION_CHANNELS as readonly string[]).indexOf(channel);
  return i === -1 ? NOTIFICATION_CHANNELS.length : i;
};

/**
 * Notices requested in [from, to) (of `channel` / `templateId` when given): per channel and template, how many were
 * sent, are still pending or were abandoned (and why), their failed attempts, and the delivery latency of those
 * sent (exact p50 and p95); with totals per channel and overall. Reads the `notifications` read model once.
 */
export async function notificationsReport(
  notices: ReportSource<NotificationDocument>,
  params: NotificationsReportParams,
): Promise<NotificationsReport> {
  const range = checkReportRange(params);
  const channel = checkNotificationChannel(params.channel);
  const templateId = checkTemplateId(params.templateId, params.knownTemplateIds);
  const rows = new Map<string, { channel: string; templateId: string; counter: NotificationCounter }>();
  const byChannel = new Map<string, NotificationCounter>(
    NOTIFICATION_CHANNELS.filter((c) => channel === null || c === channel).map((c) => [c, new NotificationCounter()]),
  );
  const overall = new NotificationCounter();

  await forEachOf(notices, (notice) => {
    if (!isInRange(instantOf(notice.requestedAt), range)) return;
    if (channel !== null && notice.channel !== channel) return;
    if (templateId !== null && notice.templateId !== templateId) return;
    const latencyMs = notice.status === 'SENT' ? latencyOf(notice) : null;
    const key = `${notice.channel}\u0000${notice.templateId}`;
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { channel: notice.channel, templateId: notice.templateId, counter: new NotificationCounter() }));
    row.counter.add(notice, latencyMs);
    let ofChannel = byChannel.get(notice.channel);
    if (ofChannel === undefined) byChannel.set(notice.channel, (ofChannel = new NotificationCounter()));
    ofChannel.add(notice, latencyMs);
    overall.add(notice, latencyMs);
  });

  const ordered = [...rows.values()].sort(
    (a, b) =>
      CHANNEL_ORDER(a.channel) - CHANNEL_ORDER(b.channel) ||
      (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0) ||
      (a.templateId < b.templateId ? -1 : a.templateId > b.templateId ? 1 : 0),
  );
  const channels = [...byChannel.keys()].sort((a, b) => CHANNEL_ORDER(a) - CHANNEL_ORDER(b) || (a < b ? -1 : a > b ? 1 : 0));
  return {
    from: range.from,
    to: range.to,
    channel,
    templateId,
    rows: ordered.map((row) => ({ channel: row.channel, templateId: row.templateId, ...row.counter.figures() })),
    totals: {
      byChannel: Object.fromEntries(channels.map((c) => [c, (byChannel.get(c) as NotificationCounter).figures()])),
      overall: overall.figures(),
    },
  };
}
