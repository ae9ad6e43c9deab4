import { randomBytes } from 'node:crypto';
import { MasterKeyRing } from './pii/envelope';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hs256SecretProblem } from './auth/token-keys';
import { generateAuditSigningKey, isAuditSigningKey } from './audit-signing-key';

/** The secrets the embedded default needs. */
export interface SecretKeys {
  /** Card verification key for the Visa CVV algorithm: 32 hex characters (key A then key B). */
  cardCvk: string;
  /** HMAC key for card-number fingerprints and card ids: at least 64 hex characters (32 bytes). */
  panFingerprintKey: string;
  /**
   * HS256 secret that signs and verifies bearer tokens (at least 32 bytes). Absent when tokens are verified with
   * the identity provider's public key (AUTH_JWT_PUBLIC_KEY) instead.
   */
  authJwtSecret?: string;
  /** The master key ring that wraps customers' data keys (PII_MASTER_KEY: `id:<64 hex>,…` or one 64-hex key). */
  piiMasterKey: string;
  /**
   * HMAC key of the lookup hashes kept in read models, so that a customer can be found by exact phone, id number
   * or e-mail without keeping them (PII_LOOKUP_KEY, at least 64 hex). Stable: changing it means rebuilding the
   * customers read model.
   */
  piiLookupKey: string;
  /**
   * The Ed25519 private key that signs audit checkpoints (AUDIT_SIGNING_KEY): PKCS#8 PEM text (newlines possibly
   * written `\n`) or 64 hex, its 32-byte seed. Read it with auditSigningKeyFrom.
   */
  auditSigningKey: string;
}

export interface ResolveSecretKeysOptions {
  env: Record<string, string | undefined>;
  /** Where development keys are kept (`<dataDir>/secrets.json`). Not touched in production. */
  dataDir: string;
  /** In production every secret must come from the environment. */
  production: boolean;
}

export interface ResolvedSecretKeys {
  keys: SecretKeys;
  /** Names of the variables whose values were generated just now (development only), e.g. ['CARD_CVK']. */
  generated: string[];
  /** 'env': all from the environment; 'file': all from the secrets file (including just-generated ones); else 'mixed'. */
  loadedFrom: 'env' | 'file' | 'mixed';
  /** The secrets file, when it was read or written. */
  file?: string;
}

export const SECRETS_FILE_NAME = 'secrets.json';

interface SecretSpec {
  readonly field: keyof SecretKeys;
  readonly variable: 'CARD_CVK' | 'PAN_FINGERPRINT_KEY' | 'AUTH_JWT_SECRET' | 'PII_MASTER_KEY' | 'PII_LOOKUP_KEY' | 'AUDIT_SIGNING_KEY';
  readonly valid: (value: string) => boolean;
  readonly format: string;
  readonly generate: () => string;
  /** Another variable that makes this secret unnecessary when set: it is then neither required nor generated. */
  readonly notNeededWith?: string;
}

const SPECS: readonly SecretSpec[] = [
  {
    field: 'cardCvk',
    variable: 'CARD_CVK',
    valid: (v) => /^[0-9a-fA-F]{32}$/.test(v),
    format: 'exactly 32 hexadecimal characters (a double-length DES key: key A then key B)',
    generate: () => randomBytes(16).toString('hex').toUpperCase(),
  },
  {
    field: 'panFingerprintKey',
    variable: 'PAN_FINGERPRINT_KEY',
    valid: (v) => v.length >= 64 && /^(?:[0-9a-fA-F]{2})+$/.test(v),
    format: 'at least 64 hexadecimal characters, an even number (32 bytes or more)',
    generate: () => randomBytes(32).toString('hex'),
  },
  {
    field: 'authJwtSecret',
    variable: 'AUTH_JWT_SECRET',
    valid: (v) => hs256SecretProblem(v) === undefined,
    format: 'at least 32 bytes (e.g. 64 hexadecimal characters)',
    generate: () => randomBytes(32).toString('hex'),
    notNeededWith: 'AUTH_JWT_PUBLIC_KEY',
  },
  {
    field: 'piiMasterKey',
    variable: 'PII_MASTER_KEY',
    valid: (v) => {
      try {
        MasterKeyRing.parse(v);
        return true;
      } catch {
        return false;
      }
    },
    format: '64 hexadecimal characters, or a ring "k2:<64 hex>,k1:<64 hex>" (the first wraps new keys)',
    generate: () => randomBytes(32).toString('hex'),
  },
  {
    field: 'piiLookupKey',
    variable: 'PII_LOOKUP_KEY',
    valid: (v) => v.length >= 64 && /^(?:[0-9a-fA-F]{2})+$/.test(v),
    format: 'at least 64 hexadecimal characters, an even number (32 bytes or more)',
    generate: () => randomBytes(32).toString('hex'),
  },
  {
    field: 'auditSigningKey',
    variable: 'AUDIT_SIGNING_KEY',
    valid: isAuditSigningKey,
    format: 'an Ed25519 private key: PKCS#8 PEM text (newlines may be written \\n) or 64 hexadecimal characters (its 32-byte seed)',
    generate: generateAuditSigningKey,
  },
];

function isSet(env: Record<string, string | undefined>, name: string): boolean {
  return (env[name]?.trim() ?? '') !== '';
}

/** Never includes the value: only its length, which is what is usually wrong. */
function invalidValue(source: string, spec: SecretSpec, value: unknown): Error {
  const got = typeof value === 'string' ? `a value of ${value.length} characters` : `a ${value === null ? 'null' : typeof value}`;
  return new Error(`${source} must be ${spec.format}; got ${got}`);
}

function fromEnv(env: Record<string, string | undefined>, spec: SecretSpec): string | undefined {
  const raw = env[spec.variable];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === '') return undefined;
  if (!spec.valid(value)) throw invalidValue(spec.variable, spec, value);
  return value;
}

type FileSecrets = Partial<Record<SecretSpec['variable'], string>>;

function readSecretsFile(file: string): FileSecrets | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which holds keys: say only where the problem is.
    throw new Error(`${file} is not valid JSON; fix or delete it (new development keys will be generated)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file} must hold a JSON object; fix or delete it (new development keys will be generated)`);
  }
  const record = parsed as Record<string, unknown>;
  const out: FileSecrets = {};
  for (const spec of SPECS) {
    const value = record[spec.variable];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !spec.valid(value.trim())) {
      throw invalidValue(`${spec.variable} in ${file}`, spec, typeof value === 'string' ? value.trim() : value);
    }
    out[spec.variable] = value.trim();
  }
  return out;
}

function serialise(secrets: FileSecrets): string {
  return `${JSON.stringify(
    {
      _comment:
        'Development keys generated by the card service. Never use them in production: set CARD_CVK, PAN_FINGERPRINT_KEY, PII_MASTER_KEY, PII_LOOKUP_KEY, AUDIT_SIGNING_KEY and AUTH_JWT_SECRET (or AUTH_JWT_PUBLIC_KEY) in the environment.',
      ...secrets,
    },
    null,
    2,
  )}\n`;
}

/** Writes `content` to a new file beside `file` with mode 0600, flushed to disk. Returns its path. */
function writeTemp(file: string, content: string): string {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // the umask may have taken bits away; make it exactly 0600
    fs.writeFileSync(fd, content, 'utf8');
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  return temp;
}

/**
 * Puts `content` at `file` atomically. When the file did not exist, it is created only if still absent (hard link),
 * so that two processes starting together cannot each keep keys the other overwrote: returns false if another
 * process created it first. Otherwise the file is replaced (rename).
 */
function writeAtomically(file: string, content: string, createOnly: boolean): boolean {
  const temp = writeTemp(file, content);
  try {
    if (createOnly) {
      try {
        fs.linkSync(temp, file);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
        // The file system has no hard links: fall back to a plain rename.
      }
    }
    fs.renameSync(temp, file);
    return true;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Finds the service's secrets.
 *
 * Each comes from its environment variable when set (validated; the environment always wins). In production a
 * missing one is an error naming every missing variable. In development a missing one is read from
 * `<dataDir>/secrets.json`, or generated and saved there (mode 0600, written atomically) so that restarts keep the
 * same keys; `generated` lists the variables generated this time. Key values never appear in errors.
 * AUTH_JWT_SECRET is not needed, and so neither required nor generated, when AUTH_JWT_PUBLIC_KEY is set.
 */
export function resolveSecretKeys({ env, dataDir, production }: ResolveSecretKeysOptions): ResolvedSecretKeys {
  const needed = SPECS.filter((spec) => spec.notNeededWith === undefined || !isSet(env, spec.notNeededWith));
  const fromEnvironment = new Map<SecretSpec, string>();
  for (const spec of needed) {
    const value = fromEnv(env, spec);
    if (value !== undefined) fromEnvironment.set(spec, value);
  }
  const missing = needed.filter((spec) => !fromEnvironment.has(spec));

  if (missing.length === 0) {
    return { keys: toKeys(fromEnvironment), generated: [], loadedFrom: 'env' };
  }
  if (production) {
    const names = missing.map((s) => (s.notNeededWith ? `${s.variable} (or ${s.notNeededWith})` : s.variable));
    throw new Error(`Missing required secrets in production: ${names.join(', ')}. Set them in the environment (see README, Configuration).`);
  }

  const file = path.join(dataDir, SECRETS_FILE_NAME);
  // Two rounds at most: if another process creates the file between our read and our write, use its keys.
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = readSecretsFile(file);
    const stored: FileSecrets = { ...existing };
    const generated: string[] = [];
    for (const spec of missing) {
      if (stored[spec.variable] === undefined) {
        stored[spec.variable] = spec.generate();
        generated.push(spec.variable);
      }
    }
    if (generated.length > 0) {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      if (!writeAtomically(file, serialise(stored), existing === undefined)) continue;
    }
    const values = new Map(fromEnvironment);
    for (const spec of missing) values.set(spec, stored[spec.variable]!);
    return {
      keys: toKeys(values),
      generated,
      loadedFrom: fromEnvironment.size === 0 ? 'file' : 'mixed',
      file,
    };
  }
  throw new Error(`${file} keeps changing while the service starts; is another process rewriting it?`);
}

function toKeys(values: ReadonlyMap<SecretSpec, string>): SecretKeys {
  const keys = {} as SecretKeys;
  for (const [spec, value] of values) keys[spec.field] = value;
  return keys;
}
