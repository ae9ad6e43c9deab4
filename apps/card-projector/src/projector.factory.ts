import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { createFastifyAdapter, loadAppConfig, type AppConfig } from '@cards/platform';
import { ProjectorModule } from './projector.module';

/**
 * The configuration of card-projector: card-api's, except that it always runs the projections and listens on
 * 3001 unless PORT says otherwise (so both can run on one machine with their defaults).
 */
export function loadProjectorConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
  return loadAppConfig({ PORT: '3001', ...env, PROJECTIONS_IN_PROCESS: 'true' });
}

export async function createProjector(config: AppConfig, logDestination?: DestinationStream): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(ProjectorModule.forRoot(config, logDestination), await createFastifyAdapter(config), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  // SIGTERM and SIGINT: main.ts stops it gracefully (stopGracefullyOnSignals), HTTP first, then loops and stores.
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
