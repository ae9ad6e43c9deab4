import { ROLES, TokenMinter, type Role } from '@cards/security';
import { DEV_TOKEN_TTL_HOURS, type AppConfig } from '@cards/platform';

const DEV_TOKEN_TTL_SECONDS = DEV_TOKEN_TTL_HOURS * 3600;

export interface DevToken {
  readonly role: Role;
  readonly subject: string;
  readonly token: string;
}

/**
 * One ready token per role, for trying the service on the embedded default: only when the token secret is the
 * development one in DATA_DIR (no AUTH_JWT_SECRET, no AUTH_JWT_PUBLIC_KEY, not production). Valid for 12 hours.
 */
export async function developmentTokens(config: AppConfig, now: Date = new Date()): Promise<DevToken[]> {
  if (config.production || config.auth.algorithm !== 'HS256' || config.auth.source !== 'data-dir') return [];
  const minter = TokenMinter.forSecret(config.auth.secret);
  return Promise.all(
    ROLES.map(async (role) => ({
      role,
      subject: `dev-${role}`,
      token: await minter.mint({ subject: `dev-${role}`, roles: [role], ttlSeconds: DEV_TOKEN_TTL_SECONDS, now }),
    })),
  );
}

/** The start-up banner's block of development tokens, clearly marked as such. */
export function describeDevelopmentTokens(tokens: readonly DevToken[], keysFile: string | undefined): string[] {
  if (tokens.length === 0) return [];
  return [
    `  DEVELOPMENT ONLY: tokens signed with the development secret in ${keysFile ?? 'DATA_DIR/secrets.json'},`,
    `  one per role, valid for ${DEV_TOKEN_TTL_HOURS} h (more: npm run cli -- token --role ROLE --sub NAME).`,
    `  Never use them, or that secret, in production: there set AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY.`,
    ...tokens.map((t) => `    ${t.role.padEnd(8)} ${t.token}`),
  ];
}
