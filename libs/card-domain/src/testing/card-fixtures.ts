import type {
  ActivateCard,
  CancelCard,
  CardCommand,
  CardCommandType,
  CardEvent,
  CardStatus,
  DecideIdentityReview,
  IssueCard,
  LinkCard,
  OpenDispute,
  RecordReviewContactAttempt,
  ReinstateCard,
  ResolveDispute,
  SuspendCard,
  VerifyIdentity,
} from '../card/card.types';
import { MAX_ACTIVATION_ATTEMPTS, MAX_IDENTITY_VERIFICATION_FAILURES } from '../card/card.types';

/** Times of a card's story, a few minutes apart, so each stage's timestamp is recognisable in assertions. */
export const ISSUED_AT = '2025-06-01T09:00:00.000Z';
export const VERIFIED_AT = '2025-06-01T09:05:00.000Z';
export const LINKED_AT = '2025-06-01T09:10:00.000Z';
export const ACTIVATED_AT = '2025-06-01T09:15:00.000Z';
export const SUSPENDED_AT = '2025-06-01T09:20:00.000Z';
export const DISPUTED_AT = '2025-06-01T09:25:00.000Z';
export const CANCELLED_AT = '2025-06-01T09:30:00.000Z';
/** When the command under test happens. */
export const NOW = '2025-06-02T08:00:00.000Z';

export const CARD_ID = '7b0c1e1e-5c47-4c7a-9d1a-2f2f7c1b9a01';
export const CUSTOMER_ID = 'c3f5a3a0-1f0e-4a4b-8c55-0c0a3c1d2e11';
export const ACCOUNT_ID = 'acc-6222020000001234';
export const DISPUTE_ID = 'd-2025-0001';
export const REGISTERED = { name: '张三', idType: 'CN_RESIDENT_ID', idNumber: '11010519491231002X' } as const;
export const REVIEW_ID = 'r-2025-0001';
/** Who sent the card to review (the branch clerk), and the reviewer who decides (someone else). */
export const CLERK = 'clerk-1';
export const REVIEWER = 'reviewer-2';
export const THRESHOLDS = { FACE: { pass: 0.8, review: 0.6 }, FINGERPRINT: { pass: 0.9, review: 0.75 } } as const;

// ---- commands (happy path unless overridden) ----

export function issueCard(overrides: Partial<IssueCard> = {}): IssueCard {
  return {
    type: 'IssueCard',
    cardId: CARD_ID,
    customerId: CUSTOMER_ID,
    customerExists: true,
    product: 'DEBIT',
    pan: { bin: '411111', last4: '1111', fingerprint: 'fp-4111', length: 16 },
    expiry: '09/28',
    channel: 'BRANCH',
    now: NOW,
    ...overrides,
  };
}

export function verifyIdentity(overrides: Partial<VerifyIdentity> = {}): VerifyIdentity {
  return {
    type: 'VerifyIdentity',
    method: 'ID_DOCUMENT',
    presented: { name: REGISTERED.name, idNumber: REGISTERED.idNumber },
    registered: REGISTERED,
    thresholds: THRESHOLDS,
    reviewId: REVIEW_ID,
    requestedBy: CLERK,
    now: NOW,
    ...overrides,
  };
}

export function recordReviewContactAttempt(overrides: Partial<RecordReviewContactAttempt> = {}): RecordReviewContactAttempt {
  return { type: 'RecordReviewContactAttempt', reviewId: REVIEW_ID, channel: 'PHONE', outcome: 'REACHED', note: 'Confirmed the birth date', recordedBy: REVIEWER, now: NOW, ...overrides };
}

export function decideIdentityReview(overrides: Partial<DecideIdentityReview> = {}): DecideIdentityReview {
  return { type: 'DecideIdentityReview', reviewId: REVIEW_ID, decision: 'APPROVE', note: 'Original document seen', decidedBy: REVIEWER, now: NOW, ...overrides };
}

export function linkCard(overrides: Partial<LinkCard> = {}): LinkCard {
  return { type: 'LinkCard', accountId: ACCOUNT_ID, now: NOW, ...overrides };
}

export function activateCard(overrides: Partial<ActivateCard> = {}): ActivateCard {
  return { type: 'ActivateCard', channel: 'APP', possession: { cardNumberMatches: true, cvvMatches: true }, now: NOW, ...overrides };
}

export function suspendCard(overrides: Partial<SuspendCard> = {}): SuspendCard {
  return { type: 'SuspendCard', reason: 'Reported lost by the customer', now: NOW, ...overrides };
}

export function reinstateCard(overrides: Partial<ReinstateCard> = {}): ReinstateCard {
  return { type: 'ReinstateCard', reason: 'Found again', now: NOW, ...overrides };
}

export function cancelCard(overrides: Partial<CancelCard> = {}): CancelCard {
  return { type: 'CancelCard', reason: 'Closed at the customer’s request', now: NOW, ...overrides };
}

export function openDispute(overrides: Partial<OpenDispute> = {}): OpenDispute {
  return {
    type: 'OpenDispute',
    disputeId: DISPUTE_ID,
    reason: 'UNRECOGNIZED_ACTIVATION',
    description: 'The customer did not activate this card',
    now: NOW,
    ...overrides,
  };
}

export function resolveDispute(overrides: Partial<ResolveDispute> = {}): ResolveDispute {
  return { type: 'ResolveDispute', disputeId: DISPUTE_ID, outcome: 'REJECTED', note: 'Activation was made by the customer', now: NOW, ...overrides };
}

/** One command of each type that succeeds wherever the lifecycle allows it. */
export const SAMPLE_COMMANDS: { readonly [K in CardCommandType]: () => Extract<CardCommand, { type: K }> } = {
  IssueCard: () => issueCard(),
  VerifyIdentity: () => verifyIdentity(),
  RecordReviewContactAttempt: () => recordReviewContactAttempt(),
  DecideIdentityReview: () => decideIdentityReview(),
  LinkCard: () => linkCard(),
  ActivateCard: () => activateCard(),
  SuspendCard: () => suspendCard(),
  ReinstateCard: () => reinstateCard(),
  CancelCard: () => cancelCard(),
  OpenDispute: () => openDispute(),
  ResolveDispute: () => resolveDispute(),
};

// ---- events ----

export const cardIssued = (product: IssueCard['product'] = 'DEBIT'): CardEvent => ({
  type: 'CardIssued',
  data: {
    cardId: CARD_ID,
    customerId: CUSTOMER_ID,
    product,
    panBin: '411111',
    panLast4: '1111',
    panFingerprint: 'fp-4111',
    panLength: 16,
    ...(product === 'DEBIT' || product === 'CREDIT' ? { expiry: '09/28' } : {}),
    channel: 'BRANCH',
    issuedAt: ISSUED_AT,
  },
});
export const identityVerified = (): CardEvent => ({ type: 'IdentityVerified', data: { method: 'ID_DOCUMENT', verifiedAt: VERIFIED_AT } });
export const cardLinked = (): CardEvent => ({ type: 'CardLinked', data: { accountId: ACCOUNT_ID, linkedAt: LINKED_AT } });
export const cardActivated = (): CardEvent => ({ type: 'CardActivated', data: { channel: 'APP', activatedAt: ACTIVATED_AT } });
export const cardSuspended = (reason = 'Reported lost'): CardEvent => ({ type: 'CardSuspended', data: { reason, suspendedAt: SUSPENDED_AT } });
export const cardReinstated = (): CardEvent => ({ type: 'CardReinstated', data: { reinstatedAt: SUSPENDED_AT } });
export const cardDisputed = (): CardEvent => ({
  type: 'CardDisputed',
  data: { disputeId: DISPUTE_ID, reason: 'UNRECOGNIZED_ACTIVATION', description: 'Not me', openedAt: DISPUTED_AT },
});
export const cardCancelled = (reason = 'Closed'): CardEvent => ({ type: 'CardCancelled', data: { reason, cancelledAt: CANCELLED_AT } });
export const activationAttemptFailed = (attempt: number): CardEvent => ({
  type: 'ActivationAttemptFailed',
  data: { channel: 'APP', reason: 'CVV_MISMATCH', attempt, attemptsLeft: MAX_ACTIVATION_ATTEMPTS - attempt, failedAt: LINKED_AT },
});

export const identityVerificationFailed = (): CardEvent => ({
  type: 'IdentityVerificationFailed',
  data: { method: 'ID_DOCUMENT', reasons: ['NAME_MISMATCH'], failedAt: VERIFIED_AT },
});
export const identityReviewRequested = (reasons: ('BIRTH_DATE_MISMATCH' | 'SCORE_IN_REVIEW_BAND' | 'VERIFICATION_LOCKED')[] = ['BIRTH_DATE_MISMATCH']): CardEvent => ({
  type: 'IdentityReviewRequested',
  data: { reviewId: REVIEW_ID, method: 'ID_DOCUMENT', reasons, differences: reasons, requestedBy: CLERK, requestedAt: VERIFIED_AT },
});
export const identityVerificationLocked = (): CardEvent => ({
  type: 'IdentityVerificationLocked',
  data: { failures: MAX_IDENTITY_VERIFICATION_FAILURES, lockedAt: VERIFIED_AT },
});

/** A way a card can have reached a status: its events and the statuses it went through (last = current). */
export interface CardHistory {
  readonly label: string;
  readonly events: readonly CardEvent[];
  readonly path: readonly CardStatus[];
}

const toIssued: CardHistory = { label: 'issued', events: [cardIssued()], path: ['ISSUED'] };

function then(history: CardHistory, event: CardEvent, status: CardStatus): CardHistory {
  return { label: `${history.label} → ${status}`, events: [...history.events, event], path: [...history.path, status] };
}

const toVerified = then(toIssued, identityVerified(), 'IDENTITY_VERIFIED');
const toReview = then(toIssued, identityReviewRequested(), 'IDENTITY_REVIEW');
const toLocked: CardHistory = {
  label: `${toIssued.label} → VERIFICATION_LOCKED`,
  events: [
    ...toIssued.events,
    ...Array.from({ length: MAX_IDENTITY_VERIFICATION_FAILURES }, () => identityVerificationFailed()),
    identityVerificationLocked(),
    identityReviewRequested(['VERIFICATION_LOCKED']),
  ],
  path: [...toIssued.path, 'VERIFICATION_LOCKED'],
};
const toLinked = then(toVerified, cardLinked(), 'LINKED');
const toActive = then(toLinked, cardActivated(), 'ACTIVE');
const suspendedFrom = [toIssued, toVerified, toLinked, toActive, toReview, toLocked].map((history) => then(history, cardSuspended(), 'SUSPENDED'));
const suspendedByRetryLimit: CardHistory = {
  label: `${toLinked.label} → SUSPENDED (retry limit)`,
  events: [...toLinked.events, activationAttemptFailed(1), activationAttemptFailed(2), activationAttemptFailed(3), cardSuspended('CVV_RETRY_LIMIT')],
  path: [...toLinked.path, 'SUSPENDED'],
};
const disputedFrom = [toActive, suspendedFrom[3]].map((history) => then(history, cardDisputed(), 'DISPUTED'));
const cancelledFrom = [toIssued, toVerified, toLinked, toActive, toReview, toLocked, suspendedFrom[0]].map((history) => then(history, cardCancelled(), 'CANCELLED'));
const cancelledByDispute: CardHistory = {
  label: `${disputedFrom[0].label} → CANCELLED (dispute upheld)`,
  events: [
    ...disputedFrom[0].events,
    { type: 'DisputeResolved', data: { disputeId: DISPUTE_ID, outcome: 'UPHELD', note: 'Fraud', resolvedAt: CANCELLED_AT } },
    cardCancelled('DISPUTE_UPHELD'),
  ],
  path: [...disputedFrom[0].path, 'CANCELLED'],
};

/** Every way the fixtures know to reach each status. */
export const CARD_HISTORIES: { readonly [S in CardStatus]: readonly CardHistory[] } = {
  ISSUED: [toIssued],
  IDENTITY_REVIEW: [toReview],
  VERIFICATION_LOCKED: [toLocked],
  IDENTITY_VERIFIED: [toVerified],
  LINKED: [toLinked],
  ACTIVE: [toActive],
  SUSPENDED: [...suspendedFrom, suspendedByRetryLimit],
  DISPUTED: disputedFrom,
  CANCELLED: [...cancelledFrom, cancelledByDispute],
};
