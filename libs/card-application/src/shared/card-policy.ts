/** Business settings that come from configuration rather than code. */
export interface CardPolicy {
  /** Minimum provider match score (0..1) for FACE and FINGERPRINT verification. */
  readonly identityMatchScoreThreshold: number;
}
export const CARD_POLICY = Symbol('CARD_POLICY');
