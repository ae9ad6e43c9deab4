import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TokenVerifier } from '@cards/security';
import type { AppConfig } from '../app-config';
import type { EndpointPermission } from '../auth/permissions';
import { DEFAULT_BODY_LIMIT_BYTES, SAMPLE_BODY_LIMIT_BYTES, SAMPLE_ROUTES } from '../auth/security-settings';
import { frameworkErrorAsProblem, refuseDeeplyNestedJson } from './hostile-input';
import { secureHttp } from './http-security';
import { PROBLEM_CONTENT_TYPE } from './problem';
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
    // While closing, the hooks below answer with a problem document instead of Fastify's plain JSON 503.
    return503OnClosing: false,
    // A URL the router cannot take (bad percent-encoding, an overlong segment) is refused as a problem too.
    frameworkErrors: frameworkErrorAsProblem,
    // The request id is set on the raw request so that pino-http logs the same id Fastify uses.
    genReqId: (raw: IncomingMessage) => {
      const id = newRequestId(raw);
      (raw as IncomingMessage & { id?: string }).id = id;
      return id;
    },
  });
  drainOnClose(adapter);
  adapter.getInstance().removeContentTypeParser(['text/plain']);
  refuseDeeplyNestedJson(adapter.getInstance());
  // Identity verifications carry a photo or a fingerprint template: a larger limit for those routes only.
  adapter.getInstance().addHook('onRoute', (route) => {
    if (route.method === 'POST' && SAMPLE_ROUTES.includes(route.url)) route.bodyLimit = SAMPLE_BODY_LIMIT_BYTES;
  });
  // Hooks that never wait take a callback rather than being async: a promise per request and hook is not free.
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id).header('X-Correlation-Id', correlationIdOf(request));
    done();
  });
  await secureHttp(adapter, {
    verifier: await TokenVerifier.create(config.auth),
    rateLimit: config.rateLimit,
    corsOrigins: config.corsOrigins,
    ...(options.permissions && { permissions: options.permissions }),
  });
  return adapter;
}

/**
 * Draining when the server closes (SIGTERM, graceful-shutdown.ts): requests already in flight run to their end and
 * their answers close the connection, so that close() does not wait for each client's kept-alive connection to
 * time out (72 s); a request that arrives meanwhile on a connection still open is not started but answered 503,
 * as a problem, with Retry-After, on a connection that closes. New connections are refused by the server itself.
 */
function drainOnClose(adapter: FastifyAdapter): void {
  const fastify = adapter.getInstance();
  let draining = false;
  fastify.addHook('preClose', async () => {
    draining = true;
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!draining) return done();
    const instance = request.url.split('?')[0];
    void reply
      .code(503)
      .header('Connection', 'close')
      .header('Retry-After', '5')
      .type(PROBLEM_CONTENT_TYPE)
      .send({
        type: 'https://cards.example/problems/shutting-down',
        title: 'Service unavailable',
        status: 503,
        detail: 'This instance is shutting down and takes no new requests; retry, another instance (or this one, restarted) will answer.',
        code: 'SHUTTING_DOWN',
        instance,
      });
    // Answered: the request goes no further (done is not called).
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('Connection', 'close');
    done(null, payload);
  });
}
