import { BIOMETRIC_METHODS } from '@cards/application';
import type { BiometricMethod, ScoreThresholds } from '@cards/domain';

/** How the biometric provider is reached (docs/identity.md, "Biometric provider"). */
export interface IdentityProviderConfig {
  /** IDENTITY_PROVIDER_URL without its trailing slash; absent: FACE and FINGERPRINT cannot be verified. */
  readonly url?: string;
  /** IDENTITY_PROVIDER_TOKEN, sent as `Authorization: Bearer …`. A secret: never logged. */
  readonly token?: string;
  /** IDENTITY_PROVIDER_TIMEOUT_MS: how long one attempt may take, answer included. */
  readonly timeoutMs: number;
  /** IDENTITY_PROVIDER_RETRIES: attempts after the first, on timeouts, connection failures, 5xx and 429. */
  readonly retries: number;
  /** IDENTITY_PROVIDER_DEADLINE_MS: how long one comparison may take, every attempt and wait included. */
  readonly deadlineMs: number;
}

export interface IdentityConfig {
  readonly provider: IdentityProviderConfig;
  /** Score thresholds per biometric method. */
  readonly thresholds: Readonly<Record<BiometricMethod, ScoreThresholds>>;
}

export const IDENTITY_PROVIDER_DEFAULTS = { timeoutMs: 3000, retries: 2, deadlineMs: 10_000 } as const;

export const DEFAULT_SCORE_THRESHOLDS: Readonly<Record<BiometricMethod, ScoreThresholds>> = {
  FACE: { pass: 0.8, review: 0.6 },
  FINGERPRINT: { pass: 0.9, review: 0.75 },
};

const THRESHOLD_VARIABLES: Record<BiometricMethod, { readonly pass: string; readonly review: string }> = {
  FACE: { pass: 'IDENTITY_FACE_PASS_SCORE', review: 'IDENTITY_FACE_REVIEW_SCORE' },
  FINGERPRINT: { pass: 'IDENTITY_FINGERPRINT_PASS_SCORE', review: 'IDENTITY_FINGERPRINT_REVIEW_SCORE' },
};

/**
 * Reads the IDENTITY_* variables, adding one message per bad value to `problems`. Messages never repeat the URL
 * or the token: either may hold a secret.
 */
export function parseIdentityConfig(value: (name: string) => string | undefined, production: boolean, problems: string[]): IdentityConfig {
  const url = parseProviderUrl(value('IDENTITY_PROVIDER_URL'), production, problems);

  const token = value('IDENTITY_PROVIDER_TOKEN');
  if (token !== undefined && !/^[\x21-\x7e]{1,4096}$/.test(token)) {
    problems.push('IDENTITY_PROVIDER_TOKEN must be at most 4096 visible ASCII characters, without spaces (it is sent as a bearer token)');
  }
  if (token !== undefined && value('IDENTITY_PROVIDER_URL') === undefined) {
    problems.push('IDENTITY_PROVIDER_TOKEN is set but IDENTITY_PROVIDER_URL is not: set the provider\'s URL too, or remove the token');
  }

  const timeoutMs = wholeNumber('IDENTITY_PROVIDER_TIMEOUT_MS', value, IDENTITY_PROVIDER_DEFAULTS.timeoutMs, 1, 60_000, 'milliseconds', problems);
  const retries = wholeNumber('IDENTITY_PROVIDER_RETRIES', value, IDENTITY_PROVIDER_DEFAULTS.retries, 0, 10, 'retries', problems);
  const deadlineMs = wholeNumber('IDENTITY_PROVIDER_DEADLINE_MS', value, IDENTITY_PROVIDER_DEFAULTS.deadlineMs, 1, 300_000, 'milliseconds', problems);
  if (deadlineMs < timeoutMs) {
    problems.push(`IDENTITY_PROVIDER_DEADLINE_MS (${deadlineMs}) must not be shorter than IDENTITY_PROVIDER_TIMEOUT_MS (${timeoutMs})`);
  }

  const thresholds = {} as Record<BiometricMethod, ScoreThresholds>;
  for (const method of BIOMETRIC_METHODS) {
    const names = THRESHOLD_VARIABLES[method];
    const defaults = DEFAULT_SCORE_THRESHOLDS[method];
    const pass = score(names.pass, value, defaults.pass, problems);
    const review = score(names.review, value, defaults.review, problems);
    if (pass !== undefined && review !== undefined && review > pass) {
      problems.push(
        `${names.review} (${review}${value(names.review) === undefined ? ', the default' : ''}) must not be above ` +
          `${names.pass} (${pass}${value(names.pass) === undefined ? ', the default' : ''})`,
      );
    }
    thresholds[method] = { pass: pass ?? defaults.pass, review: review ?? defaults.review };
  }

  return {
    provider: { ...(url !== undefined && { url }), ...(token !== undefined && { token }), timeoutMs, retries, deadlineMs },
    thresholds,
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** An http(s) base URL without credentials, query or fragment; https in production unless on this host. */
function parseProviderUrl(given: string | undefined, production: boolean, problems: string[]): string | undefined {
  if (given === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    problems.push('IDENTITY_PROVIDER_URL must be an http:// or https:// URL, e.g. https://identity.example.com');
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push('IDENTITY_PROVIDER_URL must be an http:// or https:// URL, e.g. https://identity.example.com');
  }
  if (url.username !== '' || url.password !== '') {
    problems.push('IDENTITY_PROVIDER_URL must not carry a user name or password: put the provider\'s token in IDENTITY_PROVIDER_TOKEN');
  }
  if (url.search !== '' || url.hash !== '' || given.includes('?') || given.includes('#')) {
    problems.push('IDENTITY_PROVIDER_URL must not have a query or a fragment: give the base URL, to which /v1/comparisons is added');
  }
  if (production && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    problems.push('IDENTITY_PROVIDER_URL must use https:// with NODE_ENV=production (it carries biometric samples and id numbers)');
  }
  if (problems.length > before) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function wholeNumber(
  name: string,
  value: (name: string) => string | undefined,
  fallback: number,
  min: number,
  max: number,
  unit: string,
  problems: string[],
): number {
  const given = value(name);
  if (given === undefined) return fallback;
  if (/^\d+$/.test(given) && Number(given) >= min && Number(given) <= max) return Number(given);
  problems.push(`${name} must be a whole number of ${unit} from ${min} to ${max}`);
  return fallback;
}

/** A decimal from 0 to 1; undefined (and a problem) when it is not one. */
function score(name: string, value: (name: string) => string | undefined, fallback: number, problems: string[]): number | undefined {
  const given = value(name);
  if (given === undefined) return fallback;
  if (/^(\d+(\.\d*)?|\.\d+)$/.test(given) && Number(given) >= 0 && Number(given) <= 1) return Number(given);
  problems.push(`${name} must be a number from 0 to 1, such as 0.85`);
  return undefined;
}
