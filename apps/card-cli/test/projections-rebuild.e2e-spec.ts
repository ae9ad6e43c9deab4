import { capturedOutput, listenOnLoopback, removeDataDir, startTestApp, type TestApp } from '../../card-api/test/support/test-app';
import { activeDebitCard } from '../../card-api/test/support/lifecycle-steps';
import { rebuildProjections } from '../src/projections';


describe('card-cli projections rebuild, against the running service', () => {
  let t: TestApp;
  let url: string;
  const token = () => t.token({ sub: 'operator', roles: ['admin'] });
  beforeAll(async () => {
    t = await startTestApp();
    url = await listenOnLoopback(t);
    for (let i = 0; i < 3; i++) await activeDebitCard(t);
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('rebuilds every projection, reporting progress and events/s, and leaves the read models as they were', async () => {
    const head = (await t.http().get('/v1/projections')).body.items[0].headPosition;
    const before = (await t.http().get('/v1/cards').query({ limit: 200, minPosition: head })).body.items;
    const progress = capturedOutput();
    const result = await rebuildProjections({ url, token, pollMs: 20, progressOut: progress });
    expect(result.exitCode).toBe(0);
    expect(result.message.split('\n')).toEqual([
      expect.stringMatching(/^cards: rebuilt \d+ events in [\d.]+ s \(\d+ events\/s\)$/),
      expect.stringMatching(/^disputes: rebuilt \d+ events/),
      expect.stringMatching(/^verification-failures: rebuilt \d+ events/),
      expect.stringMatching(/^customers: rebuilt \d+ events/),
      expect.stringMatching(/^personal-data-access: rebuilt \d+ events/),
      expect.stringMatching(/^audit-heads: rebuilt \d+ events/),
      expect.stringMatching(/^reviews: rebuilt \d+ events/),
      expect.stringMatching(/^notifications: rebuilt \d+ events/),
      expect.stringMatching(/^numbers: rebuilt \d+ events/),
      expect.stringMatching(/^cases: rebuilt \d+ events/),
    ]);
    expect(progress.text).toMatch(/events\/s/);
    const after = (await t.http().get('/v1/cards').query({ limit: 200, minPosition: head })).body.items;
    expect(after).toEqual(before);
  });

  it('says which projections exist when asked for an unknown one', async () => {
    const result = await rebuildProjections({ url, token, name: 'nope', progressOut: capturedOutput() });
    expect(result).toEqual({ exitCode: 2, message: expect.stringContaining('Known: cards, disputes, verification-failures') });
  });

  it('says which process runs the projections when the service it reaches is on standby', async () => {
    // A second card-api on the same DATA_DIR: the first holds the projections lease, so this one waits.
    const standby = await startTestApp(t.dataDir);
    try {
      const standbyUrl = await listenOnLoopback(standby);
      const holder = (await t.http().get('/v1/projections').expect(200)).body.lease.thisProcess;
      const status = (await standby.http().get('/v1/projections').expect(200)).body;
      expect(status.lease).toMatchObject({ holder, heldByThisProcess: false, role: 'standby' });
      expect(status.items.every((p: { state: string }) => p.state === 'standby')).toBe(true);
      const result = await rebuildProjections({ url: standbyUrl, token, name: 'cards', progressOut: capturedOutput() });
      expect(result.exitCode).toBe(2);
      expect(result.message).toMatch(/409 PROJECTIONS_LEASE_HELD_ELSEWHERE/);
      expect(result.message).toContain(holder);
    } finally {
      await standby.close();
    }
  });

  it('says how to start the service when it is not running', async () => {
    const result = await rebuildProjections({ url: 'http://127.0.0.1:1', progressOut: capturedOutput() });
    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(/Is it running\? Start it with: npm start/);
  });
});
