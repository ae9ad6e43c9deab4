import { Logger } from 'nestjs-pino';
import { ConfigurationError, dataDirStartLine, dataDirWriteProblem, describeEventStore, describeReadStore, stopGracefullyOnSignals } from '@cards/platform';
import { createProjector, loadProjectorConfig } from './projector.factory';

/** card-projector: runs the projections apart from card-api (which then runs with PROJECTIONS_IN_PROCESS=false). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadProjectorConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`card-projector cannot start.\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // A read-only DATA_DIR at start: one line and exit 1, before any store is opened (libs/platform/src/data-dir.ts).
  const unwritable = dataDirWriteProblem(config);
  if (unwritable !== undefined) {
    process.stderr.write(dataDirStartLine('card-projector', unwritable));
    process.exit(1);
  }
  const app = await createProjector(config);
  stopGracefullyOnSignals(app, { name: 'card-projector', logger: app.get(Logger) });
  await app.listen(config.port, config.host);
  app
    .get(Logger)
    .log(
      `card-projector on http://localhost:${config.port} (GET /v1/projections): events ${describeEventStore(config)} → read models ${describeReadStore(config)}`,
    );
}

void main();
