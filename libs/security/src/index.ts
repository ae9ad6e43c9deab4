export { CARD_VERIFICATION } from './card-verification.port';
export type { CardVerification } from './card-verification.port';
export { CVV2_SERVICE_CODE, VisaCvvCardVerification, assertValidCvk, computeVisaCvv } from './visa-cvv';
export type { VisaCvvInput } from './visa-cvv';
export { PanFingerprinter, maskPan } from './pan-fingerprint';
export { SECRETS_FILE_NAME, resolveSecretKeys } from './keys';
export type { ResolveSecretKeysOptions, ResolvedSecretKeys, SecretKeys } from './keys';
export * from './auth';
export * from './pii';
