import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { capturedOutput, listenOnLoopback, removeDataDir, startTestApp, type TestApp } from '../../card-api/test/support/test-app';
import { historyFile } from '../../card-api/test/support/history-file';
import { importCommand } from '../src/import-history';
import { rebuildProjections } from '../src/projections';
import { serviceTokenSource } from '../src/service-token';

describe('card-cli calls card-api with a token', () => {
  describe('given the embedded default (the token secret generated in DATA_DIR)', () => {
    let t: TestApp;
    let url: string;
    beforeAll(async () => {
      t = await startTestApp(undefined, { AUTH_JWT_SECRET: '' });
      url = await listenOnLoopback(t);
    });
    afterAll(async () => {
      await t.close();
      removeDataDir(t.dataDir);
    });

    it('signs an admin token itself with that secret, so `import` needs no extra step; the events name the operator', async () => {
      expect(t.config.auth).toMatchObject({ algorithm: 'HS256', source: 'data-dir' });
      const history = historyFile('2025-08-04T01:00:00.000Z');
      const file = path.join(t.dataDir, 'history.jsonl');
      fs.writeFileSync(file, history.text);
      const result = await importCommand([file], { url }, { DATA_DIR: t.dataDir });
      expect(result).toMatchObject({ exitCode: 0, message: expect.stringMatching(/0 failed/) });
      const store = t.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
      const [registered] = await store.readStream(`customer-${history.customerIds[0]}`);
      expect(registered.metadata.actor).toEqual({ id: expect.stringMatching(/^card-cli(:.+)?$/), role: 'admin' });
    });

    it('and so does `projections rebuild`', async () => {
      const result = await rebuildProjections({ url, name: 'disputes', pollMs: 20, token: serviceTokenSource(undefined, { DATA_DIR: t.dataDir }), progressOut: capturedOutput() });
      expect(result).toEqual({ exitCode: 0, message: expect.stringMatching(/^disputes: rebuilt \d+ events/) });
    });

    it('sends the token it is given instead (--token, else CARD_API_TOKEN), and says what to check when it is refused', async () => {
      const analyst = await t.token({ roles: ['analyst'] });
      const refused = await rebuildProjections({ url, name: 'cards', token: serviceTokenSource(undefined, { CARD_API_TOKEN: analyst }), progressOut: capturedOutput() });
      expect(refused).toEqual({ exitCode: 2, message: expect.stringMatching(/^card-api answered 403 ROLE_NOT_ALLOWED: .*lacks the role this command needs: admin for operations/) });
      const wrong = await rebuildProjections({ url, token: serviceTokenSource('not.a-valid.token', { CARD_API_TOKEN: analyst }), progressOut: capturedOutput() });
      expect(wrong).toEqual({ exitCode: 2, message: expect.stringMatching(/^card-api answered 401 INVALID_TOKEN: .*--token or CARD_API_TOKEN/) });
    });

    it('cannot sign one when the service verifies an identity provider\'s tokens, and says so', async () => {
      const file = path.join(t.dataDir, 'one.jsonl');
      fs.writeFileSync(file, `${historyFile('2025-09-01T00:00:00.000Z').lines[0]}\n`);
      const result = await importCommand([file], { url }, { DATA_DIR: t.dataDir, AUTH_JWT_PUBLIC_KEY: '/etc/cards/idp.pem' });
      expect(result.exitCode).toBe(2);
      expect(result.message).toMatch(/identity provider .* Pass a token with --token or CARD_API_TOKEN\.\nNothing from line 1 on was imported\./);
    });
  });
});
