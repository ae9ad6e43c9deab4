import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TokenVerifier } from '@cards/security';
import type { AppConfig } from '../app-config';
import type { EndpointPermission } from '../auth/permissions';
import { DEFAULT_BODY_LIMIT_BYTES, SAMPLE_BODY_LIMIT_BYTES, SAMPLE_ROUTES } from '../auth/security-settings';
import { secureHttp } from './http-security';
import { correlationIdOf, newRequestId } from './request-ids';

export interface FastifyAdapterOptions {
  /** Largest request body, in bytes (64 KiB; imports have their own, larger limit). */
  readonly bodyLimit?: number;
  /** The permission table (tests add routes of their own). */
  readonly permissions?: readonly EndpointPermission[];
}

/**
 * The HTTP adapter every app of the service uses: JSON bodies only (anything else is a 415, not a string the
 * validators would puzzle over), a small body limit, request / correlation ids echoed in the response, and the
 * defences of http-security.ts (security headers, bearer tokens and the permission table, rate limits, CORS).
 * Create it before the app registers its routes.
 */
export async function createFastifyAdapter(config: AppConfig, options: FastifyAdapterOptions = {}): Promise<FastifyAdapter> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
    // The request id is set on the raw request so that pino-http logs the same id Fastify uses.
    genReqId: (raw: IncomingMessage) => {
      const id = newRequestId(raw);
      (raw as IncomingMessage & { id?: string }).id = id;
      return id;
    },
  });
  adapter.getInstance().removeContentTypeParser(['text/plain']);
  // Identity verifications carry a photo or a fingerprint template: a larger limit for those routes only.
  adapter.getInstance().addHook('onRoute', (route) => {
    if (route.method === 'POST' && SAMPLE_ROUTES.includes(route.url)) route.bodyLimit = SAMPLE_BODY_LIMIT_BYTES;
  });
  adapter.getInstance().addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id).header('X-Correlation-Id', correlationIdOf(request));
  });
  await secureHttp(adapter, {
    verifier: await TokenVerifier.create(config.auth),
    rateLimit: config.rateLimit,
    corsOrigins: config.corsOrigins,
    ...(options.permissions && { permissions: options.permissions }),
  });
  return adapter;
}
