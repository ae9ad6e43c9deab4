/**
 * The outcome of checking one raw value: either the normalised value (and whatever was learnt from it) or a
 * reason a person can act on. Reasons read well after the field name ("cardNumber: fails the Luhn check…"),
 * so the HTTP layer and the deciders can report them as they are.
 * A reason never echoes the value back: it may be an id number or a card number.
 */
export type Validated<T extends object> = ({ readonly ok: true } & T) | Invalid;

export interface Invalid {
  readonly ok: false;
  readonly reason: string;
}

export function invalid(reason: string): Invalid {
  return { ok: false, reason };
}

/**
 * The same, for checks whose failures the domain records: each failure also carries a reason code (a stable,
 * upper-case name that goes into events, e.g. `ID_CHECK_CHARACTER_INVALID`) next to its reason for people.
 */
export type Checked<T extends object, Code extends string> = ({ readonly ok: true } & T) | Refused<Code>;

export interface Refused<Code extends string> {
  readonly ok: false;
  readonly code: Code;
  readonly reason: string;
}

export function refused<Code extends string>(code: Code, reason: string): Refused<Code> {
  return { ok: false, code, reason };
}
