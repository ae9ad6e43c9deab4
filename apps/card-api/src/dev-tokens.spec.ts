import { PRODUCTION_SECRETS } from '@cards/platform/testing/production-secrets';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAppConfig } from '@cards/platform';
import { TokenVerifier } from '@cards/security';
import { describeDevelopmentTokens, developmentTokens } from './dev-tokens';

describe('development tokens printed at start-up', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-dev-tokens-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const NOW = new Date('2026-11-23T09:00:00Z');

  it('given the embedded default, one token per role, valid for 12 hours, that the service accepts', async () => {
    const config = loadAppConfig({ DATA_DIR: dataDir });
    const tokens = await developmentTokens(config, NOW);
    expect(tokens.map((t) => [t.role, t.subject])).toEqual([
      ['issuer', 'dev-issuer'],
      ['supervisor', 'dev-supervisor'],
      ['agent', 'dev-agent'],
      ['analyst', 'dev-analyst'],
      ['auditor', 'dev-auditor'],
      ['admin', 'dev-admin'],
    ]);
    const verifier = await TokenVerifier.create(loadAppConfig({ DATA_DIR: dataDir }).auth);
    for (const { role, token } of tokens) {
      await expect(verifier.verify(token, NOW)).resolves.toEqual({
        subject: `dev-${role}`,
        roles: [role],
        expiresAt: new Date('2026-11-23T21:00:00Z'),
      });
    }
    const banner = describeDevelopmentTokens(tokens, config.keysFile).join('\n');
    expect(banner).toMatch(/^ {2}DEVELOPMENT ONLY: tokens signed with the development secret in .*secrets\.json/);
    expect(banner).toMatch(/valid for 12 h/);
    expect(banner).toMatch(/Never use them, or that secret, in production/);
    for (const { token } of tokens) expect(banner).toContain(token);
  });

  it('none when the secret comes from the environment, or in production', async () => {
    expect(await developmentTokens(loadAppConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: 'ab'.repeat(32) }), NOW)).toEqual([]);
    const production = loadAppConfig({
      DATA_DIR: dataDir,
      ...PRODUCTION_SECRETS,
    });
    expect(await developmentTokens(production, NOW)).toEqual([]);
    expect(describeDevelopmentTokens([], undefined)).toEqual([]);
  });
});
