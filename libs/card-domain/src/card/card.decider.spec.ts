import { ValidationFailed } from '../shared/domain-error';
import { fold } from '../shared/decider';
import {
  ACCOUNT_ID,
  ACTIVATED_AT,
  CANCELLED_AT,
  CARD_HISTORIES,
  CARD_ID,
  CUSTOMER_ID,
  DISPUTED_AT,
  DISPUTE_ID,
  ISSUED_AT,
  LINKED_AT,
  NOW,
  SUSPENDED_AT,
  VERIFIED_AT,
  activateCard,
  activationAttemptFailed,
  cancelCard,
  cardActivated,
  cardIssued,
  cardLinked,
  cardReinstated,
  cardSuspended,
  identityVerified,
  issueCard,
  linkCard,
  openDispute,
  reinstateCard,
  resolveDispute,
  suspendCard,
  verifyIdentity,
} from '../testing/card-fixtures';
import { DeciderSpecification } from '../testing/decider-spec';
import { cardDecider } from './card.decider';
import type { CardCommand, CardEvent, Product } from './card.types';

const spec = DeciderSpecification.for(cardDecider);
const [issued] = CARD_HISTORIES.ISSUED.map((h) => h.events);
const [verified] = CARD_HISTORIES.IDENTITY_VERIFIED.map((h) => h.events);
const [linked] = CARD_HISTORIES.LINKED.map((h) => h.events);
const [active] = CARD_HISTORIES.ACTIVE.map((h) => h.events);
const linkedAs = (product: Product): CardEvent[] => [cardIssued(product), identityVerified(), cardLinked()];

function violations(history: readonly CardEvent[], command: CardCommand) {
  const error = spec.given(history).when(command).thenThrows('VALIDATION_FAILED');
  expect(error).toBeInstanceOf(ValidationFailed);
  return (error as ValidationFailed).violations;
}

describe('cardDecider', () => {
  describe('IssueCard', () => {
    it('issues a card with what may be kept of its number', () => {
      spec
        .given([])
        .when(issueCard({ branchId: 'BJ-001' }))
        .then([
          {
            type: 'CardIssued',
            data: {
              cardId: CARD_ID,
              customerId: CUSTOMER_ID,
              product: 'DEBIT',
              panBin: '411111',
              panLast4: '1111',
              panFingerprint: 'fp-4111',
              panLength: 16,
              expiry: '09/28',
              channel: 'BRANCH',
              branchId: 'BJ-001',
              issuedAt: NOW,
            },
          },
        ]);
    });

    it('leaves out an absent expiry and branch (LOYALTY)', () => {
      spec
        .given([])
        .when(issueCard({ product: 'LOYALTY', expiry: undefined, channel: 'APP', branchId: ' ' }))
        .then([
          {
            type: 'CardIssued',
            data: {
              cardId: CARD_ID,
              customerId: CUSTOMER_ID,
              product: 'LOYALTY',
              panBin: '411111',
              panLast4: '1111',
              panFingerprint: 'fp-4111',
              panLength: 16,
              channel: 'APP',
              issuedAt: NOW,
            },
          },
        ]);
    });

    it('refuses a customer that is not registered', () => {
      const error = spec.given([]).when(issueCard({ customerExists: false })).thenThrows('CUSTOMER_NOT_FOUND');
      expect(error).toMatchObject({ kind: 'not_found', details: { customerId: CUSTOMER_ID } });
    });

    it.each(['DEBIT', 'CREDIT'] as const)('requires an expiry for %s', (product) => {
      expect(violations([], issueCard({ product, expiry: undefined }))).toEqual([
        { field: 'expiry', reason: 'is required for DEBIT and CREDIT cards' },
      ]);
    });

    it('refuses an expiry in the past and accepts the current month', () => {
      expect(violations([], issueCard({ expiry: '05/25', now: '2025-06-15T00:00:00.000Z' }))).toEqual([
        { field: 'expiry', reason: 'is in the past (a card is valid through the end of its expiry month)' },
      ]);
      expect(cardDecider.decide(issueCard({ expiry: '06/25', now: '2025-06-30T23:00:00.000Z' }), cardDecider.initialState)).toHaveLength(1);
    });

    it('refuses a malformed expiry, also for a SIM', () => {
      expect(violations([], issueCard({ product: 'SIM', expiry: '2028-09' }))).toEqual([
        { field: 'expiry', reason: 'must be MM/YY, e.g. 09/28' },
      ]);
    });
  });

  describe('VerifyIdentity', () => {
    it('verifies matching documents', () => {
      spec
        .given(issued)
        .when(verifyIdentity({ name: '张 三', idNumber: '11010519491231002x' }))
        .then([{ type: 'IdentityVerified', data: { method: 'ID_DOCUMENT', verifiedAt: NOW } }]);
    });

    it('records a match score given with an ID document but does not judge it', () => {
      spec
        .given(issued)
        .when(verifyIdentity({ matchScore: 0.1 }))
        .then([{ type: 'IdentityVerified', data: { method: 'ID_DOCUMENT', matchScore: 0.1, verifiedAt: NOW } }]);
    });

    it('verifies a face at the threshold', () => {
      spec
        .given(issued)
        .when(verifyIdentity({ method: 'FACE', matchScore: 0.8 }))
        .then([{ type: 'IdentityVerified', data: { method: 'FACE', matchScore: 0.8, verifiedAt: NOW } }]);
    });

    it('records every reason of a failure, and the card stays ISSUED', () => {
      const command = verifyIdentity({ method: 'FINGERPRINT', name: '李四', idNumber: '110105194912310021', matchScore: 0.79 });
      spec
        .given(issued)
        .when(command)
        .then([
          {
            type: 'IdentityVerificationFailed',
            data: {
              method: 'FINGERPRINT',
              reasons: ['NAME_MISMATCH', 'ID_NUMBER_MISMATCH', 'LOW_MATCH_SCORE'],
              matchScore: 0.79,
              failedAt: NOW,
            },
          },
        ]);
      expect(spec.given(issued).when(command).thenState()).toMatchObject({ status: 'ISSUED', identityVerificationFailures: 1 });
    });

    it('allows another try after a failure', () => {
      spec
        .given([...issued, { type: 'IdentityVerificationFailed', data: { method: 'ID_DOCUMENT', reasons: ['NAME_MISMATCH'], failedAt: VERIFIED_AT } }])
        .when(verifyIdentity())
        .then([{ type: 'IdentityVerified', data: { method: 'ID_DOCUMENT', verifiedAt: NOW } }]);
    });

    it.each(['FACE', 'FINGERPRINT'] as const)('requires a match score for %s', (method) => {
      expect(violations(issued, verifyIdentity({ method }))).toEqual([
        { field: 'matchScore', reason: 'is required for FACE and FINGERPRINT verification' },
      ]);
    });

    it.each([-0.01, 1.01, Number.NaN])('refuses the match score %p', (matchScore) => {
      expect(violations(issued, verifyIdentity({ method: 'FACE', matchScore }))).toEqual([
        { field: 'matchScore', reason: 'must be a number from 0 to 1' },
      ]);
    });
  });

  describe('LinkCard', () => {
    it('links the card to an account', () => {
      spec.given(verified).when(linkCard()).then([{ type: 'CardLinked', data: { accountId: ACCOUNT_ID, linkedAt: NOW } }]);
    });

    it('requires an account', () => {
      expect(violations(verified, linkCard({ accountId: ' ' }))).toEqual([{ field: 'accountId', reason: 'is required' }]);
    });
  });

  describe('ActivateCard', () => {
    it('activates a payment card whose holder proves possession', () => {
      spec.given(linked).when(activateCard({ channel: 'APP' })).then([{ type: 'CardActivated', data: { channel: 'APP', activatedAt: NOW } }]);
    });

    it.each(['DEBIT', 'CREDIT'] as const)('requires card number and CVV for %s', (product) => {
      expect(violations(linkedAs(product), activateCard({ possession: undefined }))).toEqual([
        { field: 'cardNumber', reason: 'is required to activate DEBIT and CREDIT cards' },
        { field: 'cvv', reason: 'is required to activate DEBIT and CREDIT cards' },
      ]);
    });

    it.each(['LOYALTY', 'SIM'] as const)('activates %s without a proof, and ignores the CVV', (product) => {
      spec.given(linkedAs(product)).when(activateCard({ possession: undefined, channel: 'WEB' })).then([
        { type: 'CardActivated', data: { channel: 'WEB', activatedAt: NOW } },
      ]);
      spec.given(linkedAs(product)).when(activateCard({ possession: { cardNumberMatches: true, cvvMatches: false } })).then([
        { type: 'CardActivated', data: { channel: 'APP', activatedAt: NOW } },
      ]);
    });

    it('refuses a LOYALTY card whose number does not match', () => {
      spec
        .given(linkedAs('LOYALTY'))
        .when(activateCard({ possession: { cardNumberMatches: false, cvvMatches: false } }))
        .then([
          {
            type: 'ActivationAttemptFailed',
            data: { channel: 'APP', reason: 'CARD_NUMBER_MISMATCH', attempt: 1, attemptsLeft: 2, failedAt: NOW },
          },
        ]);
    });

    it('names the card number first when both are wrong, and counts the attempts', () => {
      spec
        .given([...linked, activationAttemptFailed(1)])
        .when(activateCard({ channel: 'IVR', possession: { cardNumberMatches: false, cvvMatches: false } }))
        .then([
          {
            type: 'ActivationAttemptFailed',
            data: { channel: 'IVR', reason: 'CARD_NUMBER_MISMATCH', attempt: 2, attemptsLeft: 1, failedAt: NOW },
          },
        ]);
    });

    it('suspends the card on the third wrong CVV', () => {
      const command = activateCard({ possession: { cardNumberMatches: true, cvvMatches: false } });
      const history = [...linked, activationAttemptFailed(1), activationAttemptFailed(2)];
      spec
        .given(history)
        .when(command)
        .then([
          { type: 'ActivationAttemptFailed', data: { channel: 'APP', reason: 'CVV_MISMATCH', attempt: 3, attemptsLeft: 0, failedAt: NOW } },
          { type: 'CardSuspended', data: { reason: 'CVV_RETRY_LIMIT', suspendedAt: NOW } },
        ]);
      expect(spec.given(history).when(command).thenState()).toMatchObject({
        status: 'SUSPENDED',
        statusBeforeSuspension: 'LINKED',
        suspensionReason: 'CVV_RETRY_LIMIT',
        failedActivationAttempts: 3,
      });
    });

    it('gives three new attempts after reinstatement', () => {
      const history = [
        ...linked,
        activationAttemptFailed(1),
        activationAttemptFailed(2),
        activationAttemptFailed(3),
        cardSuspended('CVV_RETRY_LIMIT'),
        cardReinstated(),
      ];
      expect(fold(cardDecider, history)).toMatchObject({ status: 'LINKED', failedActivationAttempts: 0 });
      spec
        .given(history)
        .when(activateCard({ possession: { cardNumberMatches: true, cvvMatches: false } }))
        .then([
          { type: 'ActivationAttemptFailed', data: { channel: 'APP', reason: 'CVV_MISMATCH', attempt: 1, attemptsLeft: 2, failedAt: NOW } },
        ]);
    });
  });

  describe('SuspendCard, ReinstateCard, CancelCard', () => {
    it('suspends with a trimmed reason', () => {
      spec.given(active).when(suspendCard({ reason: '  Lost  ' })).then([{ type: 'CardSuspended', data: { reason: 'Lost', suspendedAt: NOW } }]);
    });

    it.each([
      ['', 'is required'],
      ['   ', 'is required'],
      ['x'.repeat(201), 'must be at most 200 characters'],
    ])('refuses the reason %p', (reason, why) => {
      expect(violations(active, suspendCard({ reason }))).toEqual([{ field: 'reason', reason: why }]);
      expect(violations(active, cancelCard({ reason }))).toEqual([{ field: 'reason', reason: why }]);
    });

    it('reinstates to the status before suspension, with or without a reason', () => {
      for (const history of CARD_HISTORIES.SUSPENDED) {
        const before = history.path[history.path.length - 2];
        expect(spec.given(history.events).when(reinstateCard()).thenState()).toMatchObject({ status: before, failedActivationAttempts: 0 });
      }
      spec.given([...active, cardSuspended()]).when(reinstateCard({ reason: undefined })).then([{ type: 'CardReinstated', data: { reinstatedAt: NOW } }]);
      spec.given([...active, cardSuspended()]).when(reinstateCard({ reason: ' ok ' })).then([
        { type: 'CardReinstated', data: { reason: 'ok', reinstatedAt: NOW } },
      ]);
    });

    it('clears the suspension from the state on reinstatement', () => {
      const state = fold(cardDecider, [...active, cardSuspended(), cardReinstated()]);
      expect(state).not.toHaveProperty('statusBeforeSuspension');
      expect(state).not.toHaveProperty('suspensionReason');
    });

    it('cancels for good', () => {
      spec.given(active).when(cancelCard({ reason: 'Closed' })).then([{ type: 'CardCancelled', data: { reason: 'Closed', cancelledAt: NOW } }]);
    });
  });

  describe('OpenDispute and ResolveDispute', () => {
    it('opens a dispute', () => {
      spec
        .given(active)
        .when(openDispute({ reason: 'FRAUD', description: ' Someone else activated it ' }))
        .then([{ type: 'CardDisputed', data: { disputeId: DISPUTE_ID, reason: 'FRAUD', description: 'Someone else activated it', openedAt: NOW } }]);
    });

    it.each([
      ['', 'is required'],
      ['x'.repeat(2001), 'must be at most 2000 characters'],
    ])('refuses the description %p', (description, reason) => {
      expect(violations(active, openDispute({ description }))).toEqual([{ field: 'description', reason }]);
    });

    it('accepts a description of 2000 characters', () => {
      expect(cardDecider.decide(openDispute({ description: 'x'.repeat(2000) }), fold(cardDecider, active))).toHaveLength(1);
    });

    it('rejecting a dispute returns the card to where it was', () => {
      for (const history of CARD_HISTORIES.DISPUTED) {
        const before = history.path[history.path.length - 2];
        spec
          .given(history.events)
          .when(resolveDispute({ outcome: 'REJECTED', note: 'Customer activated it' }))
          .then([{ type: 'DisputeResolved', data: { disputeId: DISPUTE_ID, outcome: 'REJECTED', note: 'Customer activated it', resolvedAt: NOW } }]);
        const state = spec.given(history.events).when(resolveDispute({ outcome: 'REJECTED' })).thenState();
        expect(state).toMatchObject({ status: before });
        expect(state).not.toHaveProperty('openDispute');
      }
    });

    it('a rejected dispute on a suspended card can still be reinstated to ACTIVE', () => {
      const [, fromSuspended] = CARD_HISTORIES.DISPUTED;
      const history = [...fromSuspended.events, ...cardDecider.decide(resolveDispute(), fold(cardDecider, fromSuspended.events))];
      expect(spec.given(history).when(reinstateCard()).thenState()).toMatchObject({ status: 'ACTIVE' });
    });

    it('upholding a dispute cancels the card', () => {
      const [fromActive] = CARD_HISTORIES.DISPUTED;
      spec
        .given(fromActive.events)
        .when(resolveDispute({ outcome: 'UPHELD', note: 'Fraud confirmed' }))
        .then([
          { type: 'DisputeResolved', data: { disputeId: DISPUTE_ID, outcome: 'UPHELD', note: 'Fraud confirmed', resolvedAt: NOW } },
          { type: 'CardCancelled', data: { reason: 'DISPUTE_UPHELD', cancelledAt: NOW } },
        ]);
      expect(spec.given(fromActive.events).when(resolveDispute({ outcome: 'UPHELD' })).thenState()).toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'DISPUTE_UPHELD',
      });
    });

    it('refuses to resolve a dispute that is not the open one', () => {
      const [fromActive] = CARD_HISTORIES.DISPUTED;
      const error = spec.given(fromActive.events).when(resolveDispute({ disputeId: 'd-other' })).thenThrows('DISPUTE_NOT_FOUND');
      expect(error).toMatchObject({ kind: 'not_found', details: { disputeId: 'd-other' } });
    });
  });

  describe('TRANSITION_NOT_ALLOWED', () => {
    it('names the command, the status and what is allowed', () => {
      const error = spec.given([...active, cardSuspended()]).when(activateCard()).thenThrows('TRANSITION_NOT_ALLOWED');
      expect(error.message).toBe('ActivateCard is not allowed while the card is SUSPENDED; allowed now: ReinstateCard, CancelCard, OpenDispute');
      expect(error.details).toEqual({
        command: 'ActivateCard',
        currentStatus: 'SUSPENDED',
        allowedCommands: ['ReinstateCard', 'CancelCard', 'OpenDispute'],
      });
    });

    it('says nothing is allowed on a cancelled card', () => {
      const [cancelled] = CARD_HISTORIES.CANCELLED;
      const error = spec.given(cancelled.events).when(reinstateCard()).thenThrows('TRANSITION_NOT_ALLOWED');
      expect(error.message).toBe('ReinstateCard is not allowed while the card is CANCELLED; no command is allowed on a CANCELLED card');
    });

    it('checks the lifecycle before the command: an invalid command on a cancelled card is still a conflict', () => {
      const [cancelled] = CARD_HISTORIES.CANCELLED;
      spec.given(cancelled.events).when(suspendCard({ reason: '' })).thenThrows('TRANSITION_NOT_ALLOWED');
    });
  });

  describe('evolve', () => {
    it('builds the whole state of a card', () => {
      const state = fold(cardDecider, [...active, cardSuspended('Lost')]);
      expect(state).toEqual({
        exists: true,
        cardId: CARD_ID,
        customerId: CUSTOMER_ID,
        status: 'SUSPENDED',
        product: 'DEBIT',
        panBin: '411111',
        panLast4: '1111',
        panFingerprint: 'fp-4111',
        panLength: 16,
        expiry: '09/28',
        issueChannel: 'BRANCH',
        accountId: ACCOUNT_ID,
        activationChannel: 'APP',
        failedActivationAttempts: 0,
        identityVerificationFailures: 0,
        statusBeforeSuspension: 'ACTIVE',
        suspensionReason: 'Lost',
        timestamps: {
          issuedAt: ISSUED_AT,
          identityVerifiedAt: VERIFIED_AT,
          linkedAt: LINKED_AT,
          activatedAt: ACTIVATED_AT,
          suspendedAt: SUSPENDED_AT,
        },
      });
    });

    it('records the open dispute and the status it came from', () => {
      const [fromActive] = CARD_HISTORIES.DISPUTED;
      expect(fold(cardDecider, fromActive.events)).toMatchObject({
        status: 'DISPUTED',
        openDispute: { disputeId: DISPUTE_ID, reason: 'UNRECOGNIZED_ACTIVATION', openedAt: DISPUTED_AT, statusBefore: 'ACTIVE' },
        timestamps: { disputedAt: DISPUTED_AT },
      });
    });

    it('records the cancellation', () => {
      const [cancelled] = CARD_HISTORIES.CANCELLED;
      expect(fold(cardDecider, cancelled.events)).toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'Closed',
        timestamps: { cancelledAt: CANCELLED_AT },
      });
    });

    it('ignores event types it does not know yet', () => {
      const state = fold(cardDecider, active);
      expect(cardDecider.evolve(state, { type: 'CardRenamed', data: {} } as never)).toBe(state);
      expect(cardDecider.evolve(cardDecider.initialState, cardActivated())).toBe(cardDecider.initialState);
    });
  });
});
