import { listenOnLoopback, removeDataDir, startTestApp, TEST_JWT_SECRET, type TestApp } from '../../card-api/test/support/test-app';
import { activeDebitCard } from '../../card-api/test/support/lifecycle-steps';
import { replayCommand, verifyOne } from '../src/replay';

describe('card-cli replay and verify --card, against the running service', () => {
  let t: TestApp;
  let url: string;
  let cardId: string;
  let customerId: string;
  // No --token: card-cli signs an auditor token itself with the service's secret, as on the embedded default.
  const env = { AUTH_JWT_SECRET: TEST_JWT_SECRET };
  beforeAll(async () => {
    t = await startTestApp();
    url = await listenOnLoopback(t);
    ({ cardId, customerId } = await activeDebitCard(t));
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('replays a card to a revision: each event on a line, then the state', async () => {
    const { exitCode, output } = await replayCommand([cardId], { url, revision: '2' }, env);
    expect(exitCode).toBe(0);
    const lines = output.split('\n');
    expect(lines[0]).toBe(`card-${cardId}, as of revision 2: 3 event(s)`);
    expect(lines.filter((l) => /^\d+\s/.test(l)).map((l) => l.split(/\s+/)[3])).toEqual(['CardIssued', 'IdentityVerified', 'CardLinked']);
    expect(output).toContain('state at revision 2:');
    expect(output).toContain('"status": "LINKED"');
  });

  it('replays a customer as JSON, masked, and as the service knew it at an instant', async () => {
    const { exitCode, output } = await replayCommand([], { url, customer: customerId, 'as-of': new Date().toISOString(), json: '' }, env);
    expect(exitCode).toBe(0);
    const replayed = JSON.parse(output);
    expect(replayed).toMatchObject({ streamId: `customer-${customerId}`, existed: true, state: { name: '张*' } });
  });

  it('verifies one card: exit 0 and what covers it', async () => {
    const { exitCode, output } = await verifyOne({ kind: 'card', id: cardId, url, token: async () => t.token({ roles: ['auditor'] }) });
    expect(exitCode).toBe(0);
    expect(output).toBe(`OK: card-${cardId}, 4 event(s) verified; no signed checkpoint covers it yet (its 4 event(s) rest on the chain alone)`);
  });

  it('exit 2 with the reason: an unknown card, bad arguments, a service that is not there', async () => {
    const unknown = await replayCommand(['00000000-0000-4000-8000-000000000000'], { url }, env);
    expect(unknown).toEqual({ exitCode: 2, output: expect.stringMatching(/404 CARD_NOT_FOUND/) });
    expect(await replayCommand([], {}, env)).toEqual({ exitCode: 2, output: expect.stringMatching(/^usage: card-cli replay/) });
    expect(await replayCommand([cardId], { revision: 'two' }, env)).toEqual({ exitCode: 2, output: expect.stringMatching(/--revision must be/) });
    expect(await replayCommand([cardId], { revision: '1', 'as-of': '2026-01-01T00:00:00Z' }, env)).toEqual({ exitCode: 2, output: expect.stringMatching(/not both/) });
    const down = await replayCommand([cardId], { url: 'http://127.0.0.1:9' }, env);
    expect(down).toEqual({ exitCode: 2, output: expect.stringMatching(/Cannot reach card-api/) });
  });
});
