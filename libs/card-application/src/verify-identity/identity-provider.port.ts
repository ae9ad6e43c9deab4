import type { BiometricMethod } from '@cards/domain';

/** The verification methods a biometric provider scores (the domain's BiometricMethod), as a list. */
export const BIOMETRIC_METHODS = ['FACE', 'FINGERPRINT'] as const satisfies readonly BiometricMethod[];

/**
 * What is asked of the provider: how alike the live sample is to the person the identity document names (name,
 * document type and number), as citizen-identity verification services answer it.
 */
export interface IdentityComparisonRequest {
  /**
   * Idempotency key for the provider (sent as `Idempotency-Key`): the same for every retry of one comparison, so
   * a retried request is never scored, or billed, twice. 1–255 visible ASCII characters.
   */
  readonly requestId: string;
  readonly method: BiometricMethod;
  readonly name: string;
  readonly idType: string;
  readonly idNumber: string;
  /** Base64 of the live sample: a JPEG or PNG photo for FACE, an ISO/IEC 19794-2 template for FINGERPRINT. */
  readonly sample: string;
}

/** Why no score came back. None of them is the customer's failure: the attempt is PROVIDER_UNAVAILABLE. */
export const PROVIDER_UNAVAILABLE_REASONS = [
  /** IDENTITY_PROVIDER_URL is not set: FACE and FINGERPRINT cannot be verified here. */
  'NOT_CONFIGURED',
  /** No answer within the per-attempt timeout (or the overall deadline) on the last attempt. */
  'TIMEOUT',
  /** The connection was refused, reset or dropped before an answer. */
  'CONNECTION_FAILED',
  /** HTTP 5xx on the last attempt. */
  'SERVER_ERROR',
  /** HTTP 429 on the last attempt, or a Retry-After longer than we are willing to wait. */
  'RATE_LIMITED',
  /** HTTP 4xx other than 429 (a bad token, a request the provider refuses): not retried. */
  'REJECTED_REQUEST',
  /** An answer that is not HTTP 200 with `{ score: 0..1, reference }` as JSON. */
  'MALFORMED_RESPONSE',
] as const;
export type ProviderUnavailableReason = (typeof PROVIDER_UNAVAILABLE_REASONS)[number];

export interface IdentityScored {
  readonly outcome: 'SCORED';
  /** Similarity of the sample to the named person, 0 (none) to 1 (certain). */
  readonly score: number;
  /** The provider's id of this comparison (visible ASCII, at most 128 characters), for reconciliation. */
  readonly providerReference: string;
}

export interface IdentityProviderUnavailable {
  readonly outcome: 'UNAVAILABLE';
  readonly reason: ProviderUnavailableReason;
  /**
   * What happened, for operators: statuses, timings, attempt by attempt. Never holds the sample, the name, the id
   * number, the token or any text of the provider's answer (which could echo them).
   */
  readonly detail: string;
  /** HTTP requests made (0 when none was: NOT_CONFIGURED, or a request refused before sending). */
  readonly attempts: number;
}

export type IdentityComparison = IdentityScored | IdentityProviderUnavailable;

/**
 * Compares a live biometric sample with the person an identity document names.
 *
 * The service ships an HTTP client for a configurable provider (`HttpIdentityProvider`, docs/identity.md
 * "Biometric provider"); tests run it against a local server that plays the provider. Implementations never
 * throw and never reject for a provider's failure: they answer `UNAVAILABLE` with a reason, after their own
 * timeouts and retries, so that a caller can record the attempt as the provider's failure rather than the
 * customer's. They never log or echo the sample, the name or the id number.
 */
export interface IdentityProvider {
  compare(request: IdentityComparisonRequest): Promise<IdentityComparison>;
}

/** DI token for {@link IdentityProvider}. */
export const IDENTITY_PROVIDER = Symbol('IDENTITY_PROVIDER');
