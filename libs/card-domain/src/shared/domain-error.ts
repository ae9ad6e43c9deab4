/**
 * A rule of the business was broken. `code` is stable (clients switch on it); `message` is for a person;
 * `details` carries the facts that help them act (current status, allowed commands, attempts left…).
 * `kind` says what sort of failure it is, so that the HTTP layer can map it without knowing every code.
 */
export type DomainErrorKind =
  | 'invalid' // malformed or impossible input (HTTP 400)
  | 'forbidden' // allowed to the caller's role, but not to this caller here, e.g. deciding their own review (HTTP 403)
  | 'not_found' // the thing referred to does not exist (HTTP 404)
  | 'conflict' // the lifecycle forbids it now, or it already exists (HTTP 409)
  | 'rejected'; // well-formed and allowed, but the business refuses it, e.g. a wrong CVV2 (HTTP 422)

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** One invalid field of a command: which and why. */
export interface FieldViolation {
  readonly field: string;
  readonly reason: string;
}

export class ValidationFailed extends DomainError {
  constructor(readonly violations: readonly FieldViolation[]) {
    super(
      'invalid',
      'VALIDATION_FAILED',
      violations.map((v) => `${v.field}: ${v.reason}`).join('; '),
      { violations },
    );
  }
}
