import { PRODUCTION_SECRETS } from '../testing/production-secrets';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError, loadAppConfig } from '../app-config';

describe('identity provider and threshold configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-identity-config-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const load = (env: Record<string, string>) => loadAppConfig({ DATA_DIR: dataDir, ...env });
  /** The problems a configuration is refused for. */
  const problems = (env: Record<string, string>): readonly string[] => {
    try {
      load(env);
    } catch (error) {
      if (error instanceof ConfigurationError) return error.problems;
      throw error;
    }
    throw new Error('the configuration was accepted');
  };

  it('given nothing: no provider, the documented timeouts, and the default thresholds per method', () => {
    expect(load({}).identity).toEqual({
      provider: { timeoutMs: 3000, retries: 2, deadlineMs: 10_000 },
      thresholds: { FACE: { pass: 0.8, review: 0.6 }, FINGERPRINT: { pass: 0.9, review: 0.75 } },
    });
  });

  it('given every variable: reads each, dropping the trailing slash of the URL', () => {
    const config = load({
      IDENTITY_PROVIDER_URL: 'https://identity.example.com/api/',
      IDENTITY_PROVIDER_TOKEN: 'tok_0123456789',
      IDENTITY_PROVIDER_TIMEOUT_MS: '1500',
      IDENTITY_PROVIDER_RETRIES: '0',
      IDENTITY_PROVIDER_DEADLINE_MS: '4000',
      IDENTITY_FACE_PASS_SCORE: '0.85',
      IDENTITY_FACE_REVIEW_SCORE: '0.7',
      IDENTITY_FINGERPRINT_PASS_SCORE: '1',
      IDENTITY_FINGERPRINT_REVIEW_SCORE: '0.95',
    });
    expect(config.identity).toEqual({
      provider: { url: 'https://identity.example.com/api', token: 'tok_0123456789', timeoutMs: 1500, retries: 0, deadlineMs: 4000 },
      thresholds: { FACE: { pass: 0.85, review: 0.7 }, FINGERPRINT: { pass: 1, review: 0.95 } },
    });
  });

  it('allows review equal to pass (no review band) and thresholds of 0', () => {
    expect(load({ IDENTITY_FACE_PASS_SCORE: '0.7', IDENTITY_FACE_REVIEW_SCORE: '0.7' }).identity.thresholds.FACE).toEqual({ pass: 0.7, review: 0.7 });
    expect(load({ IDENTITY_FACE_PASS_SCORE: '0', IDENTITY_FACE_REVIEW_SCORE: '0' }).identity.thresholds.FACE).toEqual({ pass: 0, review: 0 });
  });

  it('allows plain http in production only on this host', () => {
    const keys = {
      ...PRODUCTION_SECRETS,
    };
    expect(load({ ...keys, IDENTITY_PROVIDER_URL: 'http://localhost:8089' }).identity.provider.url).toBe('http://localhost:8089');
    expect(load({ ...keys, IDENTITY_PROVIDER_URL: 'https://identity.example.com' }).identity.provider.url).toBe('https://identity.example.com');
    expect(problems({ ...keys, IDENTITY_PROVIDER_URL: 'http://identity.example.com' })).toEqual([
      'IDENTITY_PROVIDER_URL must use https:// with NODE_ENV=production (it carries biometric samples and id numbers)',
    ]);
  });

  it.each([
    [{ IDENTITY_PROVIDER_URL: 'identity.example.com' }, 'IDENTITY_PROVIDER_URL must be an http:// or https:// URL, e.g. https://identity.example.com'],
    [{ IDENTITY_PROVIDER_URL: 'ftp://identity.example.com' }, 'IDENTITY_PROVIDER_URL must be an http:// or https:// URL, e.g. https://identity.example.com'],
    [{ IDENTITY_PROVIDER_URL: 'https://identity.example.com/?tenant=7' }, 'IDENTITY_PROVIDER_URL must not have a query or a fragment: give the base URL, to which /v1/comparisons is added'],
    [{ IDENTITY_PROVIDER_TIMEOUT_MS: '3s' }, 'IDENTITY_PROVIDER_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000'],
    [{ IDENTITY_PROVIDER_TIMEOUT_MS: '0' }, 'IDENTITY_PROVIDER_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000'],
    [{ IDENTITY_PROVIDER_RETRIES: '-1' }, 'IDENTITY_PROVIDER_RETRIES must be a whole number of retries from 0 to 10'],
    [{ IDENTITY_PROVIDER_RETRIES: '11' }, 'IDENTITY_PROVIDER_RETRIES must be a whole number of retries from 0 to 10'],
    [{ IDENTITY_PROVIDER_DEADLINE_MS: '1000000' }, 'IDENTITY_PROVIDER_DEADLINE_MS must be a whole number of milliseconds from 1 to 300000'],
    [{ IDENTITY_PROVIDER_DEADLINE_MS: '2000' }, 'IDENTITY_PROVIDER_DEADLINE_MS (2000) must not be shorter than IDENTITY_PROVIDER_TIMEOUT_MS (3000)'],
    [{ IDENTITY_FACE_PASS_SCORE: '80%' }, 'IDENTITY_FACE_PASS_SCORE must be a number from 0 to 1, such as 0.85'],
    [{ IDENTITY_FACE_REVIEW_SCORE: '1.2' }, 'IDENTITY_FACE_REVIEW_SCORE must be a number from 0 to 1, such as 0.85'],
    [{ IDENTITY_FINGERPRINT_PASS_SCORE: 'high' }, 'IDENTITY_FINGERPRINT_PASS_SCORE must be a number from 0 to 1, such as 0.85'],
    [{ IDENTITY_FINGERPRINT_REVIEW_SCORE: '-0.1' }, 'IDENTITY_FINGERPRINT_REVIEW_SCORE must be a number from 0 to 1, such as 0.85'],
    [{ IDENTITY_FACE_PASS_SCORE: '0.5' }, 'IDENTITY_FACE_REVIEW_SCORE (0.6, the default) must not be above IDENTITY_FACE_PASS_SCORE (0.5)'],
    [
      { IDENTITY_FINGERPRINT_PASS_SCORE: '0.7', IDENTITY_FINGERPRINT_REVIEW_SCORE: '0.8' },
      'IDENTITY_FINGERPRINT_REVIEW_SCORE (0.8) must not be above IDENTITY_FINGERPRINT_PASS_SCORE (0.7)',
    ],
  ])('refuses %o: "%s"', (env, message) => {
    expect(problems(env)).toEqual([message]);
  });

  it('reports every identity problem at once, with the others', () => {
    expect(problems({ PORT: 'x', IDENTITY_PROVIDER_RETRIES: 'many', IDENTITY_FACE_PASS_SCORE: '2', IDENTITY_FINGERPRINT_REVIEW_SCORE: '0.99' })).toEqual([
      'PORT must be an integer from 0 to 65535',
      'IDENTITY_PROVIDER_RETRIES must be a whole number of retries from 0 to 10',
      'IDENTITY_FACE_PASS_SCORE must be a number from 0 to 1, such as 0.85',
      'IDENTITY_FINGERPRINT_REVIEW_SCORE (0.99) must not be above IDENTITY_FINGERPRINT_PASS_SCORE (0.9, the default)',
    ]);
  });

  it('never repeats a secret of the URL or the token in its messages', () => {
    const found = problems({
      IDENTITY_PROVIDER_URL: 'https://svc:hunter2-password@identity.example.com/?key=abc-secret-key',
      IDENTITY_PROVIDER_TOKEN: 'tok en-with-a-space',
    });
    expect(found).toEqual([
      'IDENTITY_PROVIDER_URL must not carry a user name or password: put the provider\'s token in IDENTITY_PROVIDER_TOKEN',
      'IDENTITY_PROVIDER_URL must not have a query or a fragment: give the base URL, to which /v1/comparisons is added',
      'IDENTITY_PROVIDER_TOKEN must be at most 4096 visible ASCII characters, without spaces (it is sent as a bearer token)',
    ]);
    for (const secret of ['hunter2', 'abc-secret-key', 'tok en']) expect(found.join('\n')).not.toContain(secret);
  });

  it('refuses a token without a URL to send it to', () => {
    expect(problems({ IDENTITY_PROVIDER_TOKEN: 'tok_0123456789' })).toEqual([
      'IDENTITY_PROVIDER_TOKEN is set but IDENTITY_PROVIDER_URL is not: set the provider\'s URL too, or remove the token',
    ]);
  });
});
