import type { CardSummaryDocument, DisputeDocument } from '@cards/read-store/projections/documents';
import { isoWeekOf, localDate, requireTimeZone } from './calendar';
import { ReportParameterError } from './report-parameter-error';
import { checkReportRange, instantOf, isInRange } from './report-range';
import { forEachOf, type ReportSource } from './report-source';

export const ACTIVATION_GROUPINGS = ['day', 'week', 'channel', 'product', 'branch'] as const;
export type ActivationGrouping = (typeof ACTIVATION_GROUPINGS)[number];

/** Group of cards without a branch (groupBy `branch`). */
export const NO_BRANCH_GROUP = '(none)';
/** Group of disputes whose card was not among the cards streamed (groupBy channel / product / branch). */
export const UNKNOWN_CARD_GROUP = '(unknown card)';

export interface ActivationsReportParams {
  readonly from: string;
  readonly to: string;
  readonly groupBy: ActivationGrouping;
  /** IANA time zone for `day` and `week`; default UTC. */
  readonly tz?: string;
}

/** How many of each event happened in the range (each event by its own timestamp). */
export interface ActivationCounts {
  issued: number;
  verified: number;
  linked: number;
  activated: number;
  /** Disputes opened (one per dispute). */
  disputed: number;
  cancelled: number;
}

export interface ActivationsRow extends ActivationCounts {
  /** `2026-11-22` (day), `2026-W47` (week), or the channel / product / branch id. */
  readonly group: string;
  /** First local date of the group: the day itself, or the week's Monday; null for channel / product / branch. */
  readonly start: string | null;
}

export interface ActivationsReport {
  readonly from: string;
  readonly to: string;
  readonly groupBy: ActivationGrouping;
  readonly tz: string;
  /** Only groups with at least one event, sorted by `group` (code-unit order). */
  readonly rows: ActivationsRow[];
  readonly totals: ActivationCounts;
}

const CARD_EVENTS: readonly (readonly [Exclude<keyof ActivationCounts, 'disputed'>, (card: CardSummaryDocument) => string | null])[] = [
  ['issued', (card) => card.issuedAt],
  ['verified', (card) => card.identityVerifiedAt],
  ['linked', (card) => card.linkedAt],
  ['activated', (card) => card.activatedAt],
  ['cancelled', (card) => card.cancelledAt],
];

const CARD_ATTRIBUTE: Readonly<Record<'channel' | 'product' | 'branch', (card: CardSummaryDocument) => string>> = {
  channel: (card) => card.channel,
  product: (card) => card.product,
  branch: (card) => card.branchId ?? NO_BRANCH_GROUP,
};

function zeroCounts(): ActivationCounts {
  return { issued: 0, verified: 0, linked: 0, activated: 0, disputed: 0, cancelled: 0 };
}

/**
 * Events per group in [from, to): issued, verified, linked, activated and cancelled from the cards' stage
 * timestamps, disputed from the disputes' `openedAt`. With `day` / `week` each event is placed by its own
 * timestamp's local date in `tz` (ISO weeks, Monday first); with `channel` / `product` / `branch` by the card's
 * issue channel, product or branch, disputes joined to their card by cardId.
 *
 * `cards` is read completely before `disputes`. It must hold every card that can have an event in the range
 * (any card with `updatedAt >= from` will do) and, for the attribute groupings, the card of every dispute.
 */
export async function activationsReport(
  cards: ReportSource<CardSummaryDocument>,
  disputes: ReportSource<DisputeDocument>,
  params: ActivationsReportParams,
): Promise<ActivationsReport> {
  const range = checkReportRange(params);
  const groupBy = params.groupBy;
  if (!(ACTIVATION_GROUPINGS as readonly unknown[]).includes(groupBy)) {
    throw new ReportParameterError('groupBy', `"${String(groupBy)}" is not a grouping; use one of ${ACTIVATION_GROUPINGS.join(', ')}`);
  }
  const tz = requireTimeZone(params.tz ?? 'UTC');

  const rows = new Map<string, ActivationsRow>();
  const count = (group: string, start: string | null, event: keyof ActivationCounts): void => {
    let row = rows.get(group);
    if (row === undefined) {
      row = { group, start, ...zeroCounts() };
      rows.set(group, row);
    }
    row[event] += 1;
  };

  if (groupBy === 'day' || groupBy === 'week') {
    const countAt = (ms: number, event: keyof ActivationCounts): void => {
      const date = localDate(ms, tz);
      if (groupBy === 'day') {
        count(date, date, event);
      } else {
        const week = isoWeekOf(date);
        count(week.label, week.start, event);
      }
    };
    await forEachOf(cards, (card) => {
      for (const [event, at] of CARD_EVENTS) {
        const ms = instantOf(at(card));
        if (isInRange(ms, range)) countAt(ms, event);
      }
    });
    await forEachOf(disputes, (dispute) => {
      const ms = instantOf(dispute.openedAt);
      if (isInRange(ms, range)) countAt(ms, 'disputed');
    });
  } else {
    const attribute = CARD_ATTRIBUTE[groupBy];
    const groupOfCard = new Map<string, string>();
    await forEachOf(cards, (card) => {
      const group = attribute(card) ?? NO_BRANCH_GROUP;
      groupOfCard.set(card.cardId, group);
      for (const [event, at] of CARD_EVENTS) {
        if (isInRange(instantOf(at(card)), range)) count(group, null, event);
      }
    });
    await forEachOf(disputes, (dispute) => {
      if (isInRange(instantOf(dispute.openedAt), range)) {
        count(groupOfCard.get(dispute.cardId) ?? UNKNOWN_CARD_GROUP, null, 'disputed');
      }
    });
  }

  const sorted = [...rows.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  const totals = zeroCounts();
  for (const row of sorted) {
    for (const key of Object.keys(totals) as (keyof ActivationCounts)[]) totals[key] += row[key];
  }
  return { from: range.from, to: range.to, groupBy, tz, rows: sorted, totals };
}
