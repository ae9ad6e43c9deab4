export const CARD_STATUSES = [
  'ISSUED',
  'IDENTITY_REVIEW',
  'VERIFICATION_LOCKED',
  'IDENTITY_VERIFIED',
  'LINKED',
  'ACTIVE',
  'SUSPENDED',
  'DISPUTED',
  'CANCELLED',
] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];

export const PRODUCTS = ['DEBIT', 'CREDIT', 'LOYALTY', 'SIM'] as const;
export type Product = (typeof PRODUCTS)[number];

/** Where a card was issued. */
export const ISSUE_CHANNELS = ['BRANCH', 'MAIL', 'APP', 'WEB', 'PARTNER'] as const;
export type IssueChannel = (typeof ISSUE_CHANNELS)[number];

export const ACTIVATION_CHANNELS = ['WEB', 'APP', 'IVR', 'HOTLINE', 'BRANCH'] as const;
export type ActivationChannel = (typeof ACTIVATION_CHANNELS)[number];

export const VERIFICATION_METHODS = ['ID_DOCUMENT', 'FACE', 'FINGERPRINT', 'BRANCH_STAFF'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];
export type BiometricMethod = Extract<VerificationMethod, 'FACE' | 'FINGERPRINT'>;

/** Why a verification failed: one code per failed check (docs/identity.md says what each means). */
export const VERIFICATION_FAILURE_REASONS = [
  'NAME_MISMATCH',
  'ID_NUMBER_MISMATCH',
  'BIRTH_DATE_MISMATCH',
  'ID_FORMAT_INVALID',
  'ID_CHECK_CHARACTER_INVALID',
  'ID_BIRTH_DATE_INVALID',
  'ID_REGION_INVALID',
  'MRZ_FORMAT_INVALID',
  'MRZ_CHECK_DIGIT_INVALID',
  'MRZ_MISMATCH',
  'LOW_MATCH_SCORE',
  'REVIEW_REJECTED',
] as const;
export type VerificationFailureReason = (typeof VERIFICATION_FAILURE_REASONS)[number];

/** Differences that go to a person instead of failing outright. */
export const REVIEW_REASONS = ['BIRTH_DATE_MISMATCH', 'SCORE_IN_REVIEW_BAND', 'VERIFICATION_LOCKED', 'IDENTITY_CORRECTION'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

export const REVIEW_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

export const CONTACT_ATTEMPT_CHANNELS = ['PHONE', 'SMS', 'EMAIL', 'IN_PERSON'] as const;
export type ContactAttemptChannel = (typeof CONTACT_ATTEMPT_CHANNELS)[number];
export const CONTACT_ATTEMPT_OUTCOMES = ['REACHED', 'NO_ANSWER', 'LEFT_MESSAGE', 'WRONG_CONTACT', 'CUSTOMER_DECLINED'] as const;
export type ContactAttemptOutcome = (typeof CONTACT_ATTEMPT_OUTCOMES)[number];

/** Failed verifications that lock a card until a review decides (VERIFICATION_LOCKED). */
export const MAX_IDENTITY_VERIFICATION_FAILURES = 3;

/** Pass and review thresholds of a biometric method (configuration): pass ≥ pass; review ≤ score < pass goes to a person. */
export interface ScoreThresholds {
  readonly pass: number;
  readonly review: number;
}

export const DISPUTE_REASONS = ['UNRECOGNIZED_ACTIVATION', 'NOT_RECEIVED', 'WRONG_CUSTOMER', 'FRAUD', 'OTHER'] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

export const DISPUTE_OUTCOMES = ['UPHELD', 'REJECTED'] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];

export const ACTIVATION_FAILURE_REASONS = ['CARD_NUMBER_MISMATCH', 'CVV_MISMATCH'] as const;
export type ActivationFailureReason = (typeof ACTIVATION_FAILURE_REASONS)[number];

/** How many wrong possession proofs (card number or CVV2) a card takes before it is suspended. */
export const MAX_ACTIVATION_ATTEMPTS = 3;

/** Stable reason codes the domain itself writes into CardSuspended / CardCancelled. */
export const CVV_RETRY_LIMIT = 'CVV_RETRY_LIMIT';
export const DISPUTE_UPHELD = 'DISPUTE_UPHELD';

// ---- commands: every command carries `now` (ISO-8601) from the handler's clock ----
export interface IssueCard {
  readonly type: 'IssueCard';
  readonly cardId: string;
  readonly customerId: string;
  /** The handler has checked the customer stream; the decider refuses when false. */
  readonly customerExists: boolean;
  readonly product: Product;
  /** What may be kept of the card number: never the number itself. */
  readonly pan: { readonly bin: string; readonly last4: string; readonly fingerprint: string; readonly length: number };
  /** "MM/YY" as given; required for DEBIT and CREDIT, must not be in the past (end of that month, UTC). */
  readonly expiry?: string;
  readonly channel: IssueChannel;
  readonly branchId?: string;
  /** SIM only: the phone number assigned with the card (reserved for the customer; docs/numbers.md). */
  readonly msisdn?: string;
  readonly now: string;
}

/** What the customer presented for a verification. Which fields a method needs: docs/identity.md. */
export interface PresentedIdentity {
  readonly name?: string;
  readonly idNumber?: string;
  /** YYYY-MM-DD as printed on the document. */
  readonly birthDate?: string;
  /** A passport's machine-readable zone (ICAO 9303 TD3: two lines of 44 characters). */
  readonly mrz?: string;
}

/** What the biometric provider said (FACE, FINGERPRINT), asked by the handler through the IdentityProvider port. */
export type BiometricResult =
  | { readonly outcome: 'SCORED'; readonly score: number; readonly providerReference: string }
  | { readonly outcome: 'UNAVAILABLE'; readonly reason: string };

export interface VerifyIdentity {
  readonly type: 'VerifyIdentity';
  readonly method: VerificationMethod;
  readonly presented: PresentedIdentity;
  /** What the registered customer holds, loaded by the handler from the customer stream. */
  readonly registered: { readonly name: string; readonly idType: string; readonly idNumber: string; readonly birthDate?: string };
  /** FACE and FINGERPRINT: the provider's answer. */
  readonly biometric?: BiometricResult;
  /** BRANCH_STAFF: the member of staff who saw the original document in person. */
  readonly attestedBy?: string;
  /** Pass and review thresholds per biometric method (configuration). */
  readonly thresholds: Readonly<Record<BiometricMethod, ScoreThresholds>>;
  /** The id a review gets if this attempt opens one (chosen by the handler, so a retry keeps it). */
  readonly reviewId: string;
  /** Who asked (the actor): the person who decides a review it opens must be someone else. */
  readonly requestedBy: string;
  readonly now: string;
}

export interface RecordReviewContactAttempt {
  readonly type: 'RecordReviewContactAttempt';
  readonly reviewId: string;
  readonly channel: ContactAttemptChannel;
  readonly outcome: ContactAttemptOutcome;
  readonly note?: string;
  readonly recordedBy: string;
  readonly now: string;
}

export interface DecideIdentityReview {
  readonly type: 'DecideIdentityReview';
  readonly reviewId: string;
  readonly decision: ReviewDecision;
  readonly note: string;
  readonly decidedBy: string;
  readonly now: string;
}

export interface LinkCard {
  readonly type: 'LinkCard';
  readonly accountId: string;
  readonly now: string;
}

export interface ActivateCard {
  readonly type: 'ActivateCard';
  readonly channel: ActivationChannel;
  /**
   * For DEBIT and CREDIT: the result of the possession checks, computed by the handler (fingerprint of the
   * card number given, CVV2 check by the CardVerification port). Absent means nothing was presented.
   */
  readonly possession?: { readonly cardNumberMatches: boolean; readonly cvvMatches: boolean };
  readonly now: string;
}

export interface OpenDispute {
  readonly type: 'OpenDispute';
  readonly disputeId: string;
  readonly reason: DisputeReason;
  readonly description: string;
  readonly now: string;
}

export interface ResolveDispute {
  readonly type: 'ResolveDispute';
  readonly disputeId: string;
  readonly outcome: DisputeOutcome;
  readonly note: string;
  readonly now: string;
}

export interface SuspendCard {
  readonly type: 'SuspendCard';
  readonly reason: string;
  readonly now: string;
}

export interface ReinstateCard {
  readonly type: 'ReinstateCard';
  readonly reason?: string;
  readonly now: string;
}

export interface CancelCard {
  readonly type: 'CancelCard';
  readonly reason: string;
  readonly now: string;
}

export type CardCommand =
  | IssueCard
  | VerifyIdentity
  | RecordReviewContactAttempt
  | DecideIdentityReview
  | LinkCard
  | ActivateCard
  | OpenDispute
  | ResolveDispute
  | SuspendCard
  | ReinstateCard
  | CancelCard;
export type CardCommandType = CardCommand['type'];

// ---- events ----
export interface CardIssued {
  readonly type: 'CardIssued';
  readonly data: {
    readonly cardId: string;
    readonly customerId: string;
    readonly product: Product;
    readonly panBin: string;
    readonly panLast4: string;
    readonly panFingerprint: string;
    readonly panLength: number;
    readonly expiry?: string;
    readonly channel: IssueChannel;
    readonly branchId?: string;
    /** SIM only: the phone number assigned with the card. */
    readonly msisdn?: string;
    readonly issuedAt: string;
  };
}
export interface IdentityVerified {
  readonly type: 'IdentityVerified';
  readonly data: {
    readonly method: VerificationMethod;
    readonly matchScore?: number;
    readonly providerReference?: string;
    /** BRANCH_STAFF: who saw the original document. */
    readonly attestedBy?: string;
    /** Set when a person approved it in a review. */
    readonly reviewId?: string;
    readonly verifiedAt: string;
  };
}
export interface IdentityVerificationFailed {
  readonly type: 'IdentityVerificationFailed';
  readonly data: {
    readonly method: VerificationMethod;
    readonly reasons: VerificationFailureReason[];
    readonly matchScore?: number;
    readonly providerReference?: string;
    /** Set when a person rejected it in a review. */
    readonly reviewId?: string;
    readonly failedAt: string;
  };
}
/** The provider could not answer: recorded, but not held against the customer (no failure counted). */
export interface IdentityVerificationUnavailable {
  readonly type: 'IdentityVerificationUnavailable';
  readonly data: { readonly method: VerificationMethod; readonly reason: string; readonly at: string };
}
/** The card's identity goes to a person: it waits in IDENTITY_REVIEW (or VERIFICATION_LOCKED) until decided. */
export interface IdentityReviewRequested {
  readonly type: 'IdentityReviewRequested';
  readonly data: {
    readonly reviewId: string;
    readonly method: VerificationMethod;
    readonly reasons: ReviewReason[];
    /** Failure reasons of the attempts that led here (a lock), or what differed. */
    readonly differences: string[];
    readonly matchScore?: number;
    readonly requestedBy: string;
    readonly requestedAt: string;
  };
}
export interface IdentityVerificationLocked {
  readonly type: 'IdentityVerificationLocked';
  readonly data: { readonly failures: number; readonly lockedAt: string };
}
export interface ReviewContactAttemptRecorded {
  readonly type: 'ReviewContactAttemptRecorded';
  readonly data: {
    readonly reviewId: string;
    readonly channel: ContactAttemptChannel;
    readonly outcome: ContactAttemptOutcome;
    readonly note?: string;
    readonly recordedBy: string;
    readonly recordedAt: string;
  };
}
export interface IdentityReviewDecided {
  readonly type: 'IdentityReviewDecided';
  readonly data: {
    readonly reviewId: string;
    readonly decision: ReviewDecision;
    readonly note: string;
    readonly decidedBy: string;
    readonly decidedAt: string;
  };
}
export interface CardLinked {
  readonly type: 'CardLinked';
  readonly data: { readonly accountId: string; readonly linkedAt: string };
}
export interface CardActivated {
  readonly type: 'CardActivated';
  readonly data: { readonly channel: ActivationChannel; readonly activatedAt: string };
}
export interface ActivationAttemptFailed {
  readonly type: 'ActivationAttemptFailed';
  readonly data: {
    readonly channel: ActivationChannel;
    readonly reason: ActivationFailureReason;
    /** 1-based number of this failed attempt since issue or the last reinstatement. */
    readonly attempt: number;
    readonly attemptsLeft: number;
    readonly failedAt: string;
  };
}
export interface CardSuspended {
  readonly type: 'CardSuspended';
  readonly data: { readonly reason: string; readonly suspendedAt: string };
}
export interface CardReinstated {
  readonly type: 'CardReinstated';
  readonly data: { readonly reason?: string; readonly reinstatedAt: string };
}
export interface CardCancelled {
  readonly type: 'CardCancelled';
  readonly data: { readonly reason: string; readonly cancelledAt: string };
}
export interface CardDisputed {
  readonly type: 'CardDisputed';
  readonly data: {
    readonly disputeId: string;
    readonly reason: DisputeReason;
    readonly description: string;
    readonly openedAt: string;
  };
}
export interface DisputeResolved {
  readonly type: 'DisputeResolved';
  readonly data: {
    readonly disputeId: string;
    readonly outcome: DisputeOutcome;
    readonly note: string;
    readonly resolvedAt: string;
  };
}

export type CardEvent =
  | CardIssued
  | IdentityVerified
  | IdentityVerificationFailed
  | IdentityVerificationUnavailable
  | IdentityReviewRequested
  | IdentityVerificationLocked
  | ReviewContactAttemptRecorded
  | IdentityReviewDecided
  | CardLinked
  | CardActivated
  | ActivationAttemptFailed
  | CardSuspended
  | CardReinstated
  | CardCancelled
  | CardDisputed
  | DisputeResolved;
export type CardEventType = CardEvent['type'];

// ---- state ----
export interface OpenDisputeState {
  readonly disputeId: string;
  readonly reason: DisputeReason;
  readonly openedAt: string;
  /** The status the card returns to if the dispute is rejected. */
  readonly statusBefore: CardStatus;
}

export interface OpenReviewState {
  readonly reviewId: string;
  readonly method: VerificationMethod;
  readonly reasons: ReviewReason[];
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly contactAttempts: number;
}

export interface IssuedCardState {
  readonly exists: true;
  readonly cardId: string;
  readonly customerId: string;
  readonly status: CardStatus;
  readonly product: Product;
  readonly panBin: string;
  readonly panLast4: string;
  readonly panFingerprint: string;
  readonly panLength: number;
  readonly expiry?: string;
  readonly issueChannel: IssueChannel;
  readonly branchId?: string;
  /** SIM only: the phone number assigned with the card. */
  readonly msisdn?: string;
  readonly accountId?: string;
  readonly activationChannel?: ActivationChannel;
  readonly openDispute?: OpenDisputeState;
  /** Failed possession proofs since issue or the last reinstatement. */
  readonly failedActivationAttempts: number;
  /** Failed identity verifications since issue or the last review decision; the third locks the card. */
  readonly identityVerificationFailures: number;
  readonly openReview?: OpenReviewState;
  /** The status the card returns to when reinstated. */
  readonly statusBeforeSuspension?: CardStatus;
  readonly suspensionReason?: string;
  readonly cancellationReason?: string;
  /** When each stage was reached (ISO-8601). */
  readonly timestamps: {
    readonly issuedAt: string;
    readonly identityVerifiedAt?: string;
    readonly linkedAt?: string;
    readonly activatedAt?: string;
    readonly suspendedAt?: string;
    readonly disputedAt?: string;
    readonly cancelledAt?: string;
  };
}

export type CardState = { readonly exists: false } | IssuedCardState;
