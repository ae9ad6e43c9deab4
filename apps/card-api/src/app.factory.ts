import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module';
import { createFastifyAdapter, type AppConfig } from '@cards/platform';

/** Builds the whole card-api (used by main.ts and by the end-to-end tests, so both run the same app). */
export async function createCardApi(config: AppConfig, options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const adapter = createFastifyAdapter();

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Card lifecycle and activation service')
      .setDescription(
        'Drive a card through issue → identity verification → link → activation, with disputes, suspension, ' +
          'reinstatement and cancellation. Every change is an immutable event. Errors are RFC 9457 application/problem+json.',
      )
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });

  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
