import { ConfigurationError, describeEventStore, describeReadStore, loadAppConfig } from '@cards/platform';
import { createCardApi } from './app.factory';
import { Logger } from 'nestjs-pino';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`card-api cannot start.\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const app = await createCardApi(config);
  const logger = app.get(Logger);
  if (config.generatedKeys.length > 0) {
    logger.warn(
      `Generated development keys (${config.generatedKeys.join(', ')}) in ${config.keysFile}. ` +
        'Development only: in production set CARD_CVK and PAN_FINGERPRINT_KEY.',
    );
  } else if (config.keysFile) {
    logger.log(`Using development keys from ${config.keysFile}`);
  }
  await app.listen(config.port, config.host);
  const url = `http://localhost:${config.port}`;
  logger.log(`card-api listening on ${url} (events: ${describeEventStore(config)}; read models: ${describeReadStore(config)})`);
  process.stdout.write(
    [
      '',
      `  card-api is up on ${url}`,
      `  events:   ${describeEventStore(config)}`,
      `  reads:    ${describeReadStore(config)}${config.projectionsInProcess ? '' : ' (projections run in card-projector)'}`,
      `  API docs: ${url}/docs`,
      `  try:      curl -s ${url}/health/ready`,
      `            curl -s -X POST ${url}/v1/customers -H 'content-type: application/json' \\`,
      `              -d '{"name":"张三","idType":"CN_RESIDENT_ID","idNumber":"11010519491231002X","phone":"13800138000"}'`,
      `  The README walks through a whole card lifecycle.`,
      '',
    ].join('\n'),
  );
}

void main();
