import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { activeDebitCard } from '../../card-api/test/support/lifecycle-steps';
import { capturedOutput, listenOnLoopback, newDataDir, removeDataDir, startTestApp } from '../../card-api/test/support/test-app';
import { verifyAll, verifyAllCommand } from '../src/verify-all';

describe('card-cli verify --all: exit codes', () => {
  it('exits 1 when the store was tampered with, printing each problem with its stream, revision and code', async () => {
    const dataDir = newDataDir();
    let t = await startTestApp(dataDir);
    const card = await activeDebitCard(t);
    await t.http(await t.token({ roles: ['auditor'] })).post('/v1/audit/checkpoints').expect(201);
    await t.close();
    const db = new Database(path.join(dataDir, 'events.db'));
    db.prepare("UPDATE events SET data = replace(data, '\"DEBIT\"', '\"CREDIT\"') WHERE stream_id = ? AND revision = 0").run(`card-${card.cardId}`);
    db.close();
    t = await startTestApp(dataDir);
    try {
      const url = await listenOnLoopback(t);
      const progress = capturedOutput();
      const result = await verifyAll({ url, token: () => t.token({ roles: ['auditor'] }), pollMs: 20, progressOut: progress });
      expect(result.exitCode).toBe(1);
      expect(result.message).toMatch(/^Verification [0-9a-f-]{36} succeeded: \d+ events, \d+ streams, 1 checkpoint, \d+ signed heads? checked up to position \d+, 1 problem, in/);
      expect(result.message).toContain('1 problem found in');
      expect(result.message).toContain(`\n  HASH_MISMATCH card-${card.cardId} revision 0: card-${card.cardId}@0: the stored hash`);
      expect(progress.text).toMatch(/verification [0-9a-f-]{36}: succeeded, problems found/);
    } finally {
      await t.close();
      removeDataDir(dataDir);
    }
  });

  it('exits 2 when card-api is not running, saying how to start it', async () => {
    const result = await verifyAll({ url: 'http://127.0.0.1:1', token: async () => 'x', progressOut: capturedOutput() });
    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(/Is it running\? Start it with: npm start/);
  });

  it('exits 2 on bad usage', async () => {
    expect(await verifyAllCommand(['everything'], { all: '' })).toEqual({ exitCode: 2, message: expect.stringContaining('usage: card-cli verify --all [--url URL] [--token TOKEN]') });
    expect(await verifyAllCommand([], { all: 'yes' })).toMatchObject({ exitCode: 2 });
    expect(await verifyAllCommand([], { all: '', chunk: '5' })).toEqual({ exitCode: 2, message: expect.stringMatching(/^Unknown option --chunk\./) });
  });

  describe('against a service that answers as told', () => {
    let server: http.Server;
    let url: string;
    const requests: string[] = [];
    let answer: (method: string) => { status: number; body: unknown };
    const ID = '11111111-2222-4333-8444-555555555555';
    const verification = (overrides: Record<string, unknown>) => ({
      verificationId: ID,
      state: 'running',
      ok: null,
      eventsChecked: 0,
      eventsTotal: 10,
      eventsTotalIsEstimate: true,
      streamsChecked: 0,
      checkpointsChecked: 0,
      signedHeadsChecked: 0,
      eventsPerSecond: 0,
      upToPosition: '10',
      problemCount: 0,
      problems: [],
      error: null,
      message: 'Verifying',
      ...overrides,
    });
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        const { status, body } = answer(req.method ?? 'GET');
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

    it('follows the verification already running (409) instead of failing, and exits 0 when it found nothing', async () => {
      answer = (method) =>
        method === 'POST'
          ? { status: 409, body: { status: 409, code: 'AUDIT_VERIFICATION_RUNNING', detail: 'already running', verificationId: ID } }
          : { status: 200, body: verification({ state: 'succeeded', ok: true, eventsChecked: 10, eventsTotal: 10, message: 'No problem found' }) };
      const result = await verifyAll({ url, token: async () => 'auditor-token', pollMs: 5, progressOut: capturedOutput() });
      expect(result).toEqual({ exitCode: 0, message: expect.stringMatching(/succeeded: 10 events.*\nNo problem found$/s) });
      expect(requests).toEqual(['POST /v1/audit/verifications', `GET /v1/audit/verifications/${ID}`]);
    });

    it('exits 2 when the verification stopped half-way, with the service\'s reason', async () => {
      let polls = 0;
      answer = (method) =>
        method === 'POST'
          ? { status: 202, body: verification({}) }
          : { status: 200, body: verification(++polls < 2 ? { eventsChecked: 5 } : { state: 'failed', eventsChecked: 5, error: 'EVENT_STORE_UNAVAILABLE: down', message: 'The verification stopped after 5 events' }) };
      const result = await verifyAll({ url, token: async () => 'auditor-token', pollMs: 5, progressOut: capturedOutput() });
      expect(result.exitCode).toBe(2);
      expect(result.message).toMatch(/failed: 5 events.*\nThe verification stopped after 5 events/s);
    });

    it('says how many problems it does not list', async () => {
      const problems = [{ code: 'HASH_MISMATCH', streamId: 'card-1', revision: 2, message: 'card-1@2: changed' }];
      answer = (method) =>
        method === 'POST'
          ? { status: 202, body: verification({}) }
          : { status: 200, body: verification({ state: 'succeeded', ok: false, eventsChecked: 10, problemCount: 1500, problems, message: '1500 problems found' }) };
      const result = await verifyAll({ url, token: async () => 'auditor-token', pollMs: 5, progressOut: capturedOutput() });
      expect(result.exitCode).toBe(1);
      expect(result.message).toContain('\n  HASH_MISMATCH card-1 revision 2: card-1@2: changed\n  … and 1499 more');
    });
  });
});
