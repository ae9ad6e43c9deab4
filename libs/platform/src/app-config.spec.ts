import { PRODUCTION_SECRETS } from './testing/production-secrets';

/** The production secrets without the token secret (for a service that verifies an identity provider's tokens). */
function withoutJwtSecret(): Record<string, string> {
  const { AUTH_JWT_SECRET: _secret, ...rest } = PRODUCTION_SECRETS;
  return rest;
}
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError, loadAppConfig } from './app-config';

describe('loadAppConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-config-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('given nothing but a DATA_DIR, runs the embedded default and generates keys there', () => {
    const config = loadAppConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 3000,
      dataDir,
      production: false,
      eventStore: { kind: 'sqlite' },
      readStore: { kind: 'sqlite' },
      logLevel: 'info',
    });
    expect([...config.generatedKeys].sort()).toEqual(['AUDIT_SIGNING_KEY', 'AUTH_JWT_SECRET', 'CARD_CVK', 'PAN_FINGERPRINT_KEY', 'PII_LOOKUP_KEY', 'PII_MASTER_KEY']);
    expect(config.audit).toEqual({ checkpointEvery: 1000, formerPublicKeysPem: [] });
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(true);
    expect(loadAppConfig({ DATA_DIR: dataDir }).keys).toEqual(config.keys);
    expect(config.auth).toEqual({ algorithm: 'HS256', secret: config.keys.authJwtSecret, source: 'data-dir' });
    expect(config.rateLimit).toEqual({ perMinute: 1200, perIpPerMinute: 600 });
    expect(config.corsOrigins).toEqual([]);
  });

  it('given production without keys, refuses to start and names each missing key', () => {
    const attempt = () => loadAppConfig({ DATA_DIR: dataDir, NODE_ENV: 'production' });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/CARD_CVK/);
    expect(attempt).toThrow(/PAN_FINGERPRINT_KEY/);
    expect(attempt).toThrow(/AUTH_JWT_SECRET \(or AUTH_JWT_PUBLIC_KEY\)/);
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
  });

  it('given production with keys, starts and writes no key file', () => {
    const config = loadAppConfig({
      DATA_DIR: dataDir,
      ...PRODUCTION_SECRETS,
    });
    expect(config.production).toBe(true);
    expect(config.generatedKeys).toEqual([]);
    expect(config.auth).toEqual({ algorithm: 'HS256', secret: 'cd'.repeat(32), source: 'environment' });
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  describe('how tokens are verified', () => {
    const rsaPublicKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const edPublicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

    it('given AUTH_JWT_PUBLIC_KEY as PEM text, verifies RS256 for an RSA key and generates no token secret', () => {
      const config = loadAppConfig({ DATA_DIR: dataDir, AUTH_JWT_PUBLIC_KEY: rsaPublicKey });
      expect(config.auth).toEqual({ algorithm: 'RS256', publicKeyPem: rsaPublicKey.trim(), source: 'environment' });
      expect(config.generatedKeys).not.toContain('AUTH_JWT_SECRET');
      expect(config.keys.authJwtSecret).toBeUndefined();
    });

    it('given AUTH_JWT_PUBLIC_KEY as the path of a PEM file, or with its newlines written as \\n, verifies EdDSA for an Ed25519 key', () => {
      const file = path.join(dataDir, 'idp.pem');
      fs.writeFileSync(file, edPublicKey);
      expect(loadAppConfig({ DATA_DIR: dataDir, AUTH_JWT_PUBLIC_KEY: file }).auth).toMatchObject({ algorithm: 'EdDSA', publicKeyPem: edPublicKey });
      const oneLine = edPublicKey.trim().replace(/\n/g, '\\n');
      expect(loadAppConfig({ DATA_DIR: dataDir, AUTH_JWT_PUBLIC_KEY: oneLine }).auth).toMatchObject({ algorithm: 'EdDSA' });
    });

    it('given production and a public key, needs no token secret', () => {
      const config = loadAppConfig({
        DATA_DIR: dataDir,
        ...withoutJwtSecret(),
        AUTH_JWT_PUBLIC_KEY: edPublicKey,
      });
      expect(config.auth.algorithm).toBe('EdDSA');
      expect(fs.readdirSync(dataDir)).toEqual([]);
    });

    it('refuses both at once, a short secret, a missing file, a private key and something that is no key', () => {
      const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const cases: [Record<string, string>, RegExp][] = [
        [{ AUTH_JWT_SECRET: 'ab'.repeat(32), AUTH_JWT_PUBLIC_KEY: rsaPublicKey }, /Set either AUTH_JWT_SECRET \(HS256\) or AUTH_JWT_PUBLIC_KEY \(RS256 \/ EdDSA\), not both/],
        [{ AUTH_JWT_SECRET: 'too short' }, /AUTH_JWT_SECRET must be at least 32 bytes/],
        [{ AUTH_JWT_PUBLIC_KEY: path.join(dataDir, 'missing.pem') }, /AUTH_JWT_PUBLIC_KEY must be a PEM public key or the path of a file holding one; cannot read .*missing\.pem: ENOENT/],
        [{ AUTH_JWT_PUBLIC_KEY: privateKey }, /AUTH_JWT_PUBLIC_KEY holds a private key/],
        [{ AUTH_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }, /AUTH_JWT_PUBLIC_KEY is not a readable PEM public key/],
      ];
      for (const [env, message] of cases) {
        let error: Error | undefined;
        try {
          loadAppConfig({ DATA_DIR: dataDir, ...env });
        } catch (e) {
          error = e as Error;
        }
        expect(error).toBeInstanceOf(ConfigurationError);
        expect(error?.message).toMatch(message);
        expect(error?.message).not.toContain('PRIVATE KEY');
      }
    });
  });

  it('reads how often to sign audit checkpoints and the former audit public keys, and refuses bad ones', () => {
    const former = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const config = loadAppConfig({ DATA_DIR: dataDir, AUDIT_CHECKPOINT_EVERY: '250', AUDIT_PUBLIC_KEYS: former.trim().replace(/\n/g, '\\n') });
    expect(config.audit).toEqual({ checkpointEvery: 250, formerPublicKeysPem: [former] });
    const refused = (env: Record<string, string>): string => {
      try {
        loadAppConfig({ DATA_DIR: dataDir, ...env });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };
    expect(refused({ AUDIT_CHECKPOINT_EVERY: '0' })).toMatch(/AUDIT_CHECKPOINT_EVERY must be a whole number of events from 1 to 10000000/);
    expect(refused({ AUDIT_CHECKPOINT_EVERY: '1.5' })).toMatch(/AUDIT_CHECKPOINT_EVERY must be a whole number/);
    expect(refused({ AUDIT_PUBLIC_KEYS: 'not a key' })).toMatch(/AUDIT_PUBLIC_KEYS must hold one or more PEM public keys/);
    expect(refused({ AUDIT_SIGNING_KEY: 'ab'.repeat(16) })).toMatch(/AUDIT_SIGNING_KEY must be an Ed25519 private key.*got a value of 32 characters/);
  });

  it('reads the rate limits and the CORS origins, and refuses bad ones', () => {
    const config = loadAppConfig({
      DATA_DIR: dataDir,
      RATE_LIMIT_PER_MINUTE: '300',
      RATE_LIMIT_PER_IP_PER_MINUTE: '60',
      CORS_ORIGINS: 'https://back-office.example.com, http://localhost:5173',
    });
    expect(config.rateLimit).toEqual({ perMinute: 300, perIpPerMinute: 60 });
    expect(config.corsOrigins).toEqual(['https://back-office.example.com', 'http://localhost:5173']);
    for (const [env, message] of [
      [{ RATE_LIMIT_PER_MINUTE: '0' }, /RATE_LIMIT_PER_MINUTE must be a whole number of requests per minute from 1/],
      [{ RATE_LIMIT_PER_IP_PER_MINUTE: 'lots' }, /RATE_LIMIT_PER_IP_PER_MINUTE must be a whole number/],
      [{ CORS_ORIGINS: '*' }, /CORS_ORIGINS must be a comma-separated list of origins .*not an origin: "\*"/],
      [{ CORS_ORIGINS: 'https://app.example.com/path' }, /not an origin: "https:\/\/app\.example\.com\/path"/],
    ] as const) {
      expect(() => loadAppConfig({ DATA_DIR: dataDir, ...env })).toThrow(message);
    }
  });

  it('reads MAX_SIMS_PER_ID (default 5) and refuses anything but a whole number from 1 to 1000', () => {
    expect(loadAppConfig({ DATA_DIR: dataDir }).maxSimsPerId).toBe(5);
    expect(loadAppConfig({ DATA_DIR: dataDir, MAX_SIMS_PER_ID: ' 3 ' }).maxSimsPerId).toBe(3);
    expect(loadAppConfig({ DATA_DIR: dataDir, MAX_SIMS_PER_ID: '1000' }).maxSimsPerId).toBe(1000);
    for (const bad of ['0', '-1', '2.5', 'five', '1e3', '1001']) {
      expect(() => loadAppConfig({ DATA_DIR: dataDir, MAX_SIMS_PER_ID: bad })).toThrow(
        `MAX_SIMS_PER_ID must be a whole number from 1 to 1000 (the active or pending SIM cards one id number may hold), not "${bad}"`,
      );
    }
  });

  it('reads NOTIFY_QUIET_HOURS (default 22:00-08:00, in minutes of the day) and refuses a malformed one', () => {
    expect(loadAppConfig({ DATA_DIR: dataDir }).quietHours).toEqual({ start: 22 * 60, end: 8 * 60 });
    expect(loadAppConfig({ DATA_DIR: dataDir, NOTIFY_QUIET_HOURS: '23:30-07:00' }).quietHours).toEqual({ start: 23 * 60 + 30, end: 7 * 60 });
    expect(() => loadAppConfig({ DATA_DIR: dataDir, NOTIFY_QUIET_HOURS: '10pm-8am' })).toThrow(ConfigurationError);
    expect(() => loadAppConfig({ DATA_DIR: dataDir, NOTIFY_QUIET_HOURS: '22:00-22:00' })).toThrow(/NOTIFY_QUIET_HOURS must be "HH:MM-HH:MM"/);
  });

  it('reads the notification channels (none by default) and refuses bad ones without echoing secrets', () => {
    expect(loadAppConfig({ DATA_DIR: dataDir }).notificationChannels).toEqual({});
    const config = loadAppConfig({ DATA_DIR: dataDir, SMS_GATEWAY_URL: 'https://sms.example.com', WEBHOOK_URLS: 'https://hooks.internal/cards', WEBHOOK_SECRET: 'w'.repeat(40) });
    expect(config.notificationChannels).toMatchObject({ sms: { url: 'https://sms.example.com', timeoutMs: 3000, retries: 2 }, webhooks: { urls: ['https://hooks.internal/cards'] } });
    let error: unknown;
    try {
      loadAppConfig({ DATA_DIR: dataDir, SMTP_URL: 'smtp://u:pw-secret-1@', WEBHOOK_URLS: 'https://hooks.internal/cards', WEBHOOK_SECRET: 'short-pw-2' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain('SMTP_URL must be smtp://');
    expect(message).toContain('WEBHOOK_SECRET must be at least 32 bytes');
    expect(message).not.toContain('pw-secret-1');
    expect(message).not.toContain('short-pw-2');
  });

  it('reports every bad variable at once', () => {
    try {
      loadAppConfig({
        DATA_DIR: dataDir,
        PORT: 'eighty',
        EVENT_STORE: 'postgres',
        READ_STORE: 'mongodb',
        LOG_LEVEL: 'loud',
        IDENTITY_FACE_PASS_SCORE: '2',
        CARD_CVK: 'not-hex',
      });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      for (const name of ['PORT', 'EVENT_STORE', 'MONGODB_URL', 'LOG_LEVEL', 'IDENTITY_FACE_PASS_SCORE', 'CARD_CVK']) {
        expect(message).toContain(name);
      }
      expect(message).not.toContain('not-hex');
    }
  });

  it('switches each backend with one variable and checks its connection string', () => {
    const config = loadAppConfig({
      DATA_DIR: dataDir,
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      READ_STORE: 'mongodb',
      MONGODB_URL: 'mongodb://localhost:27017/cards?directConnection=true',
    });
    expect(config.eventStore).toEqual({ kind: 'eventstoredb', connectionString: 'esdb://localhost:2113?tls=false' });
    expect(config.readStore).toEqual({ kind: 'mongodb', url: 'mongodb://localhost:27017/cards?directConnection=true' });
    expect(() => loadAppConfig({ DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_CONNECTION_STRING is required/);
    expect(() =>
      loadAppConfig({ DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'kurrentdb://x' }),
    ).toThrow(/must start with esdb:\/\//);
  });
});
