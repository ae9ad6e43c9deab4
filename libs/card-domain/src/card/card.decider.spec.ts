import { ValidationFailed } from '../shared/domain-error';
import { fold } from '../shared/decider';
import {
  ACCOUNT_ID,
  ACTIVATED_AT,
  CANCELLED_AT,
  CARD_HISTORIES,
  CARD_ID,
  CLERK,
  REVIEWER,
  REVIEW_ID,
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
  decideIdentityReview,
  identityReviewRequested,
  identityVerificationFailed,
  identityVerified,
  issueCard,
  linkCard,
  openDispute,
  recordReviewContactAttempt,
  reinstateCard,
  resolveDispute,
  suspendCard,
  verifyIdentity,
} from '../testing/card-fixtures';
import { DeciderSpecification } from '../testing/decider-spec';
import { cardDecider } from './card.decider';
import { MAX_IDENTITY_VERIFICATION_FAILURES, type CardCommand, type CardEvent, type Product, type VerificationFailureReason, type VerifyIdentity } from './card.types';

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
    const doc = (presented: VerifyIdentity['presented'], overrides: Partial<VerifyIdentity> = {}) => verifyIdentity({ presented, ...overrides });
    const face = (score: number) => verifyIdentity({ method: 'FACE', presented: {}, biometric: { outcome: 'SCORED', score, providerReference: 'prov-1' } });
    const failedWith = (reasons: VerificationFailureReason[]): CardEvent[] => [{ type: 'IdentityVerificationFailed', data: { method: 'ID_DOCUMENT', reasons, failedAt: NOW } }];

    it('verifies matching documents, however the name and the final X are written', () => {
      spec
        .given(issued)
        .when(doc({ name: '张 三', idNumber: '11010519491231002x' }))
        .then([{ type: 'IdentityVerified', data: { method: 'ID_DOCUMENT', verifiedAt: NOW } }]);
    });

    it.each([
      ['another name', { name: '李四', idNumber: '11010519491231002X' }, ['NAME_MISMATCH']],
      ['another person\'s valid id', { name: '张三', idNumber: '110105194912310038' }, ['ID_NUMBER_MISMATCH']],
      ['a wrong check character', { name: '张三', idNumber: '110105194912310020' }, ['ID_NUMBER_MISMATCH', 'ID_CHECK_CHARACTER_INVALID']],
      ['an impossible birth date', { name: '张三', idNumber: '110105194913310029' }, ['ID_NUMBER_MISMATCH', 'ID_BIRTH_DATE_INVALID']],
      ['a region that is no province', { name: '张三', idNumber: '99010519491231002X' }, ['ID_NUMBER_MISMATCH', 'ID_REGION_INVALID']],
      ['a malformed number', { name: '张三', idNumber: '12345' }, ['ID_NUMBER_MISMATCH', 'ID_FORMAT_INVALID']],
    ] as const)('fails a resident id with %s, giving a reason code per failed check', (_label, presented, reasons) => {
      const events = cardDecider.decide(doc(presented), fold(cardDecider, issued));
      expect(events).toEqual([{ type: 'IdentityVerificationFailed', data: { method: 'ID_DOCUMENT', reasons: expect.arrayContaining([...reasons]), failedAt: NOW } }]);
      expect((events[0].data as { reasons: string[] }).reasons).toHaveLength(reasons.length);
    });

    it('sends the card to review when name and id match but the printed birth date differs', () => {
      const state = spec
        .given(issued)
        .when(doc({ name: '张三', idNumber: '11010519491231002X', birthDate: '1949-12-30' }))
        .then([
          {
            type: 'IdentityReviewRequested',
            data: { reviewId: REVIEW_ID, method: 'ID_DOCUMENT', reasons: ['BIRTH_DATE_MISMATCH'], differences: ['BIRTH_DATE_MISMATCH'], requestedBy: CLERK, requestedAt: NOW },
          },
        ]);
      expect(fold(cardDecider, [...issued, ...state])).toMatchObject({ status: 'IDENTITY_REVIEW', openReview: { reviewId: REVIEW_ID, requestedBy: CLERK, contactAttempts: 0 } });
    });

    it('fails outright when the birth date differs and something else does too', () => {
      spec.given(issued).when(doc({ name: '李四', idNumber: '11010519491231002X', birthDate: '1949-12-30' })).then(failedWith(['NAME_MISMATCH', 'BIRTH_DATE_MISMATCH']));
    });

    describe('passports with a machine-readable zone', () => {
      const passportHolder = { name: 'Anna Maria Eriksson', idType: 'PASSPORT', idNumber: 'L898902C3', birthDate: '1974-08-12' };
      const MRZ = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10';
      const passport = (presented: VerifyIdentity['presented']) => verifyIdentity({ registered: passportHolder, presented, now: '2011-01-01T00:00:00.000Z' });

      it('verifies when the check digits hold and the zone agrees with what was presented and registered', () => {
        spec
          .given(issued)
          .when(passport({ name: 'Anna Maria Eriksson', idNumber: 'l898902c3', mrz: MRZ }))
          .then([{ type: 'IdentityVerified', data: { method: 'ID_DOCUMENT', verifiedAt: '2011-01-01T00:00:00.000Z' } }]);
      });

      it('fails on a broken check digit, and on a zone that names someone else', () => {
        const broken = MRZ.replace('L898902C36', 'L898902C37');
        expect(cardDecider.decide(passport({ name: 'Anna Maria Eriksson', idNumber: 'L898902C3', mrz: broken }), fold(cardDecider, issued))[0]).toMatchObject({
          type: 'IdentityVerificationFailed',
          data: { reasons: ['MRZ_CHECK_DIGIT_INVALID'] },
        });
        expect(cardDecider.decide(passport({ name: 'Anna Maria Eriksson', idNumber: 'X12345678', mrz: MRZ }), fold(cardDecider, issued))[0]).toMatchObject({
          type: 'IdentityVerificationFailed',
          data: { reasons: ['ID_NUMBER_MISMATCH', 'MRZ_MISMATCH'] },
        });
      });

      it('sends to review when name and number agree but the zone\'s birth date is not the registered one', () => {
        const registeredOtherDay = verifyIdentity({
          registered: { ...passportHolder, birthDate: '1974-08-13' },
          presented: { name: 'Anna Maria Eriksson', idNumber: 'L898902C3', mrz: MRZ },
          now: '2011-01-01T00:00:00.000Z',
        });
        expect(cardDecider.decide(registeredOtherDay, fold(cardDecider, issued))[0]).toMatchObject({ type: 'IdentityReviewRequested', data: { reasons: ['BIRTH_DATE_MISMATCH'] } });
      });

      it('fails a zone that is not two lines of 44 characters', () => {
        expect(cardDecider.decide(passport({ name: 'Anna Maria Eriksson', idNumber: 'L898902C3', mrz: 'P<UTOERIKSSON' }), fold(cardDecider, issued))[0]).toMatchObject({
          type: 'IdentityVerificationFailed',
          data: { reasons: ['MRZ_FORMAT_INVALID'] },
        });
      });

      it('refuses a zone for a customer who registered a resident id', () => {
        expect(violations(issued, doc({ name: '张三', idNumber: '11010519491231002X', mrz: MRZ }))).toEqual([
          { field: 'mrz', reason: 'is read from passports only: this customer registered another id type' },
        ]);
      });
    });

    describe('FACE and FINGERPRINT through the provider', () => {
      it('verifies at the pass threshold, reviews between the thresholds, fails below the review threshold', () => {
        spec.given(issued).when(face(0.8)).then([{ type: 'IdentityVerified', data: { method: 'FACE', matchScore: 0.8, providerReference: 'prov-1', verifiedAt: NOW } }]);
        expect(cardDecider.decide(face(0.7), fold(cardDecider, issued))).toEqual([
          {
            type: 'IdentityReviewRequested',
            data: { reviewId: REVIEW_ID, method: 'FACE', reasons: ['SCORE_IN_REVIEW_BAND'], differences: ['SCORE_IN_REVIEW_BAND'], matchScore: 0.7, requestedBy: CLERK, requestedAt: NOW },
          },
        ]);
        spec
          .given(issued)
          .when(face(0.59))
          .then([{ type: 'IdentityVerificationFailed', data: { method: 'FACE', reasons: ['LOW_MATCH_SCORE'], matchScore: 0.59, providerReference: 'prov-1', failedAt: NOW } }]);
      });

      it('records a provider that could not answer without holding it against the customer', () => {
        const events = spec
          .given(issued)
          .when(verifyIdentity({ method: 'FINGERPRINT', presented: {}, biometric: { outcome: 'UNAVAILABLE', reason: 'TIMEOUT' } }))
          .then([{ type: 'IdentityVerificationUnavailable', data: { method: 'FINGERPRINT', reason: 'TIMEOUT', at: NOW } }]);
        expect(fold(cardDecider, [...issued, ...events])).toMatchObject({ status: 'ISSUED', identityVerificationFailures: 0 });
      });

      it('requires the sample (the provider\'s answer) and a score within 0..1', () => {
        expect(violations(issued, verifyIdentity({ method: 'FACE', presented: {} }))).toEqual([{ field: 'sample', reason: 'is required for FACE verification' }]);
        expect(violations(issued, face(1.5))).toEqual([{ field: 'matchScore', reason: 'must be a number from 0 to 1' }]);
      });
    });

    it('BRANCH_STAFF: verified on the staff member\'s word, recorded with their id; the document must still match', () => {
      spec
        .given(issued)
        .when(doc({ name: '张三', idNumber: '11010519491231002X' }, { method: 'BRANCH_STAFF', attestedBy: 'staff-0042' }))
        .then([{ type: 'IdentityVerified', data: { method: 'BRANCH_STAFF', attestedBy: 'staff-0042', verifiedAt: NOW } }]);
      expect(violations(issued, doc({ name: '张三', idNumber: '11010519491231002X' }, { method: 'BRANCH_STAFF' }))).toEqual([
        { field: 'staffId', reason: 'is required: the member of staff who saw the original document' },
      ]);
    });

    it('names every missing field of a document check at once', () => {
      expect(violations(issued, doc({}))).toEqual([
        { field: 'name', reason: 'is required for ID_DOCUMENT verification' },
        { field: 'idNumber', reason: 'is required for ID_DOCUMENT verification' },
      ]);
    });

    it(`locks the card on the ${MAX_IDENTITY_VERIFICATION_FAILURES}rd failure and opens a review with what failed`, () => {
      const twoFailures = [...issued, ...Array.from({ length: MAX_IDENTITY_VERIFICATION_FAILURES - 1 }, () => identityVerificationFailed())];
      const events = spec
        .given(twoFailures)
        .when(doc({ name: '王五', idNumber: '11010519491231002X' }))
        .then([
          { type: 'IdentityVerificationFailed', data: { method: 'ID_DOCUMENT', reasons: ['NAME_MISMATCH'], failedAt: NOW } },
          { type: 'IdentityVerificationLocked', data: { failures: MAX_IDENTITY_VERIFICATION_FAILURES, lockedAt: NOW } },
          {
            type: 'IdentityReviewRequested',
            data: { reviewId: REVIEW_ID, method: 'ID_DOCUMENT', reasons: ['VERIFICATION_LOCKED'], differences: ['NAME_MISMATCH'], requestedBy: CLERK, requestedAt: NOW },
          },
        ]);
      const locked = [...twoFailures, ...events];
      expect(fold(cardDecider, locked)).toMatchObject({ status: 'VERIFICATION_LOCKED', openReview: { reviewId: REVIEW_ID } });
      spec.given(locked).when(verifyIdentity()).thenThrows('TRANSITION_NOT_ALLOWED');
    });
  });

  describe('reviews', () => {
    const inReview = [...issued, identityReviewRequested()];

    it('records contact attempts with the customer on the open review', () => {
      const events = spec
        .given(inReview)
        .when(recordReviewContactAttempt({ channel: 'PHONE', outcome: 'NO_ANSWER', note: ' called twice ' }))
        .then([{ type: 'ReviewContactAttemptRecorded', data: { reviewId: REVIEW_ID, channel: 'PHONE', outcome: 'NO_ANSWER', note: 'called twice', recordedBy: REVIEWER, recordedAt: NOW } }]);
      expect(fold(cardDecider, [...inReview, ...events])).toMatchObject({ status: 'IDENTITY_REVIEW', openReview: { contactAttempts: 1 } });
    });

    it('approval verifies the identity (naming the review); rejection sends the card back to ISSUED with a fresh count', () => {
      const approved = spec
        .given(inReview)
        .when(decideIdentityReview({ decision: 'APPROVE', note: 'Birth date typo in our records' }))
        .then([
          { type: 'IdentityReviewDecided', data: { reviewId: REVIEW_ID, decision: 'APPROVE', note: 'Birth date typo in our records', decidedBy: REVIEWER, decidedAt: NOW } },
          { type: 'IdentityVerified', data: { method: 'ID_DOCUMENT', reviewId: REVIEW_ID, verifiedAt: NOW } },
        ]);
      expect(fold(cardDecider, [...inReview, ...approved])).toMatchObject({ status: 'IDENTITY_VERIFIED' });
      expect(fold(cardDecider, [...inReview, ...approved])).not.toHaveProperty('openReview');

      const locked = CARD_HISTORIES.VERIFICATION_LOCKED[0].events;
      const rejected = cardDecider.decide(decideIdentityReview({ decision: 'REJECT', note: 'Could not reach the customer' }), fold(cardDecider, locked));
      expect(rejected.map((e) => e.type)).toEqual(['IdentityReviewDecided', 'IdentityVerificationFailed']);
      expect(rejected[1].data).toMatchObject({ reasons: ['REVIEW_REJECTED'], reviewId: REVIEW_ID });
      expect(fold(cardDecider, [...locked, ...rejected])).toMatchObject({ status: 'ISSUED', identityVerificationFailures: 0 });
    });

    it('is decided by someone other than who asked for it (403), needs a note, and names the open review', () => {
      const error = spec.given(inReview).when(decideIdentityReview({ decidedBy: CLERK })).thenThrows('REVIEWER_MUST_DIFFER');
      expect(error.kind).toBe('forbidden');
      expect(violations(inReview, decideIdentityReview({ note: ' ' }))).toEqual([{ field: 'note', reason: 'is required' }]);
      expect(violations(inReview, decideIdentityReview({ decision: 'MAYBE' as never }))).toEqual([{ field: 'decision', reason: 'must be one of APPROVE, REJECT' }]);
      spec.given(inReview).when(decideIdentityReview({ reviewId: 'r-other' })).thenThrows('REVIEW_NOT_FOUND');
      spec.given(inReview).when(recordReviewContactAttempt({ reviewId: 'r-other' })).thenThrows('REVIEW_NOT_FOUND');
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
