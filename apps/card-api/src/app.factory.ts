import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module';
import { createFastifyAdapter, permissionFor, type AppConfig } from '@cards/platform';

/** Builds the whole card-api (used by main.ts and by the end-to-end tests, so both run the same app). */
export async function createCardApi(config: AppConfig, options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const adapter = await createFastifyAdapter(config);

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  // SIGTERM and SIGINT: main.ts stops it gracefully (stopGracefullyOnSignals), HTTP first, then loops and stores.

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Card lifecycle and activation service')
      .setDescription(
        'Drive a card through issue → identity verification → link → activation, with disputes, suspension, ' +
          'reinstatement and cancellation. Every change is an immutable event. Errors are RFC 9457 application/problem+json.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addSecurityRequirements('bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, withRoles(document), { jsonDocumentUrl: 'docs/openapi.json' });

  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** Says on each operation of the OpenAPI document which roles may call it, from the permission table. */
function withRoles(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [string, { description?: string; security?: unknown[]; responses?: Record<string, unknown> }][]) {
      const permission = permissionFor(method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1'));
      if (!permission || typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      if (permission.access === 'public') {
        operation.security = [];
        continue;
      }
      const roles = `Roles: ${permission.access.join(', ')} (docs/security.md).`;
      operation.description = operation.description ? `${operation.description}\n\n${roles}` : roles;
      operation.responses = {
        ...operation.responses,
        401: { description: 'No token, or one that is expired, forged or malformed (WWW-Authenticate says why)' },
        403: { description: `The token has none of the roles ${permission.access.join(', ')}` },
        429: { description: 'Too many requests: retry after Retry-After seconds' },
      };
    }
  }
  return document;
}
