import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { LoggerModule } from 'nestjs-pino';
// The AsyncLocalStorage nestjs-pino's Logger reads the request's logger from (its own middleware fills it; not part
// of its index, hence the path). apps/card-api/test/access-log.e2e-spec.ts fails if that ever stops working.
import { storage, Store } from 'nestjs-pino/storage';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { AppConfig } from './app-config';
import { correlationIdOf } from './http/request-ids';

/** What a request line says of the request and of the answer. */
interface LoggedRequest {
  readonly id: unknown;
  readonly method: string | undefined;
  readonly url: string | undefined;
}
interface LoggedResponse {
  readonly statusCode: number | null;
}

type LoggingRequest = IncomingMessage & { id?: unknown };

@Module({})
class StructuredLoggingModule {}

/**
 * Structured JSON logs (pino) with the request and correlation ids. Request and response bodies are never
 * logged: they carry card numbers, CVV2s and personal data.
 *
 * One line per request once it is answered (or abandoned), as pino-http writes it —
 * `{"level":30,…,"req":{"id","method","url"},"correlationId":…,"res":{"statusCode"},"responseTime":…,"msg":"request completed"}`,
 * `"err"` and `"request errored"` for a 5xx — and the lines the application logs (Nest's Logger) while handling a
 * request carry the same `req` and `correlationId`. Both come from a Fastify hook (`accessLog`) rather than from
 * pino-http and nestjs-pino's middleware: those built two child loggers per request through pino's standard
 * serialisers (the whole request and response, headers included, to keep three fields) and ran through
 * @fastify/middie, some 10 % of the time of `GET /v1/cards/{id}` (docs/performance.md).
 */
export function structuredLogging(config: AppConfig, destination?: DestinationStream): DynamicModule {
  const options = {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }): LoggedRequest => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number | null }): LoggedResponse => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  return {
    module: StructuredLoggingModule,
    // Nest's Logger writes through nestjs-pino: the request's logger within a request (accessLog binds it), `logger`
    // outside. Its middleware is not used (forRoutes: none), so no request goes through middie for it.
    imports: [LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true, forRoutes: [] })],
    providers: [
      {
        // Made while the app is created: its hook comes after those of createFastifyAdapter, before middie's.
        provide: 'ACCESS_LOG',
        inject: [HttpAdapterHost],
        useFactory: (host: HttpAdapterHost) => {
          const instance = host.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
          if (instance && typeof instance.addHook === 'function') accessLog(instance, logger);
          return true;
        },
      },
    ],
  };
}

/**
 * Gives each request its logger (the app's logger with the request's `req` and `correlationId`), bound to the
 * request's async context for Nest's Logger, and writes its line when the response finishes, is closed or fails. A
 * root `onRequest` hook added after the security hooks of createFastifyAdapter, where nestjs-pino's middleware ran
 * (middie's hook): the requests those hooks answer themselves (a shutdown's 503) have no line, the others have one,
 * a 401, 403, 404 or 429 included.
 */
function accessLog(fastify: FastifyInstance, logger: PinoLogger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const req = request.raw as LoggingRequest;
    const res = reply.raw;
    const start = Date.now();
    const log = logger.child({ req: { id: req.id, method: req.method, url: req.url }, correlationId: correlationIdOf(req as Parameters<typeof correlationIdOf>[0]) });
    const complete = (err?: Error) => {
      res.removeListener('close', complete);
      res.removeListener('finish', complete);
      res.removeListener('error', complete);
      logCompletion(log, res, Date.now() - start, err);
    };
    res.on('close', complete);
    res.on('finish', complete);
    res.on('error', complete);
    storage.run(new Store(log), done);
  });
}

/** pino-http's line for a finished request: the same level (info), keys, order and messages. */
function logCompletion(log: PinoLogger, res: ServerResponse, responseTime: number, err: Error | undefined): void {
  const logged: LoggedResponse = { statusCode: res.headersSent ? res.statusCode : null };
  const failure = err ?? (res as ServerResponse & { err?: Error }).err;
  if (failure || res.statusCode >= 500) {
    log.info({ res: logged, err: failure ?? new Error(`failed with status code ${res.statusCode}`), responseTime }, 'request errored');
    return;
  }
  log.info({ res: logged, responseTime }, 'request completed');
}
