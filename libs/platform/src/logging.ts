import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from './app-config';
import { correlationIdOf } from './http/request-ids';

/**
 * Structured JSON logs (pino) with the request and correlation ids. Request and response bodies are never
 * logged: they carry card numbers, CVV2s and personal data.
 */
export function structuredLogging(config: AppConfig, destination?: DestinationStream): DynamicModule {
  const options = {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (req: unknown) => ({ correlationId: correlationIdOf(req as Parameters<typeof correlationIdOf>[0]) }),
  };
  return LoggerModule.forRoot({ pinoHttp: destination ? [options, destination] : options });
}
