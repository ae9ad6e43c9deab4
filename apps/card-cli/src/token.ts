import { ROLES, TokenMinter, isRole } from '@cards/security';
import { NoTokenError, tokenSigningSecret } from './signing-secret';

export const TOKEN_USAGE = `usage: card-cli token --role ROLE [--role ROLE ...] --sub SUBJECT [--ttl DURATION]
  ROLE: ${ROLES.join(', ')} (several: repeat --role, or separate them with commas)
  DURATION: a number with s, m, h or d, e.g. 30m, 8h (default 1h, at most 30d)`;

const DEFAULT_TTL = '1h';
const MAX_TTL_SECONDS = 30 * 24 * 3600;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `8h` → 28800; undefined for anything else. */
export function parseTtl(text: string): number | undefined {
  const match = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  return seconds > 0 && seconds <= MAX_TTL_SECONDS ? seconds : undefined;
}

export interface TokenCommandResult {
  readonly exitCode: number;
  /** The token alone (so `TOKEN=$(card-cli token ...)` works), or what went wrong. */
  readonly output: string;
  /** What the token is for and until when, for stderr. */
  readonly note?: string;
}

/**
 * `card-cli token --role analyst --sub alice [--ttl 8h]`: an HS256 token card-api accepts, signed with the secret
 * the service uses (AUTH_JWT_SECRET, or the development secret in DATA_DIR). Refused when the service verifies
 * tokens from an identity provider (AUTH_JWT_PUBLIC_KEY).
 */
export async function tokenCommand(
  positional: readonly string[],
  options: Readonly<Record<string, readonly string[]>>,
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): Promise<TokenCommandResult> {
  const usage = (problem: string): TokenCommandResult => ({ exitCode: 2, output: `${problem}\n${TOKEN_USAGE}` });
  const unknown = Object.keys(options).filter((o) => !['role', 'sub', 'ttl'].includes(o));
  if (unknown.length > 0) return usage(`Unknown option --${unknown[0]}.`);
  if (positional.length > 0) return usage(`Unexpected argument "${positional[0]}".`);

  const roles = (options.role ?? []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  if (roles.length === 0) return usage('Name at least one role with --role.');
  const unknownRole = roles.find((r) => !isRole(r));
  if (unknownRole !== undefined) return usage(`Unknown role "${unknownRole}".`);

  const subject = (options.sub ?? []).at(-1)?.trim() ?? '';
  if (subject === '' || subject.length > 256) return usage('Name the caller with --sub (1 to 256 characters), e.g. --sub alice.');

  const ttlText = (options.ttl ?? []).at(-1) ?? DEFAULT_TTL;
  const ttlSeconds = parseTtl(ttlText);
  if (ttlSeconds === undefined) return usage(`--ttl must be a duration such as 30m, 8h or 2d, at most 30d; got "${ttlText}".`);

  let secret: string;
  try {
    secret = tokenSigningSecret(env);
  } catch (error) {
    if (error instanceof NoTokenError) return { exitCode: 2, output: error.message };
    throw error;
  }
  const uniqueRoles = ROLES.filter((r) => roles.includes(r));
  const token = await TokenMinter.forSecret(secret).mint({ subject, roles: uniqueRoles, ttlSeconds, now });
  const until = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
  return { exitCode: 0, output: token, note: `Token for ${subject} (${uniqueRoles.join(', ')}), valid until ${until}` };
}
