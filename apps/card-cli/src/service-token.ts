import { hostname, userInfo } from 'node:os';
import { TokenMinter } from '@cards/security';
import { NoTokenError, tokenSigningSecret } from './signing-secret';

/** Gives the bearer token for the next request to card-api. */
export type TokenSource = () => Promise<string>;

/** Who card-cli says it is in the tokens it signs itself: the operator's login on this machine. */
function operator(): string {
  try {
    return `card-cli:${userInfo().username}@${hostname()}`;
  } catch {
    return 'card-cli';
  }
}

/** Self-signed tokens live only as long as one request needs; a fresh one is signed for each. */
const SELF_SIGNED_TTL_SECONDS = 300;

/**
 * Where the operator commands (import, projections rebuild) get their token: --token, else CARD_API_TOKEN, else
 * (the embedded default, or AUTH_JWT_SECRET in the environment) a token card-cli signs itself with the
 * service's secret, in the role the command needs (admin for operations, auditor for audit reads), so the
 * README's commands need no extra step. The secret is looked up on the first request:
 * a NoTokenError then says what to do when there is none (e.g. the service verifies an identity provider's tokens).
 */
export function serviceTokenSource(given: string | undefined, env: NodeJS.ProcessEnv, role: 'admin' | 'auditor' = 'admin'): TokenSource {
  const token = given?.trim() || env.CARD_API_TOKEN?.trim();
  if (token) return async () => token;
  let minter: TokenMinter | undefined;
  return async () => {
    try {
      minter ??= TokenMinter.forSecret(tokenSigningSecret(env));
    } catch (error) {
      if (error instanceof NoTokenError) throw new NoTokenError(`${error.message} Pass a token with --token or CARD_API_TOKEN.`);
      throw error;
    }
    return minter.mint({ subject: operator(), roles: [role], ttlSeconds: SELF_SIGNED_TTL_SECONDS });
  };
}
