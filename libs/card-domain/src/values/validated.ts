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
