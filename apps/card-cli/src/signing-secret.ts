import * as path from 'node:path';
import { hs256SecretProblem, resolveSecretKeys } from '@cards/security';

/** Thrown when card-cli cannot get a token to call card-api, or cannot sign one: says what to do instead. */
export class NoTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoTokenError';
  }
}

/**
 * The HS256 secret card-api verifies tokens with, found the way the service finds it: AUTH_JWT_SECRET, else (not
 * in production) the development secret in DATA_DIR/secrets.json, generated there if the service never ran.
 * With AUTH_JWT_PUBLIC_KEY the tokens come from an identity provider and card-cli cannot sign any.
 */
export function tokenSigningSecret(env: NodeJS.ProcessEnv): string {
  if ((env.AUTH_JWT_PUBLIC_KEY ?? '').trim() !== '') {
    throw new NoTokenError(
      'card-api verifies tokens from an identity provider (AUTH_JWT_PUBLIC_KEY is set): get a token there. ' +
        'card-cli signs tokens only with AUTH_JWT_SECRET (HS256).',
    );
  }
  const secret = (env.AUTH_JWT_SECRET ?? '').trim();
  if (secret !== '') {
    const problem = hs256SecretProblem(secret);
    if (problem) throw new NoTokenError(`AUTH_JWT_SECRET ${problem}`);
    return secret;
  }
  if (env.NODE_ENV === 'production') {
    throw new NoTokenError('NODE_ENV=production: set AUTH_JWT_SECRET (the secret card-api verifies tokens with), or use a token from CARD_API_TOKEN.');
  }
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  try {
    return resolveSecretKeys({ env, dataDir, production: false }).keys.authJwtSecret!;
  } catch (error) {
    throw new NoTokenError((error as Error).message);
  }
}
