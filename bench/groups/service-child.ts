/** The service scenario's process (see service.ts): runs from the private build, talks to the bench over IPC. */
import { BenchContext } from '../core/context';
import { buildFrom } from '../service/build';
import type { ScenarioMessage, ScenarioRequest } from './service';
import { runServiceScenario } from './service-scenario';

const send = (message: ScenarioMessage): Promise<void> => new Promise((resolve) => process.send!(message, () => resolve()));

process.once('message', (request: ScenarioRequest) => {
  const ctx = new BenchContext({
    quick: request.quick,
    only: request.only,
    profileDir: request.profileDir,
    startedAt: request.startedAt,
    progress: (line) => void send({ kind: 'progress', line }),
  });
  runServiceScenario(ctx, buildFrom(request.buildDir, request.compiled), { heapSnapshotDir: request.heapSnapshotDir, serviceNodeFlags: request.serviceNodeFlags, projectorNodeFlags: request.projectorNodeFlags })
    .then(
      (rows) => send({ kind: 'rows', rows, failures: ctx.failures }),
      (error: Error) => send({ kind: 'error', error: error.stack ?? error.message }),
    )
    .finally(() => {
      ctx.cleanUp();
      process.exit(0);
    });
});
