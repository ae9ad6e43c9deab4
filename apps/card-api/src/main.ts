import { describeNotificationChannels } from '@cards/notifications';
import { ConfigurationError, dataDirStartLine, dataDirWriteProblem, describeEventStore, describeIdentityProvider, describeReadStore, loadAppConfig, stopGracefullyOnSignals } from '@cards/platform';
import { createCardApi } from './app.factory';
import { describeDevelopmentTokens, developmentTokens } from './dev-tokens';
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
  // A read-only DATA_DIR at start: one line and exit 1, before any store is opened (libs/platform/src/data-dir.ts).
  const unwritable = dataDirWriteProblem(config);
  if (unwritable !== undefined) {
    process.stderr.write(dataDirStartLine('card-api', unwritable));
    process.exit(1);
  }

  const app = await createCardApi(config);
  const logger = app.get(Logger);
  stopGracefullyOnSignals(app, { name: 'card-api', logger });
  if (config.generatedKeys.length > 0) {
    logger.warn(
      `Generated development keys (${config.generatedKeys.join(', ')}) in ${config.keysFile}. ` +
        'Development only: in production set CARD_CVK, PAN_FINGERPRINT_KEY, PII_MASTER_KEY, PII_LOOKUP_KEY, AUDIT_SIGNING_KEY and AUTH_JWT_SECRET (or AUTH_JWT_PUBLIC_KEY).',
    );
  } else if (config.keysFile) {
    logger.log(`Using development keys from ${config.keysFile}`);
  }
  await app.listen(config.port, config.host);
  const url = `http://localhost:${config.port}`;
  const devTokens = await developmentTokens(config);
  if (devTokens.length > 0) logger.warn('Printed development tokens (one per role, 12 h) signed with the development secret in DATA_DIR');
  const issuer = devTokens.find((t) => t.role === 'issuer');
  const auth = issuer ? ` -H "Authorization: Bearer ${issuer.token}"` : ' -H "Authorization: Bearer $TOKEN"';
  logger.log(`card-api listening on ${url} (events: ${describeEventStore(config)}; read models: ${describeReadStore(config)})`);
  if (config.identity.provider.url === undefined) {
    logger.warn('FACE and FINGERPRINT verification is unavailable until IDENTITY_PROVIDER_URL is set (docs/identity.md); attempts are recorded as PROVIDER_UNAVAILABLE');
  } else {
    logger.log(`Identity provider: ${describeIdentityProvider(config.identity.provider)}`);
  }
  for (const { configured, line } of describeNotificationChannels(config.notificationChannels)) {
    if (configured) logger.log(`Notification channel: ${line}`);
    else logger.warn(`Notification channel: ${line}`);
  }
  process.stdout.write(
    [
      '',
      `  card-api is up on ${url}`,
      `  events:   ${describeEventStore(config)}`,
      `  reads:    ${describeReadStore(config)}${config.projectionsInProcess ? '' : ' (projections run in card-projector)'}`,
      `  identity: ${describeIdentityProvider(config.identity.provider)}`,
      `  API docs: ${url}/docs`,
      `  try:      curl -s ${url}/health/ready`,
      `            curl -s -X POST ${url}/v1/customers${auth} -H 'content-type: application/json' \\`,
      `              -d '{"name":"张三","idType":"CN_RESIDENT_ID","idNumber":"11010519491231002X","phone":"13800138000"}'`,
      `  The README walks through a whole card lifecycle.`,
      ...(devTokens.length > 0 ? ['', ...describeDevelopmentTokens(devTokens, config.keysFile)] : []),
      '',
    ].join('\n'),
  );
}

void main();
