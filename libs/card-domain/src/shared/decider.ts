/**
 * A decider: the whole behaviour of one aggregate as three pure parts. The command handler loads events,
 * folds them with `evolve` from `initialState`, calls `decide`, and appends what it returns.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: State;
  evolve(state: State, event: Event): State;
  /** Returns the events the command causes, or throws a DomainError. Never reads a clock: time is in the command. */
  decide(command: Command, state: State): Event[];
}

export function fold<Event, State>(decider: Pick<Decider<unknown, Event, State>, 'evolve' | 'initialState'>, events: readonly Event[]): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState);
}
