import type { ReviewDocument } from '../../reviews/reviews.projection';
import type { NotificationDocument } from '../../notifications/notifications.projection';
// Builders of read-model documents for the report specs: give what the test is about, the rest is filled in.
import type { CardStatus } from '@cards/domain';
import type { CardSummaryDocument, DisputeDocument, VerificationFailureDocument } from '@cards/read-store/projections/documents';
import { ReportParameterError } from '../report-parameter-error';

let sequence = 0;
const nextId = (prefix: string): string => `${prefix}-${(sequence += 1)}`;

function statusOf(card: Partial<CardSummaryDocument>): CardStatus {
  if (card.cancelledAt) return 'CANCELLED';
  if (card.activatedAt) return 'ACTIVE';
  if (card.linkedAt) return 'LINKED';
  if (card.identityVerifiedAt) return 'IDENTITY_VERIFIED';
  return 'ISSUED';
}

function latest(...times: (string | null | undefined)[]): string {
  return times.filter((t): t is string => typeof t === 'string').sort().at(-1) ?? '2026-11-01T09:00:00.000Z';
}

/** A card summary; stages not given are not reached. The status follows the latest stage (or CANCELLED). */
export function card(given: Partial<CardSummaryDocument> = {}): CardSummaryDocument {
  const cardId = given.cardId ?? nextId('card');
  const issuedAt = given.issuedAt ?? '2026-11-01T09:00:00.000Z';
  const stages = {
    identityVerifiedAt: given.identityVerifiedAt ?? null,
    linkedAt: given.linkedAt ?? null,
    activatedAt: given.activatedAt ?? null,
    cancelledAt: given.cancelledAt ?? null,
  };
  const last = latest(issuedAt, ...Object.values(stages));
  return {
    _id: cardId,
    cardId,
    customerId: 'customer-1',
    product: 'DEBIT',
    status: statusOf({ ...stages, ...given }),
    panBin: '412345',
    panLast4: '0042',
    expiry: '12/29',
    channel: 'APP',
    branchId: null,
    accountId: stages.linkedAt === null ? null : 'account-1',
    activationChannel: stages.activatedAt === null ? null : 'APP',
    issuedAt,
    ...stages,
    // the notice comes from another stream: it moves neither the status nor updatedAt
    notifiedAt: given.notifiedAt ?? null,
    suspendedAt: null,
    disputedAt: null,
    statusSince: last,
    identityVerificationFailures: 0,
    failedActivationAttempts: 0,
    openDisputeId: null,
    disputeCount: 0,
    suspensionReason: null,
    cancellationReason: stages.cancelledAt === null ? null : 'CUSTOMER_REQUEST',
    statusBeforeSuspension: null,
    statusBeforeDispute: null,
    revision: 1,
    updatedAt: last,
    imported: false,
    ...given,
  };
}

/** A dispute; resolved when `outcome` is given (with `resolvedAt`, `secondsToResolve` follows unless given). */
export function dispute(given: Partial<DisputeDocument> = {}): DisputeDocument {
  const disputeId = given.disputeId ?? nextId('dispute');
  const openedAt = given.openedAt ?? '2026-11-02T09:00:00.000Z';
  const resolvedAt = given.resolvedAt ?? null;
  return {
    _id: disputeId,
    disputeId,
    cardId: 'card-x',
    reason: 'NOT_RECEIVED',
    openedAt,
    outcome: null,
    resolvedAt,
    secondsToResolve: resolvedAt === null ? null : (Date.parse(resolvedAt) - Date.parse(openedAt)) / 1000,
    ...given,
  };
}

export function verificationFailure(given: Partial<VerificationFailureDocument> = {}): VerificationFailureDocument {
  return {
    _id: nextId('failure'),
    cardId: 'card-x',
    method: 'ID_DOCUMENT',
    reasons: ['NAME_MISMATCH'],
    failedAt: '2026-11-02T09:00:00.000Z',
    ...given,
  };
}

/** The same items as an async stream, as a database cursor would give them. */
export async function* streamed<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
}

/** Adds seconds to an ISO instant. */
export function plus(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `act` and returns the ReportParameterError it throws (sync or async); fails the test otherwise. */
export async function parameterErrorFrom(act: () => unknown): Promise<ReportParameterError> {
  try {
    await act();
  } catch (error) {
    expect(error).toBeInstanceOf(ReportParameterError);
    return error as ReportParameterError;
  }
  throw new Error('expected a ReportParameterError, but nothing was thrown');
}

/** An open review of a card's identity, requested on 1 November 2026; override what a test is about. */
export function reviewDocument(overrides: Partial<ReviewDocument> = {}): ReviewDocument {
  return {
    _id: 'r',
    reviewId: 'r',
    subject: 'CARD',
    cardId: 'c',
    customerId: null,
    method: 'ID_DOCUMENT',
    requestReason: null,
    reasons: ['BIRTH_DATE_MISMATCH'],
    differences: ['BIRTH_DATE_MISMATCH'],
    matchScore: null,
    status: 'OPEN',
    requestedBy: 'clerk',
    requestedAt: '2026-11-01T00:00:00.000Z',
    contactAttempts: [],
    decidedBy: null,
    decidedAt: null,
    decisionNote: null,
    durationSeconds: null,
    ...overrides,
  };
}

/**
 * A notice as the notifications read model holds it: an SMS activation confirmation requested (and allowed to go)
 * at 1 November 2026 09:00, still pending. `sentAt` makes it SENT (latencyMs follows), `abandonReason` ABANDONED.
 */
export function notification(given: Partial<NotificationDocument> = {}): NotificationDocument {
  const notificationId = given.notificationId ?? nextId('notice');
  const requestedAt = given.requestedAt ?? '2026-11-01T09:00:00.000Z';
  const sendAt = given.sendAt ?? requestedAt;
  const sentAt = given.sentAt ?? null;
  const abandonReason = given.abandonReason ?? null;
  const status = sentAt !== null ? 'SENT' : abandonReason !== null ? 'ABANDONED' : 'PENDING';
  const failedAttempts = given.failedAttempts ?? 0;
  return {
    _id: notificationId,
    notificationId,
    templateId: 'activation-confirmation',
    channel: 'SMS',
    kind: 'TRANSACTIONAL',
    customerId: 'customer-1',
    cardId: 'card-x',
    sourceEventType: 'CardActivated',
    occurredAt: requestedAt,
    requestedAt,
    sendAt,
    status,
    attempts: failedAttempts + (status === 'SENT' ? 1 : 0),
    nextAttemptAt: status === 'PENDING' ? sendAt : null,
    failedAttempts,
    lastFailureReason: failedAttempts > 0 ? 'TIMEOUT' : null,
    lastError: null,
    sentAt,
    providerMessageId: sentAt === null ? null : `provider-${notificationId}`,
    latencyMs: sentAt === null ? null : Date.parse(sentAt) - Date.parse(sendAt),
    abandonedAt: abandonReason === null ? null : plus(sendAt, 3_600),
    abandonReason,
    updatedAt: sentAt ?? requestedAt,
    ...given,
  };
}
