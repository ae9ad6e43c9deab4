import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module';
import type { AppConfig } from '@cards/platform';
import { correlationIdOf, newRequestId } from './http/request-context';

/** Builds the whole card-api (used by main.ts and by the end-to-end tests, so both run the same app). */
export async function createCardApi(config: AppConfig, options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: 64 * 1024,
    // The request id is set on the raw request so that pino-http logs the same id Fastify uses.
    genReqId: (raw: IncomingMessage) => {
      const id = newRequestId(raw);
      (raw as IncomingMessage & { id?: string }).id = id;
      return id;
    },
  });
  // Bodies are JSON only: anything else is a 415, not a string the validators would puzzle over.
  adapter.getInstance().removeContentTypeParser(['text/plain']);
  adapter.getInstance().addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id).header('X-Correlation-Id', correlationIdOf(request));
  });

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
