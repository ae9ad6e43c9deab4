import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MAX_SIMS_PER_ID, parseNumberSettings, parseStuckCardSlas, type NumberSettings, type StuckCardSlas } from '@cards/application';
import { parseCaseSettings, type CaseSettings } from '@cards/application';
import {
  parseNotificationChannelsConfig,
  parseNotificationReactorConfig,
  quietHoursFromEnv,
  type NotificationChannelsConfig,
  type NotificationReactorConfig,
  type QuietHours,
} from '@cards/notifications';
import { auditPublicKeysFrom, publicKeyAlgorithm, resolveSecretKeys, type SecretKeys, type TokenVerificationKey } from '@cards/security';
import { DEFAULT_PROJECTION_LEASE_TTL_MS } from '@cards/read-store';
import { developmentKeysProblem } from './data-dir';
import { DEFAULT_RATE_LIMIT_PER_IP_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE } from './auth/security-settings';
import { parseIdentityConfig, type IdentityConfig } from './identity/identity-config';

/**
 * How bearer tokens are verified: HS256 with AUTH_JWT_SECRET, or RS256 / EdDSA with AUTH_JWT_PUBLIC_KEY.
 * `source` says where the key came from: `data-dir` is the development secret generated into DATA_DIR.
 */
export type AuthConfig = TokenVerificationKey & { readonly source: 'environment' | 'data-dir' };

/** Everything the service reads from its environment, validated once at start-up. */
export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly production: boolean;
  readonly eventStore: { readonly kind: 'sqlite' } | { readonly kind: 'eventstoredb'; readonly connectionString: string };
  readonly readStore: { readonly kind: 'sqlite' } | { readonly kind: 'mongodb'; readonly url: string };
  readonly keys: SecretKeys;
  /** Names of the keys generated on this start (embedded default only), to say so in the log. */
  readonly generatedKeys: readonly string[];
  readonly keysFile?: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The biometric provider (FACE, FINGERPRINT) and the score thresholds per method: IDENTITY_PROVIDER_*, IDENTITY_*_SCORE. */
  readonly identity: IdentityConfig;
  /** Real-name rule: active or pending SIM cards one id number may hold, across customers (MAX_SIMS_PER_ID). */
  readonly maxSimsPerId: number;
  /** SIM numbers: reservations per customer, quarantine days, tier rules (NUMBER_*; docs/numbers.md). */
  readonly numbers: NumberSettings;
  /** Customer service cases: reopen days, service levels, classification and routing rules (CASE_*; docs/cases.md). */
  readonly cases: CaseSettings;
  /** Run the projectors inside card-api (the embedded default) or leave them to card-projector. */
  readonly projectionsInProcess: boolean;
  /** The projections lease: a process runs the projections and their loops only while it holds it (PROJECTION_LEASE_TTL_MS). */
  readonly projectionLeaseTtlMs: number;
  /** How long a query with `minPosition` waits for the read models before answering 503. */
  readonly readYourWritesTimeoutMs: number;
  /** How long a card may wait in each stage before the stuck-cards report lists it. */
  readonly stuckCardSlas: StuckCardSlas;
  readonly auth: AuthConfig;
  /** Requests per minute: per token subject, and per IP address for requests without a valid token. */
  readonly rateLimit: { readonly perMinute: number; readonly perIpPerMinute: number };
  /** Browser origins allowed to call the API (CORS); empty: CORS is off. */
  readonly corsOrigins: readonly string[];
  /** Signed audit checkpoints (the signing key itself is `keys.auditSigningKey`). */
  readonly audit: AuditConfig;
  /** E-mail (SMTP_*), the SMS gateway (SMS_GATEWAY_*) and webhooks (WEBHOOK_*); a channel left out is not configured. */
  readonly notificationChannels: NotificationChannelsConfig;
  /** When marketing-like notices wait, in the customer's time zone (NOTIFY_QUIET_HOURS, default 22:00-08:00). */
  readonly quietHours: QuietHours;
  /** Retries, polling, the hotline, the age limit of events that send notices (NOTIFY_*; docs/notifications.md). */
  readonly notificationReactor: NotificationReactorConfig;
}

export interface AuditConfig {
  /** Sign a checkpoint every this many events (AUDIT_CHECKPOINT_EVERY). */
  readonly checkpointEvery: number;
  /** PEM public keys of former signing keys (AUDIT_PUBLIC_KEYS), so that the checkpoints they signed still verify. */
  readonly formerPublicKeysPem: readonly string[];
}

export const DEFAULT_AUDIT_CHECKPOINT_EVERY = 1000;

export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Reads and checks every variable, reporting all problems at once rather than the first one. */
export function loadAppConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const production = value('NODE_ENV') === 'production';

  const port = Number(value('PORT') ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('PORT must be an integer from 0 to 65535');

  const dataDir = path.resolve(value('DATA_DIR') ?? './data');

  let eventStore: AppConfig['eventStore'] = { kind: 'sqlite' };
  const eventStoreKind = value('EVENT_STORE') ?? 'sqlite';
  if (eventStoreKind === 'eventstoredb') {
    const connectionString = value('EVENTSTORE_CONNECTION_STRING');
    if (!connectionString) problems.push('EVENTSTORE_CONNECTION_STRING is required when EVENT_STORE=eventstoredb (e.g. esdb://localhost:2113?tls=false)');
    else if (!/^esdb(\+discover)?:\/\//.test(connectionString)) problems.push('EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover://');
    else eventStore = { kind: 'eventstoredb', connectionString };
  } else if (eventStoreKind !== 'sqlite') {
    problems.push(`EVENT_STORE must be "sqlite" or "eventstoredb", not "${eventStoreKind}"`);
  }

  let readStore: AppConfig['readStore'] = { kind: 'sqlite' };
  const readStoreKind = value('READ_STORE') ?? 'sqlite';
  if (readStoreKind === 'mongodb') {
    const url = value('MONGODB_URL');
    if (!url) problems.push('MONGODB_URL is required when READ_STORE=mongodb (e.g. mongodb://localhost:27017/cards?directConnection=true)');
    else if (!/^mongodb(\+srv)?:\/\//.test(url)) problems.push('MONGODB_URL must start with mongodb:// or mongodb+srv://');
    else readStore = { kind: 'mongodb', url };
  } else if (readStoreKind !== 'sqlite') {
    problems.push(`READ_STORE must be "sqlite" or "mongodb", not "${readStoreKind}"`);
  }

  const logLevel = (value('LOG_LEVEL') ?? 'info') as AppConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const identity = parseIdentityConfig(value, production, problems);
  const maxSimsPerId = parseMaxSimsPerId(value('MAX_SIMS_PER_ID'), problems);
  const numbers = parseNumberSettings(value, problems);
  const cases = parseCaseSettings(value, problems);

  const inProcess = (value('PROJECTIONS_IN_PROCESS') ?? 'true').toLowerCase();
  if (!['true', 'false'].includes(inProcess)) problems.push('PROJECTIONS_IN_PROCESS must be "true" or "false"');

  const leaseTtl = value('PROJECTION_LEASE_TTL_MS') ?? String(DEFAULT_PROJECTION_LEASE_TTL_MS);
  const projectionLeaseTtlMs = Number(leaseTtl);
  if (!/^\d+$/.test(leaseTtl) || projectionLeaseTtlMs < 300 || projectionLeaseTtlMs > 600_000) {
    problems.push('PROJECTION_LEASE_TTL_MS must be a whole number of milliseconds from 300 to 600000');
  }

  const readYourWritesTimeoutMs = Number(value('READ_YOUR_WRITES_TIMEOUT_MS') ?? '3000');
  if (!Number.isInteger(readYourWritesTimeoutMs) || readYourWritesTimeoutMs < 0 || readYourWritesTimeoutMs > 60_000) {
    problems.push('READ_YOUR_WRITES_TIMEOUT_MS must be an integer number of milliseconds from 0 to 60000');
  }

  const stuck = parseStuckCardSlas(value('STUCK_CARD_SLAS'));
  problems.push(...stuck.problems);

  const jwtSecret = value('AUTH_JWT_SECRET');
  const publicKeySetting = value('AUTH_JWT_PUBLIC_KEY');
  let publicKey: TokenVerificationKey | undefined;
  if (jwtSecret !== undefined && publicKeySetting !== undefined) {
    problems.push('Set either AUTH_JWT_SECRET (HS256) or AUTH_JWT_PUBLIC_KEY (RS256 / EdDSA), not both');
  } else if (publicKeySetting !== undefined) {
    try {
      publicKey = readPublicKey(publicKeySetting);
    } catch (error) {
      problems.push(`AUTH_JWT_PUBLIC_KEY ${(error as Error).message}`);
    }
  }

  const perMinute = positiveInteger('RATE_LIMIT_PER_MINUTE', value('RATE_LIMIT_PER_MINUTE'), DEFAULT_RATE_LIMIT_PER_MINUTE, problems);
  const perIpPerMinute = positiveInteger('RATE_LIMIT_PER_IP_PER_MINUTE', value('RATE_LIMIT_PER_IP_PER_MINUTE'), DEFAULT_RATE_LIMIT_PER_IP_PER_MINUTE, problems);
  const corsOrigins = parseCorsOrigins(value('CORS_ORIGINS'), problems);
  const audit = parseAuditConfig(value('AUDIT_CHECKPOINT_EVERY'), value('AUDIT_PUBLIC_KEYS'), problems);
  const notificationChannels = parseNotificationChannelsConfig(value, production, problems);
  const notificationReactor = parseNotificationReactorConfig(value, problems);
  let quietHours: QuietHours | undefined;
  try {
    quietHours = quietHoursFromEnv({ NOTIFY_QUIET_HOURS: value('NOTIFY_QUIET_HOURS') });
  } catch (error) {
    problems.push((error as Error).message);
  }

  let keys: SecretKeys | undefined;
  let generatedKeys: readonly string[] = [];
  let keysFile: string | undefined;
  try {
    const resolved = resolveSecretKeys({ env, dataDir, production });
    keys = resolved.keys;
    generatedKeys = resolved.generated;
    keysFile = resolved.file;
  } catch (error) {
    problems.push(developmentKeysProblem(dataDir, error));
  }

  if (problems.length > 0 || keys === undefined) throw new ConfigurationError(problems);
  let auth: AuthConfig;
  if (publicKey) auth = { ...publicKey, source: 'environment' };
  else if (keys.authJwtSecret !== undefined) auth = { algorithm: 'HS256', secret: keys.authJwtSecret, source: jwtSecret === undefined ? 'data-dir' : 'environment' };
  else throw new ConfigurationError(['AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is required']);
  return {
    port,
    host: value('HOST') ?? '0.0.0.0',
    dataDir,
    production,
    eventStore,
    readStore,
    keys,
    generatedKeys,
    ...(keysFile !== undefined && { keysFile }),
    logLevel,
    identity,
    maxSimsPerId,
    numbers,
    cases,
    projectionsInProcess: inProcess !== 'false',
    projectionLeaseTtlMs,
    readYourWritesTimeoutMs,
    stuckCardSlas: stuck.slas,
    auth,
    rateLimit: { perMinute, perIpPerMinute },
    corsOrigins,
    audit,
    notificationChannels,
    quietHours: quietHours!,
    notificationReactor,
  };
}

/**
 * AUTH_JWT_PUBLIC_KEY holds the PEM itself (newlines may be written as \n, as env files often need) or the path of
 * a file holding it. The algorithm follows from the key: RS256 for RSA, EdDSA for Ed25519.
 */
function readPublicKey(setting: string): TokenVerificationKey {
  let pem = setting;
  if (!setting.startsWith('-----BEGIN')) {
    try {
      pem = fs.readFileSync(setting, 'utf8');
    } catch (error) {
      throw new Error(`must be a PEM public key or the path of a file holding one; cannot read ${setting}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  pem = pem.replace(/\\n/g, '\n');
  return { algorithm: publicKeyAlgorithm(pem), publicKeyPem: pem };
}

function positiveInteger(name: string, given: string | undefined, fallback: number, problems: string[]): number {
  if (given === undefined) return fallback;
  const n = Number(given);
  if (!/^\d+$/.test(given) || n < 1 || n > 1_000_000) {
    problems.push(`${name} must be a whole number of requests per minute from 1 to 1000000`);
    return fallback;
  }
  return n;
}

export const MAX_SIMS_PER_ID_LIMIT = 1000;

function parseMaxSimsPerId(given: string | undefined, problems: string[]): number {
  if (given === undefined) return DEFAULT_MAX_SIMS_PER_ID;
  if (/^\d+$/.test(given) && Number(given) >= 1 && Number(given) <= MAX_SIMS_PER_ID_LIMIT) return Number(given);
  problems.push(
    `MAX_SIMS_PER_ID must be a whole number from 1 to ${MAX_SIMS_PER_ID_LIMIT} (the active or pending SIM cards one id number may hold), not "${given.slice(0, 40)}"`,
  );
  return DEFAULT_MAX_SIMS_PER_ID;
}

/** `https://app.example.com,http://localhost:5173`: origins only (scheme, host, optional port), no wildcard. */
function parseCorsOrigins(given: string | undefined, problems: string[]): string[] {
  if (given === undefined) return [];
  const origins = given.split(',').map((o) => o.trim()).filter((o) => o !== '');
  const bad = origins.filter((o) => !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(o));
  if (bad.length > 0 || origins.length === 0) {
    problems.push(
      `CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com or http://localhost:5173 (no path, no "*")${
        bad.length > 0 ? `; not an origin: ${bad.map((o) => `"${o.slice(0, 80)}"`).join(', ')}` : ''
      }`,
    );
    return [];
  }
  return [...new Set(origins.map((o) => o.toLowerCase()))];
}

function parseAuditConfig(every: string | undefined, formerKeys: string | undefined, problems: string[]): AuditConfig {
  let checkpointEvery = DEFAULT_AUDIT_CHECKPOINT_EVERY;
  if (every !== undefined) {
    if (/^\d+$/.test(every) && Number(every) >= 1 && Number(every) <= 10_000_000) checkpointEvery = Number(every);
    else problems.push('AUDIT_CHECKPOINT_EVERY must be a whole number of events from 1 to 10000000');
  }
  let formerPublicKeysPem: string[] = [];
  if (formerKeys !== undefined) {
    try {
      formerPublicKeysPem = auditPublicKeysFrom(formerKeys).map((key) => key.export({ type: 'spki', format: 'pem' }).toString());
    } catch (error) {
      problems.push(`AUDIT_PUBLIC_KEYS ${(error as Error).message}`);
    }
  }
  return { checkpointEvery, formerPublicKeysPem };
}
