import fc from 'fast-check';
import { fold } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { cardCommandSequence, runCardCommands } from '../testing/card-arbitraries';
import { cardDecider } from './card.decider';
import { CARD_STATUSES, type CardEvent, type CardState, type CardStatus } from './card.types';
import { CARD_LIFECYCLE, isAllowed, targetStatuses } from './lifecycle';

// A fixed seed, so that a failure is reproduced by running the test again; fast-check prints the seed and the
// shrunk counterexample when a property fails.
const SEED = 20260409;
const RUNS = 400;

const statusOf = (state: CardState): CardStatus | 'NONE' => (state.exists ? state.status : 'NONE');

/** The states after each event of a history, folded one event at a time. */
function statesAlong(history: readonly CardEvent[]): CardState[] {
  const states: CardState[] = [];
  let state = cardDecider.initialState;
  for (const event of history) {
    state = cardDecider.evolve(state, event);
    states.push(state);
  }
  return states;
}

/** Deep-freezes a value, so that a decider that mutated its state or command would throw. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) frozen(inner);
  }
  return value;
}

describe('cardDecider: properties over random command sequences', () => {
  const reached = new Set<CardStatus | 'NONE'>();
  const refusedCodes = new Set<string>();

  it('refuses with a DomainError and no events, or appends events the lifecycle table allows', () => {
    fc.assert(
      fc.property(cardCommandSequence(), (commands) => {
        let state: CardState = frozen(cardDecider.initialState);
        let revision = -1;
        for (const command of commands.map(frozen)) {
          const before = state;
          let events: CardEvent[];
          try {
            events = cardDecider.decide(command, state);
          } catch (error) {
            // a refusal is a DomainError, and nothing else: no TypeError on odd input
            expect(error).toBeInstanceOf(DomainError);
            refusedCodes.add((error as DomainError).code);
            // a command the table does not allow is refused for that reason, before its arguments are looked at
            if (!isAllowed(command.type, statusOf(state))) {
              expect(['CARD_NOT_FOUND', 'CARD_NUMBER_ALREADY_ISSUED', 'TRANSITION_NOT_ALLOWED']).toContain((error as DomainError).code);
            }
            expect(state).toBe(before);
            continue;
          }
          // accepted: only where the table allows it, with at least one event, extending the stream
          expect(isAllowed(command.type, statusOf(state))).toBe(true);
          expect(events.length).toBeGreaterThan(0);
          const rows = CARD_LIFECYCLE.filter((row) => row.command === command.type && row.from.includes(statusOf(state)));
          const types = events.map((e) => e.type);
          const row = rows.find((r) => JSON.stringify(r.events) === JSON.stringify(types));
          expect({ command: command.type, from: statusOf(state), events: types, matchesARow: row !== undefined }).toMatchObject({ matchesARow: true });
          const after = events.reduce(cardDecider.evolve, state);
          expect(targetStatuses(row!)).toContain(statusOf(after));
          const nextRevision = revision + events.length;
          expect(nextRevision).toBeGreaterThan(revision);
          revision = nextRevision;
          state = frozen(after);
          reached.add(statusOf(state));
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The generator is not vacuous: the random sequences went everywhere, and were refused for many reasons.
    expect([...reached].sort()).toEqual([...CARD_STATUSES].sort());
    expect([...refusedCodes]).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'TRANSITION_NOT_ALLOWED', 'CARD_NOT_FOUND', 'CUSTOMER_NOT_FOUND', 'REVIEW_NOT_FOUND', 'DISPUTE_NOT_FOUND', 'REVIEWER_MUST_DIFFER']),
    );
  });

  it('a card is never ACTIVE without a verified identity and a link to an account', () => {
    fc.assert(
      fc.property(cardCommandSequence(), (commands) => {
        const { history } = runCardCommands(commands);
        statesAlong(history).forEach((state, i) => {
          if (!state.exists || state.status !== 'ACTIVE') return;
          // from the state …
          expect(state.timestamps.identityVerifiedAt).toEqual(expect.any(String));
          expect(state.accountId).toEqual(expect.any(String));
          // … and from the history itself, independently of evolve: verified, then linked, then activated
          const upTo = history.slice(0, i + 1).map((e) => e.type);
          const verified = upTo.indexOf('IdentityVerified');
          const linked = upTo.indexOf('CardLinked');
          const activated = upTo.lastIndexOf('CardActivated');
          expect(verified).toBeGreaterThanOrEqual(0);
          expect(linked).toBeGreaterThan(verified);
          expect(activated).toBeGreaterThan(linked);
        });
      }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
  });

  it('never two open disputes on one card, and a dispute is resolved only while it is the open one', () => {
    fc.assert(
      fc.property(cardCommandSequence(), (commands) => {
        const { history, steps } = runCardCommands(commands);
        const states = statesAlong(history);
        // Where each accepted command's events end: between two events of one command (an upheld dispute is
        // DisputeResolved then CardCancelled) the state is not one anybody reads.
        const ends = new Set<number>();
        let appended = 0;
        for (const step of steps) if ('events' in step.outcome) ends.add((appended += step.outcome.events.length) - 1);
        let open: string | undefined;
        history.forEach((event, i) => {
          if (event.type === 'CardDisputed') {
            expect(open).toBeUndefined();
            open = event.data.disputeId;
          }
          if (event.type === 'DisputeResolved') {
            expect(event.data.disputeId).toBe(open);
            open = undefined;
          }
          const state = states[i];
          if (!state.exists || !ends.has(i)) return;
          // the state agrees with the history: an open dispute exactly while DISPUTED
          expect(state.openDispute?.disputeId).toBe(open);
          expect(state.status === 'DISPUTED').toBe(open !== undefined);
        });
      }),
      { numRuns: RUNS, seed: SEED + 2 },
    );
  });

  it('evolve over the produced history is deterministic, and the same one event at a time or all at once', () => {
    fc.assert(
      fc.property(cardCommandSequence(), (commands) => {
        const { history, steps } = runCardCommands(commands);
        // every refusal was a DomainError (runCardCommands stops at anything else)
        for (const step of steps) if ('error' in step.outcome) expect(step.outcome.error).toBeInstanceOf(DomainError);
        const once = fold(cardDecider, history);
        const again = fold(cardDecider, JSON.parse(JSON.stringify(history)) as CardEvent[]);
        expect(again).toEqual(once);
        const along = statesAlong(history);
        expect(along.length === 0 ? cardDecider.initialState : along[along.length - 1]).toEqual(once);
        // and the same commands decided again give the same history
        expect(runCardCommands(commands).history).toEqual(history);
      }),
      { numRuns: Math.floor(RUNS / 2), seed: SEED + 3 },
    );
  });
});
