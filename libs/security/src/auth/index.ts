export { ROLES, ROLE_DESCRIPTIONS, isRole, knownRoles } from './roles';
export type { Role } from './roles';
export { MIN_HS256_SECRET_BYTES, hs256SecretProblem, privateKeyAlgorithm, publicKeyAlgorithm } from './token-keys';
export type { TokenAlgorithm, TokenVerificationKey } from './token-keys';
export { CLOCK_TOLERANCE_SECONDS, TokenRejectedError, TokenVerifier } from './token-verifier';
export type { Principal, TokenRejection } from './token-verifier';
export { TokenMinter } from './token-minter';
export type { TokenClaims } from './token-minter';
