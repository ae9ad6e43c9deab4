import { PRODUCTS, type Product } from '@cards/domain';
import type { CardSummaryDocument } from '@cards/read-store/projections/documents';
import { type CheckedRange, instantOf, isInRange } from './report-range';
import { ReportParameterError } from './report-parameter-error';

/**
 * The activation process, in order. Funnel rows and duration steps are derived from this list, so a later stage
 * is added here, in STAGE_REACHED_AT and in STAGE_WORDS, and the reports pick it up. NOTIFIED: the customer got the
 * activation confirmation (its first NotificationSent); not a card status, only a stage.
 */
export const FUNNEL_STAGES = ['ISSUED', 'IDENTITY_VERIFIED', 'LINKED', 'ACTIVE', 'NOTIFIED'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** When a card first reached each stage; null when it has not (yet). */
export const STAGE_REACHED_AT: Readonly<Record<FunnelStage, (card: CardSummaryDocument) => string | null>> = {
  ISSUED: (card) => card.issuedAt,
  IDENTITY_VERIFIED: (card) => card.identityVerifiedAt,
  LINKED: (card) => card.linkedAt,
  ACTIVE: (card) => card.activatedAt,
  // absent (not null) on a summary written before the field existed
  NOTIFIED: (card) => card.notifiedAt ?? null,
};

/** How findings speak of a stage: "41% of linked cards never activated". */
export const STAGE_WORDS: Readonly<Record<FunnelStage, { readonly cards: string; readonly reached: string }>> = {
  ISSUED: { cards: 'issued', reached: 'got issued' },
  IDENTITY_VERIFIED: { cards: 'identity-verified', reached: 'passed identity verification' },
  LINKED: { cards: 'linked', reached: 'got linked to an account' },
  ACTIVE: { cards: 'active', reached: 'activated' },
  NOTIFIED: { cards: 'notified', reached: 'got their activation notice' },
};

/** Epoch milliseconds at which the card reached each stage of FUNNEL_STAGES (same order), null where it has not. */
export function stageInstants(card: CardSummaryDocument): (number | null)[] {
  return FUNNEL_STAGES.map((stage) => instantOf(STAGE_REACHED_AT[stage](card)));
}

export interface CohortFilter {
  readonly range: CheckedRange;
  readonly product: Product | null;
  readonly branchId: string | null;
}

/** The cohort of a funnel-type report: cards issued in [from, to) of the product and branch asked for, if any. */
export function inCohort(card: CardSummaryDocument, filter: CohortFilter): boolean {
  return (
    isInRange(instantOf(card.issuedAt), filter.range) &&
    (filter.product === null || card.product === filter.product) &&
    (filter.branchId === null || card.branchId === filter.branchId)
  );
}

export function checkProduct(product: unknown): Product | null {
  if (product === undefined || product === null) return null;
  if (typeof product !== 'string' || !(PRODUCTS as readonly string[]).includes(product)) {
    throw new ReportParameterError('product', `"${String(product)}" is not a product; use one of ${PRODUCTS.join(', ')}`);
  }
  return product as Product;
}

export function checkBranchId(branchId: unknown): string | null {
  if (branchId === undefined || branchId === null) return null;
  if (typeof branchId !== 'string' || branchId.trim() === '') {
    throw new ReportParameterError('branchId', 'must be a branch id (a non-empty string), or left out for all branches');
  }
  return branchId;
}
