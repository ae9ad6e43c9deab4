import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
// The library @fastify/helmet wraps (its dependency, installed beside it): the headers are computed with it once.
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TokenRejectedError, type TokenVerifier } from '@cards/security';
import { decideAccess, type Authentication } from '../auth/access';
import { RateLimitExceededError } from '../auth/auth-errors';
import { PERMISSIONS, type EndpointPermission } from '../auth/permissions';
import { RATE_LIMIT_WINDOW_SECONDS } from '../auth/security-settings';
import '../auth/request-caller';

export interface HttpSecurityOptions {
  readonly verifier: TokenVerifier;
  readonly rateLimit: { readonly perMinute: number; readonly perIpPerMinute: number };
  /** Origins allowed to call from a browser; empty: CORS off (no CORS headers at all). */
  readonly corsOrigins: readonly string[];
  /** The permission table (tests add routes of their own). */
  readonly permissions?: readonly EndpointPermission[];
}

export interface RegisteredRoute {
  readonly method: string;
  readonly path: string;
}

const registries = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route registered on the instance since its security was set up, for the test that checks the table. */
export function registeredRoutes(instance: FastifyInstance): readonly RegisteredRoute[] {
  return registries.get(instance) ?? [];
}

const BEARER = /^Bearer +([\w-]+\.[\w-]*\.[\w-]*)$/i;
const MAX_AUTHORIZATION_LENGTH = 8192;

async function authenticate(request: FastifyRequest, verifier: TokenVerifier): Promise<Authentication> {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') return { kind: 'anonymous' };
  const match = header.length <= MAX_AUTHORIZATION_LENGTH ? BEARER.exec(header.trim()) : null;
  if (!match) return { kind: 'malformed-header' };
  try {
    return { kind: 'authenticated', principal: await verifier.verify(match[1]) };
  } catch (error) {
    if (error instanceof TokenRejectedError) return { kind: 'rejected', error };
    throw error;
  }
}

/** The API answers JSON only: nothing in a response may load, frame or run anything. */
const API_HEADERS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
};

/**
 * Swagger UI (/docs) is a page: its scripts, styles and images come from this origin, plus the inline styles
 * and data: icons the UI uses. No upgrade-insecure-requests: the service may be reached over plain HTTP locally.
 */
const DOCS_HEADERS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
    },
  },
};

/** What helmet does to a response with some options: the headers it sets, in its order, and the ones it removes. */
interface SecurityHeaders {
  readonly set: readonly (readonly [string, OutgoingHttpHeader])[];
  readonly removed: readonly string[];
}

/**
 * Runs helmet once, on a response that only records, for the headers these options give. @fastify/helmet runs
 * `helmet(options)` (parsing the options, building the policy) for every request: 4–5 % of the time of a GET.
 * The options here are constants (no per-request nonce or function directive), so the headers are too.
 */
function securityHeadersOf(options: HelmetOptions): SecurityHeaders {
  const set: [string, OutgoingHttpHeader][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: OutgoingHttpHeader) => void set.push([name, value]),
    removeHeader: (name: string) => void removed.push(name),
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return { set, removed };
}

/**
 * The security headers on every response, as `@fastify/helmet` with these options put them (same hook position,
 * same headers and order on the raw response): the API's, or the docs' where a route's `config.helmet` says so
 * (merged over the API's as @fastify/helmet merges a route's options).
 */
function addSecurityHeaders(fastify: FastifyInstance, api: FastifyHelmetOptions, docs: FastifyHelmetOptions): void {
  const apiHeaders = securityHeadersOf(api as HelmetOptions);
  const docsHeaders = securityHeadersOf({ ...api, ...docs } as HelmetOptions);
  fastify.addHook('onRequest', (request, reply, done) => {
    const headers = (request.routeOptions.config as { helmet?: unknown }).helmet === undefined ? apiHeaders : docsHeaders;
    const res = reply.raw;
    for (const [name, value] of headers.set) res.setHeader(name, value);
    for (const name of headers.removed) res.removeHeader(name);
    done();
  });
}

/**
 * Puts the service's HTTP defences on a Fastify instance, in the order a request meets them:
 *
 * 1. security headers on every response (helmet);
 * 2. authentication (onRequest): the bearer token is verified and the result kept on the request;
 * 3. rate limits (onRequest, per route): per token subject for a valid token, else per IP address; 429 with
 *    Retry-After;
 * 4. authorization (preParsing, so before a body is read): the permission table decides (401 / 403, deny by
 *    default) and the caller and its acting role are kept on the request for the handlers;
 * 5. CORS only for configured origins.
 *
 * Must run before the app registers its routes: the rate limit and the docs headers are attached per route.
 */
export async function secureHttp(adapter: FastifyAdapter, options: HttpSecurityOptions): Promise<void> {
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  const permissions = options.permissions ?? PERMISSIONS;
  const routes: RegisteredRoute[] = [];
  registries.set(fastify, routes);

  // Set by the hooks below for every request; null only until then.
  fastify.decorateRequest('authentication', null as never);
  fastify.decorateRequest('caller', null);

  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, path: route.url });
    if (route.url === '/docs' || route.url.startsWith('/docs/') || route.url.startsWith('/docs-')) {
      route.config = { ...(route.config ?? {}), helmet: DOCS_HEADERS } as typeof route.config;
    }
  });

  addSecurityHeaders(fastify, API_HEADERS, DOCS_HEADERS);

  fastify.addHook('onRequest', async (request) => {
    request.authentication = await authenticate(request, options.verifier);
  });

  await fastify.register(rateLimit, {
    global: true,
    timeWindow: RATE_LIMIT_WINDOW_SECONDS * 1000,
    keyGenerator: (request) =>
      request.authentication.kind === 'authenticated' ? `token:${request.authentication.principal.subject}` : `ip:${request.ip}`,
    max: (_request, key) => (key.startsWith('token:') ? options.rateLimit.perMinute : options.rateLimit.perIpPerMinute),
    errorResponseBuilder: (request, context) =>
      new RateLimitExceededError(
        Math.max(1, Math.ceil(context.ttl / 1000)),
        context.max,
        request.authentication.kind === 'authenticated' ? 'token' : 'ip',
      ),
  });

  // A callback rather than an async hook: it never waits, and a promise per request is not free.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.is404) return done(null, payload);
    let decision: ReturnType<typeof decideAccess>;
    try {
      decision = decideAccess(request.method, request.routeOptions.url ?? '', request.authentication, permissions);
    } catch (error) {
      return done(error as Error);
    }
    request.caller = decision.kind === 'granted' ? decision.caller : null;
    done(null, payload);
  });

  if (options.corsOrigins.length > 0) {
    adapter.enableCors({
      origin: [...options.corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Correlation-Id', 'X-Request-Id', 'X-Import-First-Line'],
      exposedHeaders: ['ETag', 'Location', 'Retry-After', 'WWW-Authenticate', 'Idempotent-Replayed', 'X-Request-Id', 'X-Correlation-Id'],
      maxAge: 600,
    });
  }
}
