/** Time is a dependency: the domain never reads a clock, handlers ask this one. */
export interface Clock {
  now(): Date;
}
export const CLOCK = Symbol('CLOCK');
export const systemClock: Clock = { now: () => new Date() };
