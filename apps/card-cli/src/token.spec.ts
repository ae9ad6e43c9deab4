import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { loadAppConfig } from '@cards/platform';
import { TokenVerifier } from '@cards/security';
import { parseTtl, tokenCommand } from './token';

describe('card-cli token', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-cli-token-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const NOW = new Date('2026-11-23T09:00:00Z');

  it('given the embedded default, mints a token the service accepts with the secret it keeps in DATA_DIR', async () => {
    const result = await tokenCommand([], { role: ['analyst'], sub: ['alice'], ttl: ['8h'] }, { DATA_DIR: dataDir }, NOW);
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(result.note).toBe('Token for alice (analyst), valid until 2026-11-23T17:00:00.000Z');

    const config = loadAppConfig({ DATA_DIR: dataDir });
    expect(config.auth).toMatchObject({ algorithm: 'HS256', source: 'data-dir' });
    const verifier = await TokenVerifier.create(config.auth);
    await expect(verifier.verify(result.output, NOW)).resolves.toEqual({
      subject: 'alice',
      roles: ['analyst'],
      expiresAt: new Date('2026-11-23T17:00:00Z'),
    });
  });

  it('takes several roles, repeated or comma-separated, in table order and each once; one hour by default', async () => {
    const secret = 'a-secret-from-the-environment-32b';
    const result = await tokenCommand([], { role: ['admin,analyst', 'issuer', 'admin'], sub: ['ops'] }, { AUTH_JWT_SECRET: secret }, NOW);
    const principal = await (await TokenVerifier.create({ algorithm: 'HS256', secret })).verify(result.output, NOW);
    expect(principal).toEqual({ subject: 'ops', roles: ['issuer', 'analyst', 'admin'], expiresAt: new Date('2026-11-23T10:00:00Z') });
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it.each([
    [{ sub: ['alice'] }, /at least one role/],
    [{ role: ['superuser'], sub: ['alice'] }, /Unknown role "superuser"/],
    [{ role: ['analyst'] }, /--sub/],
    [{ role: ['analyst'], sub: ['alice'], ttl: ['forever'] }, /--ttl must be a duration/],
    [{ role: ['analyst'], sub: ['alice'], ttl: ['31d'] }, /at most 30d/],
    [{ role: ['analyst'], sub: ['alice'], colour: ['red'] }, /Unknown option --colour/],
  ])('refuses bad usage with exit code 2 and the usage: %j', async (options, message) => {
    const result = await tokenCommand([], options, { DATA_DIR: dataDir }, NOW);
    expect(result.exitCode).toBe(2);
    expect(result.output).toMatch(message);
    expect(result.output).toMatch(/usage: card-cli token --role ROLE/);
  });

  it('refuses when the service verifies an identity provider\'s tokens', async () => {
    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const result = await tokenCommand([], { role: ['analyst'], sub: ['alice'] }, { DATA_DIR: dataDir, AUTH_JWT_PUBLIC_KEY: publicKey }, NOW);
    expect(result).toEqual({ exitCode: 2, output: expect.stringMatching(/identity provider \(AUTH_JWT_PUBLIC_KEY is set\): get a token there/) });
  });

  it('in production, signs only with AUTH_JWT_SECRET and never with a development secret', async () => {
    const result = await tokenCommand([], { role: ['analyst'], sub: ['alice'] }, { DATA_DIR: dataDir, NODE_ENV: 'production' }, NOW);
    expect(result).toEqual({ exitCode: 2, output: expect.stringMatching(/NODE_ENV=production: set AUTH_JWT_SECRET/) });
    expect(fs.readdirSync(dataDir)).toEqual([]);
    const short = await tokenCommand([], { role: ['analyst'], sub: ['alice'] }, { AUTH_JWT_SECRET: 'too-short' }, NOW);
    expect(short).toEqual({ exitCode: 2, output: 'AUTH_JWT_SECRET must be at least 32 bytes (e.g. 64 hexadecimal characters); got 9' });
  });

  it('reads durations in seconds, minutes, hours and days', () => {
    expect([parseTtl('90s'), parseTtl('30m'), parseTtl('8h'), parseTtl('2d'), parseTtl('30d')]).toEqual([90, 1800, 28_800, 172_800, 2_592_000]);
    expect([parseTtl('0h'), parseTtl('1w'), parseTtl('8'), parseTtl('-1h'), parseTtl('31d')]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
