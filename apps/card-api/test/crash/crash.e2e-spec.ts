import { crashRunFromEnv } from './crash-sizes';

jest.setTimeout(180_000);

/**
 * The short crash test of the normal suite: card-api killed with SIGKILL 3 times under a lifecycle load, restarted
 * each time, then every check of the full run (`npm run test:crash`, crash.crash-spec.ts): the same code, smaller.
 */
describe('card-api killed with SIGKILL under load (short)', () => {
  it('loses no acknowledged command, runs none twice, and its read models, reports and audit chains hold', async () => {
    const result = await crashRunFromEnv({ kills: 3, clients: 4, minLifecycles: 2, killDelayMs: [300, 1200] });
    expect(result.problems).toEqual([]);
    expect(result.kills.length).toBe(Number(process.env.CRASH_KILLS || 3));
    expect(result.commands).toBeGreaterThan(0);
    expect(result.checks).toBeGreaterThan(result.commands);
  });
});
