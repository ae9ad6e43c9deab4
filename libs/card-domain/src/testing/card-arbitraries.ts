import fc from 'fast-check';
import type { CardCommand, CardEvent, CardStatus } from '../card/card.types';
import { PRODUCTS, ISSUE_CHANNELS } from '../card/card.types';
import { cardDecider } from '../card/card.decider';
import { DomainError } from '../shared/domain-error';
import { CARD_ID, CLERK, CUSTOMER_ID, REGISTERED, REVIEWER, THRESHOLDS } from './card-fixtures';

/**
 * fast-check generators of card commands for the property tests: mostly plausible (so that random sequences reach
 * every status), with odd and wrongly typed arguments mixed in, as they could arrive from JSON.
 */

/** A value the decider must treat as text although it may be anything a JSON body carries. */
const hostileText: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', '   ', '\u0000', '\ud800', '\u202e\u202d', 'x'.repeat(201), '🃏'.repeat(201)),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(null, undefined, 0, 42, true, [], ['a'], {}),
);

/** A field of the given plausible values most of the time, anything else some of the time. */
function field<T>(...plausible: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...plausible) }, { weight: 1, arbitrary: hostileText as fc.Arbitrary<T> });
}

export const REVIEW_IDS = ['r-1', 'r-2'] as const;
export const DISPUTE_IDS = ['d-1', 'd-2'] as const;
const PEOPLE = [CLERK, REVIEWER] as const;

const issueCard = fc.record({
  product: fc.constantFrom(...PRODUCTS),
  expiry: fc.oneof(fc.constantFrom('09/28', '12/30', '05/25', '13/29', undefined), hostileText),
  channel: fc.constantFrom(...ISSUE_CHANNELS),
  branchId: fc.oneof(fc.constant(undefined), field('BJ-001')),
  msisdn: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: field('13800138000', '+8613800138000', '123') }),
  /** 0: the customer is not registered (one time in ten). */
  exists: fc.integer({ min: 0, max: 9 }),
}).map(({ exists, ...c }) => ({ type: 'IssueCard', cardId: CARD_ID, customerId: CUSTOMER_ID, pan: { bin: '411111', last4: '1111', fingerprint: 'fp', length: 16 }, ...c, customerExists: exists > 0 }));

/** What the customer presented, the method and the provider's answer: every outcome of an identity check. */
const verifyIdentity = fc.record({
  variant: fc.oneof({ weight: 6, arbitrary: fc.constant('match') }, { weight: 3, arbitrary: fc.constant('wrong-name') }, { weight: 9, arbitrary: fc.constantFrom( 'birth-date-differs', 'face', 'face-unavailable', 'face-no-sample', 'staff', 'staff-no-witness', 'odd-method', 'odd-fields') }),
  score: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(Number.NaN, -1, 2, Infinity)),
  // chosen by the handler, never by the client
  reviewId: fc.constantFrom(...REVIEW_IDS),
  requestedBy: fc.constantFrom(...PEOPLE),
  odd: hostileText,
}).map(({ variant, score, reviewId, requestedBy, odd }) => {
  const base = { type: 'VerifyIdentity', registered: REGISTERED, thresholds: THRESHOLDS, reviewId, requestedBy };
  const match = { name: REGISTERED.name, idNumber: REGISTERED.idNumber };
  switch (variant) {
    case 'match':
      return { ...base, method: 'ID_DOCUMENT', presented: match };
    case 'wrong-name':
      return { ...base, method: 'ID_DOCUMENT', presented: { ...match, name: '李四' } };
    case 'birth-date-differs':
      return { ...base, method: 'ID_DOCUMENT', presented: { ...match, birthDate: '1950-01-02' } };
    case 'face':
      return { ...base, method: 'FACE', presented: {}, biometric: { outcome: 'SCORED', score, providerReference: 'p-1' } };
    case 'face-unavailable':
      return { ...base, method: 'FINGERPRINT', presented: {}, biometric: { outcome: 'UNAVAILABLE', reason: 'TIMEOUT' } };
    case 'face-no-sample':
      return { ...base, method: 'FACE', presented: {} };
    case 'staff':
      return { ...base, method: 'BRANCH_STAFF', presented: match, attestedBy: 'staff-9' };
    case 'staff-no-witness':
      return { ...base, method: 'BRANCH_STAFF', presented: match, attestedBy: odd };
    case 'odd-method':
      return { ...base, method: odd, presented: match };
    default:
      return { ...base, method: 'ID_DOCUMENT', presented: { name: odd, idNumber: odd, birthDate: typeof odd === 'string' ? odd : undefined } };
  }
});

const recordReviewContactAttempt = fc.record({
  reviewId: field(...REVIEW_IDS),
  channel: field('PHONE', 'SMS', 'EMAIL', 'IN_PERSON'),
  outcome: field('REACHED', 'NO_ANSWER'),
  note: fc.oneof(fc.constant(undefined), field('Called twice')),
  recordedBy: fc.constantFrom(...PEOPLE),
}).map((c) => ({ type: 'RecordReviewContactAttempt', ...c }));

const decideIdentityReview = fc.record({
  reviewId: field(...REVIEW_IDS),
  decision: field('APPROVE', 'REJECT'),
  note: field('Original document seen'),
  decidedBy: fc.constantFrom(...PEOPLE),
}).map((c) => ({ type: 'DecideIdentityReview', ...c }));

const linkCard = fc.record({ accountId: field('ACC-1001', 'acc-6222020000001234') }).map((c) => ({ type: 'LinkCard', ...c }));

const activateCard = fc.record({
  channel: field('WEB', 'APP', 'IVR', 'HOTLINE', 'BRANCH'),
  possession: fc.oneof(
    { weight: 3, arbitrary: fc.constant({ cardNumberMatches: true, cvvMatches: true }) },
    { weight: 2, arbitrary: fc.record({ cardNumberMatches: fc.boolean(), cvvMatches: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
}).map((c) => ({ type: 'ActivateCard', ...c }));

const suspendCard = fc.record({ reason: field('LOST', 'Reported stolen') }).map((c) => ({ type: 'SuspendCard', ...c }));
const reinstateCard = fc.record({ reason: fc.oneof(fc.constant(undefined), field('Found')) }).map((c) => ({ type: 'ReinstateCard', ...c }));
const cancelCard = fc.record({ reason: field('Customer request') }).map((c) => ({ type: 'CancelCard', ...c }));

const openDispute = fc.record({
  disputeId: field(...DISPUTE_IDS),
  reason: field('UNRECOGNIZED_ACTIVATION', 'FRAUD', 'OTHER'),
  description: field('Customer does not recognise the activation'),
}).map((c) => ({ type: 'OpenDispute', ...c }));

const resolveDispute = fc.record({
  disputeId: field(...DISPUTE_IDS),
  outcome: field('UPHELD', 'REJECTED', 'REJECTED'),
  note: fc.oneof(fc.constant(undefined), field('Checked the device')),
}).map((c) => ({ type: 'ResolveDispute', ...c }));

const plausibleIssue = fc.record({ product: fc.constantFrom(...PRODUCTS), channel: fc.constantFrom(...ISSUE_CHANNELS) }).map(
  (c) => ({ type: 'IssueCard', cardId: CARD_ID, customerId: CUSTOMER_ID, customerExists: true, pan: { bin: '411111', last4: '1111', fingerprint: 'fp', length: 16 }, expiry: '09/28', ...c }),
) as unknown as fc.Arbitrary<Omit<CardCommand, 'now'>>;

/** One command of any type, without its `now` (the sequence gives each its time). */
export const cardCommandWithoutTime: fc.Arbitrary<Omit<CardCommand, 'now'>> = fc.oneof(
  { weight: 2, arbitrary: issueCard },
  { weight: 4, arbitrary: verifyIdentity },
  { weight: 2, arbitrary: recordReviewContactAttempt },
  { weight: 3, arbitrary: decideIdentityReview },
  { weight: 3, arbitrary: linkCard },
  { weight: 5, arbitrary: activateCard },
  { weight: 1, arbitrary: suspendCard },
  { weight: 2, arbitrary: reinstateCard },
  { weight: 1, arbitrary: cancelCard },
  { weight: 3, arbitrary: openDispute },
  { weight: 3, arbitrary: resolveDispute },
) as unknown as fc.Arbitrary<Omit<CardCommand, 'now'>>;

const START = Date.parse('2025-06-01T08:00:00.000Z');

/** A sequence of commands, each a few minutes after the one before (or at the same instant). */
export function cardCommandSequence(maxLength = 40): fc.Arbitrary<CardCommand[]> {
  // A command is sometimes sent again at once (a retry, a customer who keeps trying): three failed checks in a row lock.
  const times = fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) });
  const step = fc.tuple(cardCommandWithoutTime, fc.integer({ min: 0, max: 600 }), times);
  // Most sequences start with a card that exists, so that the commands after it meet every status.
  const first = fc.oneof({ weight: 4, arbitrary: fc.tuple(plausibleIssue, fc.constant(0), fc.constant(1)) }, { weight: 1, arbitrary: step });
  return fc.tuple(first, fc.array(step, { maxLength: maxLength - 1, size: 'medium' })).map(([head, tail]) => {
    let at = START;
    return [head, ...tail].flatMap(([command, minutes, repeat]) => {
      at += minutes * 60_000;
      return Array.from({ length: repeat }, () => ({ ...command, now: new Date(at).toISOString() }) as CardCommand);
    });
  });
}

/** What running a sequence through the decider gave: the history, and per command its events or its refusal. */
export interface DecidedStep {
  readonly command: CardCommand;
  readonly statusBefore: CardStatus | 'NONE';
  readonly outcome: { readonly events: readonly CardEvent[] } | { readonly error: unknown };
}

/** Runs commands one after another as the AggregateRunner does: decide on the folded state, append what it returns. */
export function runCardCommands(commands: readonly CardCommand[]): { history: CardEvent[]; steps: DecidedStep[] } {
  const history: CardEvent[] = [];
  const steps: DecidedStep[] = [];
  let state = cardDecider.initialState;
  for (const command of commands) {
    const statusBefore = state.exists ? state.status : 'NONE';
    try {
      const events = cardDecider.decide(command, state);
      history.push(...events);
      state = events.reduce(cardDecider.evolve, state);
      steps.push({ command, statusBefore, outcome: { events } });
    } catch (error) {
      steps.push({ command, statusBefore, outcome: { error } });
      if (!(error instanceof DomainError)) break;
    }
  }
  return { history, steps };
}
