import { errors, importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { BoundedCache } from '../pii/bounded-cache';
import { knownRoles, type Role } from './roles';
import { hs256SecretProblem, toSpkiPem, type TokenAlgorithm, type TokenVerificationKey } from './token-keys';

/** Why a token was refused: a stable word for clients and tests, beside the sentence for people. */
export type TokenRejection =
  | 'malformed'
  | 'wrong_algorithm'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim'
  | 'invalid_claim';

/** A token that does not prove who the caller is. The message says why, and never quotes the token. */
export class TokenRejectedError extends Error {
  constructor(readonly reason: TokenRejection, message: string) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

/** Who a verified token says the caller is. */
export interface Principal {
  /** The token's `sub`. */
  readonly subject: string;
  /** The known roles of the token's `roles` claim, each once, in ROLES order (unknown names are ignored). */
  readonly roles: readonly Role[];
  readonly expiresAt: Date;
}

/** Clock skew allowed between the token's issuer and this service, for `exp` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 30;
const REQUIRED_CLAIMS = ['sub', 'exp', 'roles'] as const;
const MAX_SUBJECT_LENGTH = 256;

type VerificationKey = Uint8Array | Awaited<ReturnType<typeof importSPKI>>;

/** How many verified tokens are remembered (the least recently used goes first): a token per caller or so. */
export const VERIFIED_TOKENS_CACHED = 1000;

/** A token that verified: who it names, and the two claims whose check depends on the time of use. */
interface VerifiedToken {
  readonly principal: Principal;
  readonly exp: number;
  readonly nbf: number | undefined;
}

/**
 * Verifies bearer tokens (JWS compact JWTs) with the one key and algorithm the service is configured with. A
 * token with any other `alg` (including `none`, and HS256 signed with a public key as its secret) is refused
 * before its signature is even looked at. `sub`, `exp` and `roles` are required; `exp` and `nbf` are checked
 * with 30 seconds of tolerance.
 *
 * A token that verified is remembered, by its exact text, with what it proved (a bounded cache): a caller sends the
 * same token with every request, and everything but the time checks of `exp` and `nbf` depends on that text and this
 * verifier's key alone. Those two are checked again at each use, as jose checks them; a remembered token that fails
 * them is forgotten and verified in full, so the answer (and the reason of a refusal) is the one a first use gets.
 * Refused tokens are not remembered.
 */
export class TokenVerifier {
  private readonly verified = new BoundedCache<string, VerifiedToken>(VERIFIED_TOKENS_CACHED);

  private constructor(readonly algorithm: TokenAlgorithm, private readonly key: VerificationKey) {}

  static async create(config: TokenVerificationKey): Promise<TokenVerifier> {
    if (config.algorithm === 'HS256') {
      const problem = hs256SecretProblem(config.secret);
      if (problem) throw new Error(`The HS256 secret ${problem}`);
      return new TokenVerifier('HS256', new TextEncoder().encode(config.secret));
    }
    return new TokenVerifier(config.algorithm, await importSPKI(toSpkiPem(config.publicKeyPem), config.algorithm));
  }

  /** How many verified tokens are remembered now (at most VERIFIED_TOKENS_CACHED). */
  get rememberedTokens(): number {
    return this.verified.size;
  }

  async verify(token: string, now: Date = new Date()): Promise<Principal> {
    const remembered = this.verified.get(token);
    if (remembered !== undefined) {
      if (stillValid(remembered, now)) return remembered.principal;
      this.verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [this.algorithm],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: [...REQUIRED_CLAIMS],
        currentDate: now,
      }));
    } catch (error) {
      throw this.rejection(error);
    }
    const { sub, roles, exp } = payload;
    if (typeof sub !== 'string' || sub.trim() === '' || sub.length > MAX_SUBJECT_LENGTH) {
      throw new TokenRejectedError('invalid_claim', `The token's "sub" claim must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`);
    }
    if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) {
      throw new TokenRejectedError('invalid_claim', 'The token\'s "roles" claim must be an array of role names');
    }
    const principal: Principal = Object.freeze({ subject: sub, roles: Object.freeze(knownRoles(roles)), expiresAt: new Date((exp as number) * 1000) });
    this.verified.set(token, { principal, exp: exp as number, nbf: payload.nbf });
    return principal;
  }

  private rejection(error: unknown): TokenRejectedError {
    if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'The token has expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      const claim = REQUIRED_CLAIMS.find((c) => c === error.claim) ?? ['nbf', 'iat', 'exp'].find((c) => c === error.claim);
      if (error.reason === 'missing' && claim) return new TokenRejectedError('missing_claim', `The token lacks the required "${claim}" claim`);
      if (error.claim === 'nbf' && error.reason === 'check_failed') return new TokenRejectedError('not_yet_valid', 'The token is not valid yet (its "nbf" is in the future)');
      return new TokenRejectedError('invalid_claim', claim ? `The token's "${claim}" claim is not valid` : 'A claim of the token is not valid');
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return new TokenRejectedError('wrong_algorithm', `The token is not signed with ${this.algorithm}, the only algorithm this service accepts`);
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return new TokenRejectedError('bad_signature', 'The token\'s signature does not verify with this service\'s key');
    }
    return new TokenRejectedError('malformed', 'The token is not a well-formed signed JWT (header.payload.signature, base64url)');
  }
}

/** The time checks of jose's jwtVerify (same clock, same tolerance, same comparisons) for a token that verified. */
function stillValid({ exp, nbf }: VerifiedToken, now: Date): boolean {
  const seconds = Math.floor(now.getTime() / 1000);
  return (nbf === undefined || nbf <= seconds + CLOCK_TOLERANCE_SECONDS) && exp > seconds - CLOCK_TOLERANCE_SECONDS;
}
