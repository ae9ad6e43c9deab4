import { RetryingLoop } from './retrying-loop';

describe('RetryingLoop', () => {
  it('given rounds that fail, then each failure is logged with a pause that doubles up to the maximum, and progress starts the count again', async () => {
    const warnings: { failures: number; retryInMs: number }[] = [];
    let rounds = 0;
    const loop: RetryingLoop = new RetryingLoop({
      what: 'Test loop',
      logger: { warn: (context) => warnings.push(context as { failures: number; retryInMs: number }) },
      backoffMs: [1, 4],
      round: async (progressed) => {
        rounds += 1;
        if (rounds === 5) progressed();
        // Stopping from inside a round: the loop ends once this round is over.
        if (rounds === 7) void loop.stop();
        throw new Error(`round ${rounds} failed`);
      },
    });
    loop.start();
    while (!loop.stopping) await new Promise((r) => setTimeout(r, 5));
    await loop.stop();
    expect(warnings.map((w) => [w.failures, w.retryInMs])).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
      [4, 4],
      [1, 1],
      [2, 2],
    ]);
  });

  it('given a long pause, when the loop is stopped, then it ends at once and runs afterRound', async () => {
    const after: string[] = [];
    const loop = new RetryingLoop({
      what: 'Test loop',
      logger: { warn: () => undefined },
      backoffMs: [60_000, 60_000],
      round: async () => undefined,
      afterRound: async () => {
        after.push('closed');
      },
    });
    loop.start();
    await new Promise((r) => setTimeout(r, 10));
    // Without the interruption this would wait a minute, far past the test's time limit.
    await loop.stop();
    expect(after).toEqual(['closed']);
    expect(loop.stopping).toBe(true);
  });
});
