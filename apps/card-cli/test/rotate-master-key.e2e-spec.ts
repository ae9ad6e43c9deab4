import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { MasterKeyRing, PersonalDataCipher, SqliteDataKeyStore } from '@cards/security';
import { capturedOutput, listenOnLoopback, newDataDir, removeDataDir, startTestApp, type TestApp } from '../../card-api/test/support/test-app';
import { piiCommand, rotateMasterKey } from '../src/rotate-master-key';

const K1 = `k1:${randomBytes(32).toString('hex')}`;
const K2 = `k2:${randomBytes(32).toString('hex')}`;

/** Data keys straight into DATA_DIR/keys.db: `good` under k1, and one wrapped under other key material labelled k1. */
async function keysUnderK1(dataDir: string, good: number): Promise<string> {
  const store = SqliteDataKeyStore.open(path.join(dataDir, 'keys.db'));
  try {
    const cipher = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1) });
    for (let i = 0; i < good; i++) await cipher.encryptField(`customer-good-${i}`, 'name', '张三');
    const impostor = MasterKeyRing.parse(`k1:${randomBytes(32).toString('hex')}`);
    const subject = 'customer-unreadable';
    await store.create(subject, impostor.wrap(subject, randomBytes(32), new Date().toISOString()));
    return subject;
  } finally {
    await store.close();
  }
}

describe('card-cli pii rotate-master-key: exit codes', () => {
  describe('against the running card-api', () => {
    let t: TestApp;
    let url: string;
    let unreadable: string;
    const admin = () => t.token({ sub: 'key-custodian', roles: ['admin'] });
    beforeAll(async () => {
      const dataDir = newDataDir();
      unreadable = await keysUnderK1(dataDir, 3);
      t = await startTestApp(dataDir, { PII_MASTER_KEY: `${K2},${K1}` });
      url = await listenOnLoopback(t);
    });
    afterAll(async () => {
      await t.close();
      removeDataDir(t.dataDir);
    });

    it('exits 1 when some keys could not be unwrapped, naming them and saying to keep the old key', async () => {
      const result = await rotateMasterKey({ url, token: admin, pollMs: 20, progressOut: capturedOutput() });
      expect(result.exitCode).toBe(1);
      expect(result.message).toMatch(/succeeded: 3 of 4 data keys rewrapped under 'k2', 0 skipped, 1 failed, 1 left under older keys/);
      expect(result.message).toMatch(/Keep 'k1' in PII_MASTER_KEY/);
      expect(result.message).toContain(`failed: subject ${unreadable} (under 'k1'): DATA_KEY_UNWRAP_FAILED`);

      // Run again: only the unreadable key is left, and it still fails.
      const again = await rotateMasterKey({ url, token: admin, pollMs: 20, progressOut: capturedOutput() });
      expect(again.exitCode).toBe(1);
      expect(again.message).toMatch(/0 of 1 data keys rewrapped under 'k2', 0 skipped, 1 failed/);
    });

    it('exits 2 with a token that is not an admin\'s', async () => {
      const result = await rotateMasterKey({ url, token: () => t.token({ roles: ['issuer', 'auditor'] }), progressOut: capturedOutput() });
      expect(result).toEqual({ exitCode: 2, message: expect.stringMatching(/answered 403 ROLE_NOT_ALLOWED.*lacks the role this command needs: admin for operations/) });
    });
  });

  it('exits 0 when it is done, even with nothing to do (one key in the ring)', async () => {
    const t = await startTestApp(newDataDir(), { PII_MASTER_KEY: K1 });
    try {
      const url = await listenOnLoopback(t);
      const result = await rotateMasterKey({ url, token: () => t.token({ roles: ['admin'] }), progressOut: capturedOutput() });
      expect(result.exitCode).toBe(0);
      expect(result.message).toMatch(/succeeded: 0 of 0 data keys rewrapped under 'k1'/);
      expect(result.message).toMatch(/nothing to do/);
    } finally {
      await t.close();
      removeDataDir(t.dataDir);
    }
  });

  it('exits 2 when card-api is not running, saying how to start it', async () => {
    const result = await rotateMasterKey({ url: 'http://127.0.0.1:1', token: async () => 'x', progressOut: capturedOutput() });
    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(/Is it running\? Start it with: npm start/);
  });

  it('exits 2 on bad usage', async () => {
    expect(await piiCommand([], {})).toEqual({ exitCode: 2, message: expect.stringContaining('usage: card-cli pii rotate-master-key') });
    expect(await piiCommand(['rotate-everything'], {})).toMatchObject({ exitCode: 2 });
    expect(await piiCommand(['rotate-master-key'], { chunk: '5' })).toEqual({ exitCode: 2, message: expect.stringMatching(/^Unknown option --chunk\./) });
  });

  describe('against a service that answers as told', () => {
    let server: http.Server;
    let url: string;
    const requests: string[] = [];
    let answer: (method: string, url: string) => { status: number; body: unknown };
    const rotation = (overrides: Record<string, unknown>) => ({
      rotationId: '11111111-2222-4333-8444-555555555555',
      state: 'running',
      fromMasterKeyIds: ['k1'],
      toMasterKeyId: 'k2',
      total: 10,
      rewrapped: 0,
      skipped: 0,
      failed: 0,
      failures: [],
      remaining: null,
      error: null,
      message: 'Rewrapping',
      ...overrides,
    });
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        const { status, body } = answer(req.method ?? 'GET', req.url ?? '/');
        res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });
    beforeEach(() => {
      requests.length = 0;
    });

    it('exits 2 when the rotation stopped half-way, with the service\'s reason', async () => {
      let polls = 0;
      answer = (method) =>
        method === 'POST'
          ? { status: 202, body: rotation({}) }
          : { status: 200, body: rotation(++polls < 2 ? { rewrapped: 5 } : { state: 'failed', rewrapped: 5, error: 'DATA_KEY_STORE_UNAVAILABLE: down', message: 'The rotation stopped: run it again' }) };
      const progress = capturedOutput();
      const result = await rotateMasterKey({ url, token: async () => 'admin-token', pollMs: 5, progressOut: progress });
      expect(result.exitCode).toBe(2);
      expect(result.message).toMatch(/failed: 5 of 10 data keys rewrapped/);
      expect(result.message).toMatch(/The rotation stopped: run it again/);
      expect(requests[0]).toBe('POST /v1/admin/pii/master-key-rotations');
      expect(requests.slice(1).every((r) => r === 'GET /v1/admin/pii/master-key-rotations/11111111-2222-4333-8444-555555555555')).toBe(true);
    });

    it('follows the rotation already running (409) instead of failing, and exits by its outcome', async () => {
      answer = (method) =>
        method === 'POST'
          ? { status: 409, body: { status: 409, code: 'MASTER_KEY_ROTATION_RUNNING', detail: 'already running', rotationId: '11111111-2222-4333-8444-555555555555' } }
          : { status: 200, body: rotation({ state: 'succeeded', rewrapped: 10, remaining: 0, message: 'done' }) };
      const result = await rotateMasterKey({ url, token: async () => 'admin-token', pollMs: 5, progressOut: capturedOutput() });
      expect(result.exitCode).toBe(0);
      expect(result.message).toMatch(/succeeded: 10 of 10 data keys/);
      expect(requests).toEqual(['POST /v1/admin/pii/master-key-rotations', 'GET /v1/admin/pii/master-key-rotations/11111111-2222-4333-8444-555555555555']);
    });
  });
});
