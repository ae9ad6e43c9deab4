import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SECRETS_FILE_NAME, resolveSecretKeys } from './keys';

const CVK = '0123456789ABCDEFFEDCBA9876543210';
const PAN_KEY = 'a1b2c3d4'.repeat(8);
const JWT_SECRET = 'jwt-secret-of-at-least-32-bytes!';
const PII_KEY = 'c0ffee11'.repeat(8);
const LOOKUP_KEY = 'beef0022'.repeat(8);
const AUDIT_KEY = '5eed0033'.repeat(8);
const ALL = { CARD_CVK: CVK, PAN_FINGERPRINT_KEY: PAN_KEY, AUTH_JWT_SECRET: JWT_SECRET, PII_MASTER_KEY: PII_KEY, PII_LOOKUP_KEY: LOOKUP_KEY, AUDIT_SIGNING_KEY: AUDIT_KEY };
const ALL_KEYS = { cardCvk: CVK, panFingerprintKey: PAN_KEY, authJwtSecret: JWT_SECRET, piiMasterKey: PII_KEY, piiLookupKey: LOOKUP_KEY, auditSigningKey: AUDIT_KEY };

describe('resolveSecretKeys', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cards-security-keys-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const dataDir = (): string => path.join(dir, 'data', 'nested');
  const secretsFile = (): string => path.join(dataDir(), SECRETS_FILE_NAME);

  describe('in production', () => {
    it('takes every key from the environment and touches no file', () => {
      const result = resolveSecretKeys({ env: ALL, dataDir: dataDir(), production: true });
      expect(result).toEqual({ keys: ALL_KEYS, generated: [], loadedFrom: 'env' });
      expect(fs.existsSync(dataDir())).toBe(false);
    });

    it('refuses to start without them, naming every missing variable', () => {
      expect(() => resolveSecretKeys({ env: {}, dataDir: dataDir(), production: true })).toThrow(
        'Missing required secrets in production: CARD_CVK, PAN_FINGERPRINT_KEY, AUTH_JWT_SECRET (or AUTH_JWT_PUBLIC_KEY), PII_MASTER_KEY, PII_LOOKUP_KEY, AUDIT_SIGNING_KEY. ' +
          'Set them in the environment (see README, Configuration).',
      );
      expect(fs.existsSync(dataDir())).toBe(false);
    });

    it('needs no token secret when tokens are verified with a public key', () => {
      const result = resolveSecretKeys({
        env: { CARD_CVK: CVK, PAN_FINGERPRINT_KEY: PAN_KEY, PII_MASTER_KEY: PII_KEY, PII_LOOKUP_KEY: LOOKUP_KEY, AUDIT_SIGNING_KEY: AUDIT_KEY, AUTH_JWT_PUBLIC_KEY: '/etc/cards/idp.pem' },
        dataDir: dataDir(),
        production: true,
      });
      expect(result).toEqual({ keys: { cardCvk: CVK, panFingerprintKey: PAN_KEY, piiMasterKey: PII_KEY, piiLookupKey: LOOKUP_KEY, auditSigningKey: AUDIT_KEY }, generated: [], loadedFrom: 'env' });
      expect(result.keys.authJwtSecret).toBeUndefined();
      expect(() => resolveSecretKeys({ env: { AUTH_JWT_PUBLIC_KEY: '/etc/cards/idp.pem' }, dataDir: dataDir(), production: true })).toThrow(
        /^Missing required secrets in production: CARD_CVK, PAN_FINGERPRINT_KEY, PII_MASTER_KEY, PII_LOOKUP_KEY, AUDIT_SIGNING_KEY\./,
      );
    });

    it('names only the missing one, and never a key value', () => {
      let message = '';
      try {
        resolveSecretKeys({ env: { ...ALL, PAN_FINGERPRINT_KEY: '  ' }, dataDir: dataDir(), production: true });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^Missing required secrets in production: PAN_FINGERPRINT_KEY\./);
      expect(message).not.toMatch(/CARD_CVK/);
      expect(message).not.toContain(CVK);
      expect(message).not.toMatch(/[0-9a-fA-F]{16}/);
    });

    it('does not fall back to a development secrets file', () => {
      resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false });
      expect(() => resolveSecretKeys({ env: {}, dataDir: dataDir(), production: true })).toThrow(/CARD_CVK, PAN_FINGERPRINT_KEY/);
    });
  });

  describe('in development', () => {
    it('generates every key into <dataDir>/secrets.json (mode 0600), and loads the same keys next time', () => {
      const first = resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false });
      expect(first.generated).toEqual(['CARD_CVK', 'PAN_FINGERPRINT_KEY', 'AUTH_JWT_SECRET', 'PII_MASTER_KEY', 'PII_LOOKUP_KEY', 'AUDIT_SIGNING_KEY']);
      expect(first.loadedFrom).toBe('file');
      expect(first.file).toBe(secretsFile());
      expect(first.keys.cardCvk).toMatch(/^[0-9A-F]{32}$/);
      expect(first.keys.panFingerprintKey).toMatch(/^[0-9a-f]{64}$/);
      expect(first.keys.authJwtSecret).toMatch(/^[0-9a-f]{64}$/);

      if (process.platform !== 'win32') {
        expect(fs.statSync(secretsFile()).mode & 0o777).toBe(0o600);
      }
      const stored = JSON.parse(fs.readFileSync(secretsFile(), 'utf8'));
      expect(stored).toMatchObject({
        CARD_CVK: first.keys.cardCvk,
        PAN_FINGERPRINT_KEY: first.keys.panFingerprintKey,
        AUTH_JWT_SECRET: first.keys.authJwtSecret,
      });
      // Written via a temp file and a rename/link: no temp file is left behind.
      expect(fs.readdirSync(dataDir())).toEqual([SECRETS_FILE_NAME]);

      const second = resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false });
      expect(second).toEqual({ keys: first.keys, generated: [], loadedFrom: 'file', file: secretsFile() });
    });

    it('generates different keys in different data directories', () => {
      const a = resolveSecretKeys({ env: {}, dataDir: path.join(dir, 'a'), production: false });
      const b = resolveSecretKeys({ env: {}, dataDir: path.join(dir, 'b'), production: false });
      expect(a.keys.cardCvk).not.toBe(b.keys.cardCvk);
      expect(a.keys.panFingerprintKey).not.toBe(b.keys.panFingerprintKey);
      expect(a.keys.authJwtSecret).not.toBe(b.keys.authJwtSecret);
    });

    it('generates no token secret when tokens are verified with a public key', () => {
      const result = resolveSecretKeys({ env: { AUTH_JWT_PUBLIC_KEY: '/etc/cards/idp.pem' }, dataDir: dataDir(), production: false });
      expect(result.generated).toEqual(['CARD_CVK', 'PAN_FINGERPRINT_KEY', 'PII_MASTER_KEY', 'PII_LOOKUP_KEY', 'AUDIT_SIGNING_KEY']);
      expect(result.keys.authJwtSecret).toBeUndefined();
      expect(JSON.parse(fs.readFileSync(secretsFile(), 'utf8')).AUTH_JWT_SECRET).toBeUndefined();
    });

    it('adds a token secret to a secrets file written before tokens existed, keeping its keys', () => {
      fs.mkdirSync(dataDir(), { recursive: true });
      fs.writeFileSync(secretsFile(), JSON.stringify({ CARD_CVK: CVK, PAN_FINGERPRINT_KEY: PAN_KEY }), { mode: 0o600 });
      const result = resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false });
      expect(result.generated).toEqual(['AUTH_JWT_SECRET', 'PII_MASTER_KEY', 'PII_LOOKUP_KEY', 'AUDIT_SIGNING_KEY']);
      expect(result.keys).toEqual({ cardCvk: CVK, panFingerprintKey: PAN_KEY, authJwtSecret: expect.stringMatching(/^[0-9a-f]{64}$/), piiMasterKey: expect.stringMatching(/^[0-9a-f]{64}$/), piiLookupKey: expect.stringMatching(/^[0-9a-f]{64}$/), auditSigningKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false }).keys).toEqual(result.keys);
    });

    it('lets the environment win over the file', () => {
      const generated = resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false });
      const before = fs.readFileSync(secretsFile(), 'utf8');

      const all = resolveSecretKeys({ env: ALL, dataDir: dataDir(), production: false });
      expect(all).toEqual({ keys: ALL_KEYS, generated: [], loadedFrom: 'env' });

      const one = resolveSecretKeys({ env: { CARD_CVK: CVK }, dataDir: dataDir(), production: false });
      expect(one.keys).toEqual({ cardCvk: CVK, panFingerprintKey: generated.keys.panFingerprintKey, authJwtSecret: generated.keys.authJwtSecret, piiMasterKey: generated.keys.piiMasterKey, piiLookupKey: generated.keys.piiLookupKey, auditSigningKey: generated.keys.auditSigningKey });
      expect(one.loadedFrom).toBe('mixed');
      expect(one.generated).toEqual([]);

      expect(fs.readFileSync(secretsFile(), 'utf8')).toBe(before);
    });

    it('generates only what the environment lacks, and never writes an environment key to disk', () => {
      const result = resolveSecretKeys({ env: { CARD_CVK: CVK, AUTH_JWT_SECRET: JWT_SECRET, PII_MASTER_KEY: PII_KEY, PII_LOOKUP_KEY: LOOKUP_KEY, AUDIT_SIGNING_KEY: AUDIT_KEY }, dataDir: dataDir(), production: false });
      expect(result.generated).toEqual(['PAN_FINGERPRINT_KEY']);
      expect(result.loadedFrom).toBe('mixed');
      expect(result.keys.cardCvk).toBe(CVK);
      const text = fs.readFileSync(secretsFile(), 'utf8');
      expect(text).not.toContain(CVK);
      expect(text).not.toContain(JWT_SECRET);
      expect(JSON.parse(text).PAN_FINGERPRINT_KEY).toBe(result.keys.panFingerprintKey);
    });

    it('completes a file that lacks a key, keeping the one it has', () => {
      fs.mkdirSync(dataDir(), { recursive: true });
      fs.writeFileSync(secretsFile(), JSON.stringify({ CARD_CVK: CVK }), { mode: 0o600 });
      const result = resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false });
      expect(result.keys.cardCvk).toBe(CVK);
      expect(result.generated).toEqual(['PAN_FINGERPRINT_KEY', 'AUTH_JWT_SECRET', 'PII_MASTER_KEY', 'PII_LOOKUP_KEY', 'AUDIT_SIGNING_KEY']);
      expect(JSON.parse(fs.readFileSync(secretsFile(), 'utf8'))).toMatchObject({ CARD_CVK: CVK, PAN_FINGERPRINT_KEY: result.keys.panFingerprintKey });
    });

    it('refuses a corrupt secrets file without quoting it', () => {
      fs.mkdirSync(dataDir(), { recursive: true });
      fs.writeFileSync(secretsFile(), `{ "CARD_CVK": "${CVK}", oops`);
      expect(() => resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false })).toThrow(/is not valid JSON/);
      expect(() => resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false })).not.toThrow(new RegExp(CVK));
    });

    it('refuses an invalid key in the secrets file, naming it but not its value', () => {
      fs.mkdirSync(dataDir(), { recursive: true });
      fs.writeFileSync(secretsFile(), JSON.stringify({ CARD_CVK: CVK.slice(0, 30) }));
      expect(() => resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false })).toThrow(/^CARD_CVK in .*secrets\.json must be exactly 32 hexadecimal characters/);
      expect(() => resolveSecretKeys({ env: {}, dataDir: dataDir(), production: false })).not.toThrow(new RegExp(CVK.slice(0, 30)));
    });
  });

  describe('validation of the environment', () => {
    it.each([
      ['CARD_CVK', { CARD_CVK: CVK.slice(0, 31), PAN_FINGERPRINT_KEY: PAN_KEY }, /^CARD_CVK must be exactly 32 hexadecimal characters/],
      ['CARD_CVK', { CARD_CVK: `${CVK}00`, PAN_FINGERPRINT_KEY: PAN_KEY }, /^CARD_CVK must be exactly 32 hexadecimal characters/],
      ['CARD_CVK', { CARD_CVK: CVK.replace('A', 'G'), PAN_FINGERPRINT_KEY: PAN_KEY }, /^CARD_CVK must be exactly 32 hexadecimal characters/],
      ['PAN_FINGERPRINT_KEY', { CARD_CVK: CVK, PAN_FINGERPRINT_KEY: PAN_KEY.slice(0, 62) }, /^PAN_FINGERPRINT_KEY must be at least 64 hexadecimal characters/],
      ['PAN_FINGERPRINT_KEY', { CARD_CVK: CVK, PAN_FINGERPRINT_KEY: `${PAN_KEY}a` }, /^PAN_FINGERPRINT_KEY must be at least 64 hexadecimal characters, an even number/],
      ['PAN_FINGERPRINT_KEY', { CARD_CVK: CVK, PAN_FINGERPRINT_KEY: PAN_KEY.replace('a', 'x') }, /^PAN_FINGERPRINT_KEY must be at least 64 hexadecimal characters/],
      ['AUTH_JWT_SECRET', { ...ALL, AUTH_JWT_SECRET: 'short-secret-of-31-bytes-000000' }, /^AUTH_JWT_SECRET must be at least 32 bytes \(e\.g\. 64 hexadecimal characters\); got a value of 31 characters/],
      ['AUDIT_SIGNING_KEY', { ...ALL, AUDIT_SIGNING_KEY: AUDIT_KEY.slice(0, 62) }, /^AUDIT_SIGNING_KEY must be an Ed25519 private key: PKCS#8 PEM text .* or 64 hexadecimal characters/],
    ])('rejects an invalid %s with a clear error that does not contain it', (_name, env, message) => {
      for (const production of [true, false]) {
        let error: Error | undefined;
        try {
          resolveSecretKeys({ env, dataDir: dataDir(), production });
        } catch (e) {
          error = e as Error;
        }
        expect(error?.message).toMatch(message);
        for (const value of Object.values(env)) expect(error?.message).not.toContain(value.slice(0, 16));
      }
      expect(fs.existsSync(dataDir())).toBe(false);
    });

    it('accepts either case and surrounding whitespace', () => {
      const result = resolveSecretKeys({
        env: { CARD_CVK: ` ${CVK.toLowerCase()}\n`, PAN_FINGERPRINT_KEY: PAN_KEY.toUpperCase(), AUTH_JWT_SECRET: ` ${JWT_SECRET} `, PII_MASTER_KEY: ` ${PII_KEY.toUpperCase()} `, PII_LOOKUP_KEY: LOOKUP_KEY, AUDIT_SIGNING_KEY: ` ${AUDIT_KEY.toUpperCase()} ` },
        dataDir: dataDir(),
        production: true,
      });
      expect(result.keys).toEqual({ cardCvk: CVK.toLowerCase(), panFingerprintKey: PAN_KEY.toUpperCase(), authJwtSecret: JWT_SECRET, piiMasterKey: PII_KEY.toUpperCase(), piiLookupKey: LOOKUP_KEY, auditSigningKey: AUDIT_KEY.toUpperCase() });
    });
  });
});
