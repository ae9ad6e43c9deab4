/**
 * The shapes of the read models the projections write. Times are ISO-8601 UTC strings taken from the events'
 * own time fields (`issuedAt`, `activatedAt`…), which for imported history is the time of the original event.
 * Nothing here is personal data or a card number: analysts read these.
 */
import type { CardStatus, DisputeOutcome, DisputeReason, IssueChannel, Product, VerificationFailureReason, VerificationMethod, ActivationChannel } from '@cards/domain';

/** Collection `cards`: one document per card (`_id` = cardId), written by the `cards` projection. */
export interface CardSummaryDocument {
  readonly _id: string;
  readonly cardId: string;
  readonly customerId: string;
  readonly product: Product;
  readonly status: CardStatus;
  readonly panBin: string;
  readonly panLast4: string;
  /** A SIM card's phone number (docs/numbers.md); null for other cards, and for SIM cards issued without one. */
  readonly msisdn?: string | null;
  readonly expiry: string | null;
  /** Where it was issued. */
  readonly channel: IssueChannel;
  readonly branchId: string | null;
  readonly accountId: string | null;
  readonly activationChannel: ActivationChannel | null;
  readonly issuedAt: string;
  /** First time each stage was reached; null until then. A later suspension or cancellation keeps them. */
  readonly identityVerifiedAt: string | null;
  readonly linkedAt: string | null;
  readonly activatedAt: string | null;
  /**
   * When the customer was first told the card is active: the first `NotificationSent` of its
   * `activation-confirmation` notice (from the notice's own stream). A later notice does not move it.
   */
  readonly notifiedAt: string | null;
  readonly suspendedAt: string | null;
  readonly disputedAt: string | null;
  readonly cancelledAt: string | null;
  /** When the card entered its current status: how long it has been waiting there. */
  readonly statusSince: string;
  readonly identityVerificationFailures: number;
  readonly failedActivationAttempts: number;
  readonly openDisputeId: string | null;
  readonly disputeCount: number;
  readonly suspensionReason: string | null;
  readonly cancellationReason: string | null;
  /** Where a suspension or a dispute returns the card to (what reinstatement / rejection restore). */
  readonly statusBeforeSuspension: CardStatus | null;
  readonly statusBeforeDispute: CardStatus | null;
  /** Revision of the last event of the card's stream applied here. */
  readonly revision: number;
  /** Time of the last event applied. */
  readonly updatedAt: string;
  /** True when the card's history came from an import. */
  readonly imported: boolean;
}

/** Collection `disputes`: one document per dispute (`_id` = disputeId), written by the `disputes` projection. */
export interface DisputeDocument {
  readonly _id: string;
  readonly disputeId: string;
  readonly cardId: string;
  readonly reason: DisputeReason;
  readonly openedAt: string;
  readonly outcome: DisputeOutcome | null;
  readonly resolvedAt: string | null;
  /** Seconds from opening to resolution; null while open. */
  readonly secondsToResolve: number | null;
}

/**
 * Collection `verification_failures`: one document per failed identity verification (`_id` = the event's
 * id), written by the `verification-failures` projection.
 */
export interface VerificationFailureDocument {
  readonly _id: string;
  readonly cardId: string;
  readonly method: VerificationMethod;
  readonly reasons: VerificationFailureReason[];
  readonly failedAt: string;
}
