import {
  CARD_STATUSES,
  CVV_RETRY_LIMIT,
  DISPUTE_UPHELD,
  MAX_ACTIVATION_ATTEMPTS,
  MAX_IDENTITY_VERIFICATION_FAILURES,
  type CardCommandType,
  type CardEventType,
  type CardStatus,
} from './card.types';

/** The status of a card before it exists: only `IssueCard` starts a card. */
export type LifecycleStatus = CardStatus | 'NONE';
export const LIFECYCLE_STATUSES: readonly LifecycleStatus[] = ['NONE', ...CARD_STATUSES];

/** Every card command; a `Record` so that the compiler insists a new command is listed. */
const COMMANDS: Readonly<Record<CardCommandType, true>> = {
  IssueCard: true,
  VerifyIdentity: true,
  RecordReviewContactAttempt: true,
  DecideIdentityReview: true,
  LinkCard: true,
  ActivateCard: true,
  SuspendCard: true,
  ReinstateCard: true,
  CancelCard: true,
  OpenDispute: true,
  ResolveDispute: true,
};
export const CARD_COMMAND_TYPES = Object.keys(COMMANDS) as readonly CardCommandType[];

/**
 * Where a transition leads: a fixed status, or back to the status the card had before it entered a holding
 * status (suspension, dispute). The statuses a card can return to are read off this same table.
 */
export type LifecycleTarget =
  | { readonly kind: 'status'; readonly status: CardStatus }
  | { readonly kind: 'statusBefore'; readonly holding: 'SUSPENDED' | 'DISPUTED' };

export interface LifecycleTransition {
  readonly command: CardCommandType;
  readonly from: readonly LifecycleStatus[];
  /** For people: where the card ends up, with the outcome that takes it there, e.g. "ISSUED (on failure)". */
  readonly to: string;
  readonly target: LifecycleTarget;
  /** Which result of the command this row describes, when a command has more than one. */
  readonly outcome?: string;
  /** The event types appended, in order. */
  readonly events: readonly CardEventType[];
  readonly note: string;
}

const HOLDING_LABELS: Readonly<Record<'SUSPENDED' | 'DISPUTED', string>> = {
  SUSPENDED: 'status before suspension',
  DISPUTED: 'status before the dispute',
};

function transition(row: Omit<LifecycleTransition, 'to'>): LifecycleTransition {
  const destination = row.target.kind === 'status' ? row.target.status : HOLDING_LABELS[row.target.holding];
  return { ...row, to: row.outcome === undefined ? destination : `${destination} (${row.outcome})` };
}

function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}

const LIVE_BEFORE_ACTIVATION: readonly CardStatus[] = ['ISSUED', 'IDENTITY_REVIEW', 'VERIFICATION_LOCKED', 'IDENTITY_VERIFIED', 'LINKED'];
/** Where a review of the card's identity is open. */
const UNDER_REVIEW: readonly CardStatus[] = ['IDENTITY_REVIEW', 'VERIFICATION_LOCKED'];

/** THE rule: every transition a card may make. The decider refuses anything not listed; docs/lifecycle.md is generated from it. */
export const CARD_LIFECYCLE: readonly LifecycleTransition[] = [
  transition({
    command: 'IssueCard',
    from: ['NONE'],
    target: { kind: 'status', status: 'ISSUED' },
    events: ['CardIssued'],
    note: 'For a registered customer; DEBIT and CREDIT need an expiry that is not in the past. One card per card number.',
  }),
  transition({
    command: 'VerifyIdentity',
    from: ['ISSUED'],
    target: { kind: 'status', status: 'IDENTITY_VERIFIED' },
    events: ['IdentityVerified'],
    note: 'Every check of the method passes (docs/identity.md): the document against the registered customer, a biometric score at or above the pass threshold, or a member of staff who saw the original.',
  }),
  transition({
    command: 'VerifyIdentity',
    from: ['ISSUED'],
    target: { kind: 'status', status: 'ISSUED' },
    outcome: 'on failure',
    events: ['IdentityVerificationFailed'],
    note: 'Records a reason code per failed check; the customer may try again.',
  }),
  transition({
    command: 'VerifyIdentity',
    from: ['ISSUED'],
    target: { kind: 'status', status: 'VERIFICATION_LOCKED' },
    outcome: `on the ${ordinal(MAX_IDENTITY_VERIFICATION_FAILURES)} failure`,
    events: ['IdentityVerificationFailed', 'IdentityVerificationLocked', 'IdentityReviewRequested'],
    note: 'Locked until a person decides the review it opens.',
  }),
  transition({
    command: 'VerifyIdentity',
    from: ['ISSUED'],
    target: { kind: 'status', status: 'IDENTITY_REVIEW' },
    outcome: 'when a difference needs a person',
    events: ['IdentityReviewRequested'],
    note: 'E.g. name and id number match but the birth date differs, or a biometric score between the review and pass thresholds.',
  }),
  transition({
    command: 'VerifyIdentity',
    from: ['ISSUED'],
    target: { kind: 'status', status: 'ISSUED' },
    outcome: 'when the provider is unavailable',
    events: ['IdentityVerificationUnavailable'],
    note: 'Recorded, but not counted against the customer.',
  }),
  ...UNDER_REVIEW.map((status) =>
    transition({
      command: 'RecordReviewContactAttempt',
      from: [status],
      target: { kind: 'status', status },
      events: ['ReviewContactAttemptRecorded'],
      note: 'A call or message to the customer about the open review, and its outcome.',
    }),
  ),
  transition({
    command: 'DecideIdentityReview',
    from: UNDER_REVIEW,
    target: { kind: 'status', status: 'IDENTITY_VERIFIED' },
    outcome: 'APPROVE',
    events: ['IdentityReviewDecided', 'IdentityVerified'],
    note: 'By someone other than who asked for the review.',
  }),
  transition({
    command: 'DecideIdentityReview',
    from: UNDER_REVIEW,
    target: { kind: 'status', status: 'ISSUED' },
    outcome: 'REJECT',
    events: ['IdentityReviewDecided', 'IdentityVerificationFailed'],
    note: 'The failure count starts again: the customer may try anew.',
  }),
  transition({
    command: 'LinkCard',
    from: ['IDENTITY_VERIFIED'],
    target: { kind: 'status', status: 'LINKED' },
    events: ['CardLinked'],
    note: 'Links the card to an account.',
  }),
  transition({
    command: 'ActivateCard',
    from: ['LINKED'],
    target: { kind: 'status', status: 'ACTIVE' },
    events: ['CardActivated'],
    note: 'DEBIT and CREDIT prove possession with the card number and CVV2; LOYALTY and SIM may.',
  }),
  transition({
    command: 'ActivateCard',
    from: ['LINKED'],
    target: { kind: 'status', status: 'LINKED' },
    outcome: 'on a failed possession proof',
    events: ['ActivationAttemptFailed'],
    note: `Wrong card number or CVV2; the event says how many of the ${MAX_ACTIVATION_ATTEMPTS} attempts are left.`,
  }),
  transition({
    command: 'ActivateCard',
    from: ['LINKED'],
    target: { kind: 'status', status: 'SUSPENDED' },
    outcome: `on the ${ordinal(MAX_ACTIVATION_ATTEMPTS)} failed possession proof`,
    events: ['ActivationAttemptFailed', 'CardSuspended'],
    note: `Suspended with reason ${CVV_RETRY_LIMIT}; reinstating the card gives ${MAX_ACTIVATION_ATTEMPTS} new attempts.`,
  }),
  transition({
    command: 'SuspendCard',
    from: [...LIVE_BEFORE_ACTIVATION, 'ACTIVE'],
    target: { kind: 'status', status: 'SUSPENDED' },
    events: ['CardSuspended'],
    note: 'With a reason of 1 to 200 characters.',
  }),
  transition({
    command: 'ReinstateCard',
    from: ['SUSPENDED'],
    target: { kind: 'statusBefore', holding: 'SUSPENDED' },
    events: ['CardReinstated'],
    note: 'Resets the failed activation attempts to 0.',
  }),
  transition({
    command: 'CancelCard',
    from: [...LIVE_BEFORE_ACTIVATION, 'ACTIVE', 'SUSPENDED'],
    target: { kind: 'status', status: 'CANCELLED' },
    events: ['CardCancelled'],
    note: 'Final: nothing is allowed on a cancelled card.',
  }),
  transition({
    command: 'OpenDispute',
    from: ['ACTIVE', 'SUSPENDED'],
    target: { kind: 'status', status: 'DISPUTED' },
    events: ['CardDisputed'],
    note: 'While DISPUTED, only ResolveDispute is allowed.',
  }),
  transition({
    command: 'ResolveDispute',
    from: ['DISPUTED'],
    target: { kind: 'statusBefore', holding: 'DISPUTED' },
    outcome: 'REJECTED',
    events: ['DisputeResolved'],
    note: 'The dispute id must be the open one.',
  }),
  transition({
    command: 'ResolveDispute',
    from: ['DISPUTED'],
    target: { kind: 'status', status: 'CANCELLED' },
    outcome: 'UPHELD',
    events: ['DisputeResolved', 'CardCancelled'],
    note: `Cancelled with reason ${DISPUTE_UPHELD}.`,
  }),
];

/** The commands allowed in a status, in lifecycle order. */
export function allowedCommands(status: LifecycleStatus): CardCommandType[] {
  const allowed = new Set<CardCommandType>();
  for (const row of CARD_LIFECYCLE) if (row.from.includes(status)) allowed.add(row.command);
  return [...allowed];
}

export function isAllowed(command: CardCommandType, status: LifecycleStatus): boolean {
  return CARD_LIFECYCLE.some((row) => row.command === command && row.from.includes(status));
}

/** The statuses a transition can end in; for "back to the status before…", every status that leads into the holding one. */
export function targetStatuses(row: LifecycleTransition): CardStatus[] {
  const target = row.target;
  if (target.kind === 'status') return [target.status];
  const before = new Set<LifecycleStatus>();
  for (const other of CARD_LIFECYCLE) {
    if (other.target.kind === 'status' && other.target.status === target.holding) {
      for (const status of other.from) before.add(status);
    }
  }
  return CARD_STATUSES.filter((status) => status !== target.holding && before.has(status));
}

/** Statuses nothing leads out of. */
export function isFinalStatus(status: CardStatus): boolean {
  return allowedCommands(status).length === 0;
}
