import { DomainError } from '../shared/domain-error';
import { fold } from '../shared/decider';
import {
  CARD_HISTORIES,
  SAMPLE_COMMANDS,
  activationAttemptFailed,
  activateCard,
  decideIdentityReview,
  identityVerificationFailed,
  resolveDispute,
  verifyIdentity,
  type CardHistory,
} from '../testing/card-fixtures';
import { cardDecider } from './card.decider';
import { CARD_STATUSES, MAX_ACTIVATION_ATTEMPTS, MAX_IDENTITY_VERIFICATION_FAILURES, type CardCommand, type CardEvent, type CardStatus } from './card.types';
import {
  CARD_COMMAND_TYPES,
  CARD_LIFECYCLE,
  LIFECYCLE_STATUSES,
  allowedCommands,
  isAllowed,
  targetStatuses,
  type LifecycleStatus,
  type LifecycleTransition,
} from './lifecycle';

const NO_CARD: CardHistory = { label: 'no card', events: [], path: [] };

function historiesIn(status: LifecycleStatus): readonly CardHistory[] {
  return status === 'NONE' ? [NO_CARD] : CARD_HISTORIES[status];
}

function statusAfter(events: readonly CardEvent[]): LifecycleStatus {
  const state = fold(cardDecider, events);
  return state.exists ? state.status : 'NONE';
}

/** For each row of the table, the command (and any extra history) that produces that row's outcome. */
const SCENARIOS: Record<string, { extraHistory?: readonly CardEvent[]; command: () => CardCommand }> = {
  'IssueCard → ISSUED': { command: SAMPLE_COMMANDS.IssueCard },
  'VerifyIdentity → IDENTITY_VERIFIED': { command: SAMPLE_COMMANDS.VerifyIdentity },
  'VerifyIdentity → ISSUED (on failure)': { command: () => verifyIdentity({ presented: { name: '李四', idNumber: '11010519491231002X' } }) },
  'VerifyIdentity → VERIFICATION_LOCKED (on the 3rd failure)': {
    extraHistory: Array.from({ length: MAX_IDENTITY_VERIFICATION_FAILURES - 1 }, () => identityVerificationFailed()),
    command: () => verifyIdentity({ presented: { name: '李四', idNumber: '11010519491231002X' } }),
  },
  'VerifyIdentity → IDENTITY_REVIEW (when a difference needs a person)': {
    command: () => verifyIdentity({ presented: { name: '张三', idNumber: '11010519491231002X', birthDate: '1949-12-30' } }),
  },
  'VerifyIdentity → ISSUED (when the provider is unavailable)': {
    command: () => verifyIdentity({ method: 'FACE', presented: {}, biometric: { outcome: 'UNAVAILABLE', reason: 'TIMEOUT' } }),
  },
  'RecordReviewContactAttempt → IDENTITY_REVIEW': { command: SAMPLE_COMMANDS.RecordReviewContactAttempt },
  'RecordReviewContactAttempt → VERIFICATION_LOCKED': { command: SAMPLE_COMMANDS.RecordReviewContactAttempt },
  'DecideIdentityReview → IDENTITY_VERIFIED (APPROVE)': { command: () => decideIdentityReview({ decision: 'APPROVE' }) },
  'DecideIdentityReview → ISSUED (REJECT)': { command: () => decideIdentityReview({ decision: 'REJECT' }) },
  'LinkCard → LINKED': { command: SAMPLE_COMMANDS.LinkCard },
  'ActivateCard → ACTIVE': { command: SAMPLE_COMMANDS.ActivateCard },
  'ActivateCard → LINKED (on a failed possession proof)': {
    command: () => activateCard({ possession: { cardNumberMatches: true, cvvMatches: false } }),
  },
  'ActivateCard → SUSPENDED (on the 3rd failed possession proof)': {
    extraHistory: Array.from({ length: MAX_ACTIVATION_ATTEMPTS - 1 }, (_, i) => activationAttemptFailed(i + 1)),
    command: () => activateCard({ possession: { cardNumberMatches: false, cvvMatches: false } }),
  },
  'SuspendCard → SUSPENDED': { command: SAMPLE_COMMANDS.SuspendCard },
  'ReinstateCard → status before suspension': { command: SAMPLE_COMMANDS.ReinstateCard },
  'CancelCard → CANCELLED': { command: SAMPLE_COMMANDS.CancelCard },
  'OpenDispute → DISPUTED': { command: SAMPLE_COMMANDS.OpenDispute },
  'ResolveDispute → status before the dispute (REJECTED)': { command: () => resolveDispute({ outcome: 'REJECTED' }) },
  'ResolveDispute → CANCELLED (UPHELD)': { command: () => resolveDispute({ outcome: 'UPHELD' }) },
};

const key = (row: LifecycleTransition) => `${row.command} → ${row.to}`;

describe('the lifecycle table', () => {
  it('names every command at least once', () => {
    expect(new Set(CARD_LIFECYCLE.map((row) => row.command))).toEqual(new Set(CARD_COMMAND_TYPES));
  });

  it('lets a card exist only through IssueCard', () => {
    expect(allowedCommands('NONE')).toEqual(['IssueCard']);
  });

  it('allows only ResolveDispute while DISPUTED and nothing once CANCELLED', () => {
    expect(allowedCommands('DISPUTED')).toEqual(['ResolveDispute']);
    expect(allowedCommands('CANCELLED')).toEqual([]);
  });

  it('lets a reinstated card return to any status a suspension can come from, and a rejected dispute to ACTIVE or SUSPENDED', () => {
    const reinstate = CARD_LIFECYCLE.find((row) => row.command === 'ReinstateCard')!;
    const rejected = CARD_LIFECYCLE.find((row) => row.outcome === 'REJECTED')!;
    expect(targetStatuses(reinstate)).toEqual(['ISSUED', 'IDENTITY_REVIEW', 'VERIFICATION_LOCKED', 'IDENTITY_VERIFIED', 'LINKED', 'ACTIVE']);
    expect(targetStatuses(rejected)).toEqual(['ACTIVE', 'SUSPENDED']);
  });

  it('has a scenario in this spec for every row', () => {
    expect(CARD_LIFECYCLE.map(key).sort()).toEqual(Object.keys(SCENARIOS).sort());
  });
});

describe('every allowed transition does what the table says', () => {
  const cases = CARD_LIFECYCLE.flatMap((row) =>
    row.from.flatMap((from) => historiesIn(from).map((history) => ({ row, history, name: `${key(row)} from ${history.label}` }))),
  );

  it.each(cases)('$name', ({ row, history }) => {
    const scenario = SCENARIOS[key(row)];
    const given = [...history.events, ...(scenario.extraHistory ?? [])];
    const events = cardDecider.decide(scenario.command(), fold(cardDecider, given));

    expect(events.map((event) => event.type)).toEqual(row.events);
    const expected: CardStatus =
      row.target.kind === 'status' ? row.target.status : history.path[history.path.length - 2];
    expect(statusAfter([...given, ...events])).toBe(expected);
    expect(targetStatuses(row)).toContain(expected);
  });
});

describe('every command in every status', () => {
  const cases = LIFECYCLE_STATUSES.flatMap((status) =>
    historiesIn(status).flatMap((history) =>
      CARD_COMMAND_TYPES.map((command) => ({ status, command, history, name: `${command} on ${history.label}` })),
    ),
  );

  it.each(cases)('$name', ({ status, command, history }) => {
    const state = fold(cardDecider, history.events);
    const decide = () => cardDecider.decide(SAMPLE_COMMANDS[command](), state);

    if (isAllowed(command, status)) {
      expect(decide().length).toBeGreaterThan(0);
      return;
    }
    let error: unknown;
    try {
      decide();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DomainError);
    const refusal = error as DomainError;
    if (status === 'NONE') {
      expect(refusal).toMatchObject({ kind: 'not_found', code: 'CARD_NOT_FOUND' });
    } else if (command === 'IssueCard') {
      expect(refusal).toMatchObject({ kind: 'conflict', code: 'CARD_NUMBER_ALREADY_ISSUED', message: 'This card number has already been issued' });
    } else {
      expect(refusal).toMatchObject({
        kind: 'conflict',
        code: 'TRANSITION_NOT_ALLOWED',
        details: { command, currentStatus: status, allowedCommands: allowedCommands(status) },
      });
      expect(refusal.message).toContain(command);
      expect(refusal.message).toContain(status);
      for (const allowed of allowedCommands(status)) expect(refusal.message).toContain(allowed);
    }
  });

  it('covers every status', () => {
    expect(new Set(cases.map((c) => c.status))).toEqual(new Set(['NONE', ...CARD_STATUSES]));
  });
});
