import type { Decider } from '../shared/decider';
import { DomainError, ValidationFailed, type FieldViolation } from '../shared/domain-error';
import { without, withoutUndefined } from '../shared/without-undefined';
import { isExpiryInPast, parseExpiry } from '../values/expiry';
import { isMsisdn, MSISDN_RULE } from '../number/msisdn';
import { assessIdentity } from './identity-assessment';
import {
  ACTIVATION_CHANNELS,
  CVV_RETRY_LIMIT,
  DISPUTE_OUTCOMES,
  DISPUTE_REASONS,
  DISPUTE_UPHELD,
  CONTACT_ATTEMPT_CHANNELS,
  CONTACT_ATTEMPT_OUTCOMES,
  MAX_ACTIVATION_ATTEMPTS,
  MAX_IDENTITY_VERIFICATION_FAILURES,
  REVIEW_DECISIONS,
  type ActivateCard,
  type ActivationFailureReason,
  type CancelCard,
  type CardCommand,
  type CardCommandType,
  type CardEvent,
  type CardState,
  type DecideIdentityReview,
  type IssueCard,
  type IssuedCardState,
  type LinkCard,
  type OpenDispute,
  type RecordReviewContactAttempt,
  type ReinstateCard,
  type ResolveDispute,
  type SuspendCard,
  type VerifyIdentity,
} from './card.types';
import { allowedCommands, isAllowed, type LifecycleStatus } from './lifecycle';

const REASON_MAX_LENGTH = 200;
const ID_MAX_LENGTH = 200;
const DESCRIPTION_MAX_LENGTH = 2000;
const NOTE_MAX_LENGTH = 2000;

// ---- small checks shared by the commands ----

function trimmed(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function includes<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

/** Trimmed text of 1..max characters, or a violation. */
function requiredText(field: string, value: unknown, max: number, violations: FieldViolation[]): string {
  const text = trimmed(value);
  if (text.length === 0) violations.push({ field, reason: 'is required' });
  else if ([...text].length > max) violations.push({ field, reason: `must be at most ${max} characters` });
  return text;
}

function failIfAny(violations: readonly FieldViolation[]): void {
  if (violations.length > 0) throw new ValidationFailed(violations);
}

function statusOf(state: CardState): LifecycleStatus {
  return state.exists ? state.status : 'NONE';
}

/** Why the table refuses `command` in `status`, as the error a client can act on. */
function refusal(command: CardCommandType, status: LifecycleStatus): DomainError {
  if (status === 'NONE') {
    return new DomainError('not_found', 'CARD_NOT_FOUND', 'No card with this id has been issued', { command });
  }
  if (command === 'IssueCard') {
    return new DomainError('conflict', 'CARD_NUMBER_ALREADY_ISSUED', 'This card number has already been issued');
  }
  const allowed = allowedCommands(status);
  const options = allowed.length === 0 ? `no command is allowed on a ${status} card` : `allowed now: ${allowed.join(', ')}`;
  return new DomainError('conflict', 'TRANSITION_NOT_ALLOWED', `${command} is not allowed while the card is ${status}; ${options}`, {
    command,
    currentStatus: status,
    allowedCommands: allowed,
  });
}

// ---- decide, one function per command ----

function issueCard(command: IssueCard): CardEvent[] {
  if (!command.customerExists) {
    throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', 'No customer with this id is registered; register the customer first', {
      customerId: command.customerId,
    });
  }
  const violations: FieldViolation[] = [];
  let expiry: string | undefined;
  const given = trimmed(command.expiry);
  if (given.length === 0) {
    if (command.product === 'DEBIT' || command.product === 'CREDIT') {
      violations.push({ field: 'expiry', reason: 'is required for DEBIT and CREDIT cards' });
    }
  } else {
    const parsed = parseExpiry(given);
    if (!parsed.ok) violations.push({ field: 'expiry', reason: parsed.reason });
    else if (isExpiryInPast(given, command.now)) {
      violations.push({ field: 'expiry', reason: 'is in the past (a card is valid through the end of its expiry month)' });
    } else expiry = given;
  }
  if (command.msisdn !== undefined) {
    if (command.product !== 'SIM') violations.push({ field: 'msisdn', reason: 'only a SIM card takes a phone number' });
    else if (!isMsisdn(command.msisdn)) violations.push({ field: 'msisdn', reason: MSISDN_RULE });
  }
  failIfAny(violations);

  const branchId = trimmed(command.branchId);
  return [
    {
      type: 'CardIssued',
      data: withoutUndefined({
        cardId: command.cardId,
        customerId: command.customerId,
        product: command.product,
        panBin: command.pan.bin,
        panLast4: command.pan.last4,
        panFingerprint: command.pan.fingerprint,
        panLength: command.pan.length,
        expiry,
        channel: command.channel,
        branchId: branchId.length > 0 ? branchId : undefined,
        msisdn: command.msisdn,
        issuedAt: command.now,
      }),
    },
  ];
}

function verifyIdentity(command: VerifyIdentity, card: IssuedCardState): CardEvent[] {
  const assessment = assessIdentity(command);
  const at = command.now;
  const score = assessment.score;
  const reference = assessment.providerReference;
  switch (assessment.kind) {
    case 'unavailable':
      return [{ type: 'IdentityVerificationUnavailable', data: { method: command.method, reason: assessment.unavailableReason, at } }];
    case 'verified':
      return [
        {
          type: 'IdentityVerified',
          data: withoutUndefined({ method: command.method, matchScore: score, providerReference: reference, attestedBy: assessment.attestedBy, verifiedAt: at }),
        },
      ];
    case 'review':
      return [
        {
          type: 'IdentityReviewRequested',
          data: withoutUndefined({
            reviewId: command.reviewId,
            method: command.method,
            reasons: assessment.reviewReasons,
            differences: [...assessment.reviewReasons],
            matchScore: score,
            requestedBy: command.requestedBy,
            requestedAt: at,
          }),
        },
      ];
    case 'failed': {
      const events: CardEvent[] = [
        {
          type: 'IdentityVerificationFailed',
          data: withoutUndefined({ method: command.method, reasons: assessment.reasons, matchScore: score, providerReference: reference, failedAt: at }),
        },
      ];
      const failures = card.identityVerificationFailures + 1;
      if (failures >= MAX_IDENTITY_VERIFICATION_FAILURES) {
        events.push(
          { type: 'IdentityVerificationLocked', data: { failures, lockedAt: at } },
          {
            type: 'IdentityReviewRequested',
            data: {
              reviewId: command.reviewId,
              method: command.method,
              reasons: ['VERIFICATION_LOCKED'],
              differences: [...new Set(assessment.reasons)],
              requestedBy: command.requestedBy,
              requestedAt: at,
            },
          },
        );
      }
      return events;
    }
  }
}

/** The review named by a review command, which must be the card's open one. */
function openReviewOf(card: IssuedCardState, reviewId: string) {
  if (card.openReview === undefined || card.openReview.reviewId !== reviewId) {
    throw new DomainError('not_found', 'REVIEW_NOT_FOUND', 'This card has no open review with this id', { reviewId });
  }
  return card.openReview;
}

function recordReviewContactAttempt(command: RecordReviewContactAttempt, card: IssuedCardState): CardEvent[] {
  const violations: FieldViolation[] = [];
  if (!includes(CONTACT_ATTEMPT_CHANNELS, command.channel)) {
    violations.push({ field: 'channel', reason: `must be one of ${CONTACT_ATTEMPT_CHANNELS.join(', ')}` });
  }
  if (!includes(CONTACT_ATTEMPT_OUTCOMES, command.outcome)) {
    violations.push({ field: 'outcome', reason: `must be one of ${CONTACT_ATTEMPT_OUTCOMES.join(', ')}` });
  }
  const note = trimmed(command.note);
  if ([...note].length > NOTE_MAX_LENGTH) violations.push({ field: 'note', reason: `must be at most ${NOTE_MAX_LENGTH} characters` });
  failIfAny(violations);
  openReviewOf(card, command.reviewId);
  return [
    {
      type: 'ReviewContactAttemptRecorded',
      data: withoutUndefined({
        reviewId: command.reviewId,
        channel: command.channel,
        outcome: command.outcome,
        note: note.length > 0 ? note : undefined,
        recordedBy: command.recordedBy,
        recordedAt: command.now,
      }),
    },
  ];
}

function decideIdentityReview(command: DecideIdentityReview, card: IssuedCardState): CardEvent[] {
  const violations: FieldViolation[] = [];
  if (!includes(REVIEW_DECISIONS, command.decision)) {
    violations.push({ field: 'decision', reason: `must be one of ${REVIEW_DECISIONS.join(', ')}` });
  }
  const note = requiredText('note', command.note, NOTE_MAX_LENGTH, violations);
  failIfAny(violations);
  const review = openReviewOf(card, command.reviewId);
  // Four eyes: whoever sent the card to review does not also decide it.
  if (review.requestedBy === command.decidedBy) {
    throw new DomainError('forbidden', 'REVIEWER_MUST_DIFFER', 'The review must be decided by someone other than who asked for it', {
      reviewId: review.reviewId,
      requestedBy: review.requestedBy,
    });
  }
  const decided: CardEvent = {
    type: 'IdentityReviewDecided',
    data: { reviewId: review.reviewId, decision: command.decision, note, decidedBy: command.decidedBy, decidedAt: command.now },
  };
  if (command.decision === 'APPROVE') {
    return [decided, { type: 'IdentityVerified', data: { method: review.method, reviewId: review.reviewId, verifiedAt: command.now } }];
  }
  return [
    decided,
    { type: 'IdentityVerificationFailed', data: { method: review.method, reasons: ['REVIEW_REJECTED'], reviewId: review.reviewId, failedAt: command.now } },
  ];
}

function linkCard(command: LinkCard): CardEvent[] {
  const violations: FieldViolation[] = [];
  const accountId = requiredText('accountId', command.accountId, ID_MAX_LENGTH, violations);
  failIfAny(violations);
  return [{ type: 'CardLinked', data: { accountId, linkedAt: command.now } }];
}

function activateCard(command: ActivateCard, card: IssuedCardState): CardEvent[] {
  if (!includes(ACTIVATION_CHANNELS, command.channel)) {
    throw new ValidationFailed([{ field: 'channel', reason: `must be one of ${ACTIVATION_CHANNELS.join(', ')}` }]);
  }
  // A payment card is only activated by someone who holds it; a loyalty card or SIM may be activated without proof.
  const proofRequired = card.product === 'DEBIT' || card.product === 'CREDIT';
  const proof = command.possession;
  if (proof === undefined && proofRequired) {
    throw new ValidationFailed([
      { field: 'cardNumber', reason: 'is required to activate DEBIT and CREDIT cards' },
      { field: 'cvv', reason: 'is required to activate DEBIT and CREDIT cards' },
    ]);
  }

  let failure: ActivationFailureReason | undefined;
  if (proof !== undefined) {
    if (!proof.cardNumberMatches) failure = 'CARD_NUMBER_MISMATCH';
    else if (proofRequired && !proof.cvvMatches) failure = 'CVV_MISMATCH';
  }
  if (failure === undefined) {
    return [{ type: 'CardActivated', data: { channel: command.channel, activatedAt: command.now } }];
  }

  const attempt = card.failedActivationAttempts + 1;
  const attemptsLeft = Math.max(0, MAX_ACTIVATION_ATTEMPTS - attempt);
  const events: CardEvent[] = [
    {
      type: 'ActivationAttemptFailed',
      data: { channel: command.channel, reason: failure, attempt, attemptsLeft, failedAt: command.now },
    },
  ];
  if (attemptsLeft === 0) events.push({ type: 'CardSuspended', data: { reason: CVV_RETRY_LIMIT, suspendedAt: command.now } });
  return events;
}

function suspendCard(command: SuspendCard): CardEvent[] {
  const violations: FieldViolation[] = [];
  const reason = requiredText('reason', command.reason, REASON_MAX_LENGTH, violations);
  failIfAny(violations);
  return [{ type: 'CardSuspended', data: { reason, suspendedAt: command.now } }];
}

function reinstateCard(command: ReinstateCard): CardEvent[] {
  const reason = trimmed(command.reason);
  if ([...reason].length > REASON_MAX_LENGTH) {
    throw new ValidationFailed([{ field: 'reason', reason: `must be at most ${REASON_MAX_LENGTH} characters` }]);
  }
  return [
    { type: 'CardReinstated', data: withoutUndefined({ reason: reason.length > 0 ? reason : undefined, reinstatedAt: command.now }) },
  ];
}

function cancelCard(command: CancelCard): CardEvent[] {
  const violations: FieldViolation[] = [];
  const reason = requiredText('reason', command.reason, REASON_MAX_LENGTH, violations);
  failIfAny(violations);
  return [{ type: 'CardCancelled', data: { reason, cancelledAt: command.now } }];
}

function openDispute(command: OpenDispute): CardEvent[] {
  const violations: FieldViolation[] = [];
  const disputeId = requiredText('disputeId', command.disputeId, ID_MAX_LENGTH, violations);
  if (!includes(DISPUTE_REASONS, command.reason)) {
    violations.push({ field: 'reason', reason: `must be one of ${DISPUTE_REASONS.join(', ')}` });
  }
  const description = requiredText('description', command.description, DESCRIPTION_MAX_LENGTH, violations);
  failIfAny(violations);
  return [{ type: 'CardDisputed', data: { disputeId, reason: command.reason, description, openedAt: command.now } }];
}

function resolveDispute(command: ResolveDispute, card: IssuedCardState): CardEvent[] {
  const violations: FieldViolation[] = [];
  if (!includes(DISPUTE_OUTCOMES, command.outcome)) {
    violations.push({ field: 'outcome', reason: `must be one of ${DISPUTE_OUTCOMES.join(', ')}` });
  }
  const note = trimmed(command.note);
  if ([...note].length > NOTE_MAX_LENGTH) violations.push({ field: 'note', reason: `must be at most ${NOTE_MAX_LENGTH} characters` });
  failIfAny(violations);

  if (card.openDispute === undefined || card.openDispute.disputeId !== command.disputeId) {
    throw new DomainError('not_found', 'DISPUTE_NOT_FOUND', 'This card has no open dispute with this id', {
      disputeId: command.disputeId,
    });
  }
  const resolved: CardEvent = {
    type: 'DisputeResolved',
    data: { disputeId: command.disputeId, outcome: command.outcome, note, resolvedAt: command.now },
  };
  if (command.outcome === 'REJECTED') return [resolved];
  return [resolved, { type: 'CardCancelled', data: { reason: DISPUTE_UPHELD, cancelledAt: command.now } }];
}

function decide(command: CardCommand, state: CardState): CardEvent[] {
  const status = statusOf(state);
  if (!isAllowed(command.type, status)) throw refusal(command.type, status);
  if (command.type === 'IssueCard') return issueCard(command);
  if (!state.exists) throw refusal(command.type, 'NONE');

  switch (command.type) {
    case 'VerifyIdentity':
      return verifyIdentity(command, state);
    case 'RecordReviewContactAttempt':
      return recordReviewContactAttempt(command, state);
    case 'DecideIdentityReview':
      return decideIdentityReview(command, state);
    case 'LinkCard':
      return linkCard(command);
    case 'ActivateCard':
      return activateCard(command, state);
    case 'SuspendCard':
      return suspendCard(command);
    case 'ReinstateCard':
      return reinstateCard(command);
    case 'CancelCard':
      return cancelCard(command);
    case 'OpenDispute':
      return openDispute(command);
    case 'ResolveDispute':
      return resolveDispute(command, state);
  }
}

// ---- evolve ----

function evolve(state: CardState, event: CardEvent): CardState {
  if (event.type === 'CardIssued') {
    const { issuedAt, channel, ...card } = event.data;
    return {
      exists: true,
      ...card,
      status: 'ISSUED',
      issueChannel: channel,
      failedActivationAttempts: 0,
      identityVerificationFailures: 0,
      timestamps: { issuedAt },
    };
  }
  if (!state.exists) return state;

  switch (event.type) {
    case 'IdentityVerified':
      return {
        ...without(state, 'openReview'),
        status: 'IDENTITY_VERIFIED',
        timestamps: { ...state.timestamps, identityVerifiedAt: event.data.verifiedAt },
      };
    case 'IdentityVerificationFailed':
      // A rejected review closes it and starts the count again; any other failure counts.
      return event.data.reviewId !== undefined
        ? { ...without(state, 'openReview'), status: 'ISSUED', identityVerificationFailures: 0 }
        : { ...state, identityVerificationFailures: state.identityVerificationFailures + 1 };
    case 'IdentityVerificationLocked':
      return { ...state, status: 'VERIFICATION_LOCKED' };
    case 'IdentityReviewRequested':
      return {
        ...state,
        // A lock keeps its own status; otherwise the card now waits for the review.
        status: state.status === 'VERIFICATION_LOCKED' ? 'VERIFICATION_LOCKED' : 'IDENTITY_REVIEW',
        openReview: {
          reviewId: event.data.reviewId,
          method: event.data.method,
          reasons: [...event.data.reasons],
          requestedBy: event.data.requestedBy,
          requestedAt: event.data.requestedAt,
          contactAttempts: 0,
        },
      };
    case 'ReviewContactAttemptRecorded':
      return state.openReview === undefined ? state : { ...state, openReview: { ...state.openReview, contactAttempts: state.openReview.contactAttempts + 1 } };
    case 'CardLinked':
      return {
        ...state,
        status: 'LINKED',
        accountId: event.data.accountId,
        timestamps: { ...state.timestamps, linkedAt: event.data.linkedAt },
      };
    case 'CardActivated':
      return {
        ...state,
        status: 'ACTIVE',
        activationChannel: event.data.channel,
        timestamps: { ...state.timestamps, activatedAt: event.data.activatedAt },
      };
    case 'ActivationAttemptFailed':
      return { ...state, failedActivationAttempts: event.data.attempt };
    case 'CardSuspended':
      return {
        ...state,
        status: 'SUSPENDED',
        statusBeforeSuspension: state.status,
        suspensionReason: event.data.reason,
        timestamps: { ...state.timestamps, suspendedAt: event.data.suspendedAt },
      };
    case 'CardReinstated':
      return {
        ...without(state, 'statusBeforeSuspension', 'suspensionReason'),
        // A suspension always records where it came from; ISSUED is only the safe answer for a malformed stream.
        status: state.statusBeforeSuspension ?? 'ISSUED',
        failedActivationAttempts: 0,
      };
    case 'CardDisputed':
      return {
        ...state,
        status: 'DISPUTED',
        openDispute: {
          disputeId: event.data.disputeId,
          reason: event.data.reason,
          openedAt: event.data.openedAt,
          statusBefore: state.status,
        },
        timestamps: { ...state.timestamps, disputedAt: event.data.openedAt },
      };
    case 'DisputeResolved':
      return {
        ...without(state, 'openDispute'),
        // An upheld dispute is followed by CardCancelled, which sets the final status.
        status: event.data.outcome === 'REJECTED' ? (state.openDispute?.statusBefore ?? state.status) : state.status,
      };
    case 'CardCancelled':
      return {
        ...state,
        status: 'CANCELLED',
        cancellationReason: event.data.reason,
        timestamps: { ...state.timestamps, cancelledAt: event.data.cancelledAt },
      };
    default:
      // An event type this version does not know yet (a newer writer) changes nothing it knows about.
      return state;
  }
}

export const cardDecider: Decider<CardCommand, CardEvent, CardState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
