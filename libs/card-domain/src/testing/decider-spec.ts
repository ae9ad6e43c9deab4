import { fold, type Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';

/**
 * Given/when/then for deciders (jest only):
 *
 *   DeciderSpecification.for(cardDecider)
 *     .given([cardIssued(), identityVerified(), cardLinked()])
 *     .when(activateCard({ channel: 'APP' }))
 *     .then([{ type: 'CardActivated', data: { channel: 'APP', activatedAt: NOW } }]);
 */
export class DeciderSpecification<Command, Event, State> {
  private constructor(private readonly decider: Decider<Command, Event, State>) {}

  static for<Command, Event, State>(decider: Decider<Command, Event, State>): DeciderSpecification<Command, Event, State> {
    return new DeciderSpecification(decider);
  }

  given(history: readonly Event[] = []): { when(command: Command): DeciderOutcome<Command, Event, State> } {
    return { when: (command) => new DeciderOutcome(this.decider, history, command) };
  }
}

export class DeciderOutcome<Command, Event, State> {
  constructor(
    private readonly decider: Decider<Command, Event, State>,
    private readonly history: readonly Event[],
    private readonly command: Command,
  ) {}

  private run(): Event[] {
    return this.decider.decide(this.command, fold(this.decider, this.history));
  }

  /** The decider emits exactly these events. Strict: an optional field present as `undefined` fails. */
  then(expected: readonly Event[]): Event[] {
    const events = this.run();
    expect(events).toStrictEqual(expected);
    return events;
  }

  /** The state after the given history and the events the command causes; for asserting with `toMatchObject`. */
  thenState(): State {
    return fold(this.decider, [...this.history, ...this.run()]);
  }

  /** The decider refuses with this code; the error is returned for further assertions. */
  thenThrows(code: string): DomainError {
    let events: Event[];
    try {
      events = this.run();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe(code);
      return error as DomainError;
    }
    throw new Error(`expected a DomainError ${code}, but the decider emitted ${JSON.stringify(events)}`);
  }
}
