import { comparePositions, type Position } from '@cards/event-store';
import type { ReadStore } from '../read-store.port';

/**
 * Read-your-writes: resolves true once every named projection's stored checkpoint has reached `position`
 * (whichever process runs the projections), or false after `timeoutMs`.
 */
export async function waitForProjections(
  readStore: Pick<ReadStore, 'checkpoint'>,
  position: Position,
  projections: readonly string[],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  for (;;) {
    const checkpoints = await Promise.all(projections.map((name) => readStore.checkpoint(name)));
    if (checkpoints.every((c) => c?.position && comparePositions(c.position, position) >= 0)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, 100);
  }
}
