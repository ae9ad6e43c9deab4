import type { BiometricMethod, ScoreThresholds } from '@cards/domain';

/** Business settings that come from configuration rather than code. */
export interface CardPolicy {
  /**
   * Score thresholds per biometric method (IDENTITY_FACE_PASS_SCORE, IDENTITY_FACE_REVIEW_SCORE,
   * IDENTITY_FINGERPRINT_PASS_SCORE, IDENTITY_FINGERPRINT_REVIEW_SCORE): each in [0, 1], review ≤ pass.
   */
  readonly identityScoreThresholds: Readonly<Record<BiometricMethod, ScoreThresholds>>;
}
export const CARD_POLICY = Symbol('CARD_POLICY');
