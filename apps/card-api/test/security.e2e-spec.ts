import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import {
  createFastifyAdapter,
  loadAppConfig,
  permissionFor,
  PERMISSIONS,
  ProblemDetailsFilter,
  registeredRoutes,
  type EndpointPermission,
} from '@cards/platform';
import { ROLES, TokenMinter } from '@cards/security';
import { createProjector, loadProjectorConfig } from '../../card-projector/src/projector.factory';
import { CUSTOMER, freshResidentId, httpClient, newDataDir, removeDataDir, startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app';
import { activeDebitCard } from './support/lifecycle-steps';

const PROBLEM = /application\/problem\+json/;

/** A concrete path for a route pattern: unknown ids, so that an allowed request changes nothing (404 or 400). */
function concrete(path: string): string {
  return path
    .replace(':cardId', randomUUID())
    .replace(':customerId', randomUUID())
    .replace(':disputeId', randomUUID())
    .replace(':name', 'no-such-projection')
    .replace(/:(\w+)Id\b/g, () => randomUUID())
    .replace(/\*$/, '/openapi.json');
}

/** Sends the endpoint's request with a body its validation refuses or its handler finds nothing for. */
function call(t: TestApp, endpoint: EndpointPermission, token: string | null) {
  const client = t.http(token);
  const path = concrete(endpoint.path);
  if (endpoint.method === 'GET') return client.get(path);
  if (endpoint.path === '/v1/imports') return client.post(path).set('content-type', 'application/x-ndjson').send('');
  if (endpoint.method === 'DELETE') return client.delete(path).send({});
  if (endpoint.method === 'PATCH') return client.patch(path).send({});
  if (endpoint.method !== 'POST') throw new Error(`The walk does not know how to call ${endpoint.route}: teach it`);
  return client.post(path).send({});
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
function handBuilt(header: Record<string, unknown>, payload: Record<string, unknown>, hmacKey?: string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${hmacKey === undefined ? '' : createHmac('sha256', hmacKey).update(input).digest('base64url')}`;
}
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('authentication and roles', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('every endpoint × every role (and no token) answers exactly as the permission table says', async () => {
    const tokens = new Map<string, string | null>([['no token', null]]);
    for (const role of ROLES) tokens.set(role, await t.token({ sub: `only-${role}`, roles: [role] }));

    const mismatches: string[] = [];
    for (const endpoint of PERMISSIONS) {
      for (const [who, token] of tokens) {
        const res = await call(t, endpoint, token);
        const expected =
          endpoint.access === 'public'
            ? 'through'
            : token === null
              ? 401
              : (endpoint.access as readonly string[]).includes(who)
                ? 'through'
                : 403;
        const got = res.status === 401 || res.status === 403 ? res.status : res.status < 500 ? 'through' : res.status;
        if (got !== expected) mismatches.push(`${endpoint.route} as ${who}: expected ${expected}, got ${res.status}`);
        if (expected === 401) {
          expect(res.headers['content-type']).toMatch(PROBLEM);
          expect(res.headers['www-authenticate']).toBe('Bearer realm="cards"');
          expect(res.body).toMatchObject({ status: 401, code: 'AUTHENTICATION_REQUIRED' });
        }
        if (expected === 403) {
          expect(res.headers['content-type']).toMatch(PROBLEM);
          expect(res.body).toMatchObject({ status: 403, code: 'ROLE_NOT_ALLOWED', allowedRoles: endpoint.access, yourRoles: [who] });
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('every route card-api and card-projector register is in the permission table, and every row of the table is a route', async () => {
    const apiRoutes = registeredRoutes(t.app.getHttpAdapter().getInstance() as unknown as FastifyInstance).filter((r) => r.method !== 'HEAD');
    expect(apiRoutes.filter((r) => permissionFor(r.method, r.path) === undefined)).toEqual([]);
    for (const endpoint of PERMISSIONS) {
      expect({ route: endpoint.route, registered: apiRoutes.some((r) => permissionFor(r.method, r.path) === endpoint) }).toEqual({ route: endpoint.route, registered: true });
    }
    // The OpenAPI document lists the same endpoints.
    const openapi = (await t.http(null).get('/docs/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { description?: string; security?: unknown[] }>>;
    };
    expect(openapi.paths['/v1/cards/{cardId}'].get.description).toMatch(/Roles: issuer, agent, auditor/);
    expect(openapi.paths['/health'].get.security).toEqual([]);
    for (const [path, operations] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(operations)) {
        expect({ path, method, inTable: permissionFor(method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1')) !== undefined }).toMatchObject({ inTable: true });
      }
    }

    const dataDir = newDataDir();
    const projector = await createProjector(loadProjectorConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', AUTH_JWT_SECRET: TEST_JWT_SECRET }));
    try {
      const routes = registeredRoutes(projector.getHttpAdapter().getInstance() as unknown as FastifyInstance).filter((r) => r.method !== 'HEAD');
      expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /health', 'GET /health/ready', 'GET /v1/projections', 'POST /v1/projections/:name/rebuild']);
      expect(routes.filter((r) => permissionFor(r.method, r.path) === undefined)).toEqual([]);
    } finally {
      await projector.close();
      removeDataDir(dataDir);
    }
  });

  describe('tokens that prove nothing are 401, saying why, never echoing the token', () => {
    const claims = (overrides: Record<string, unknown> = {}) => ({ sub: 'mallory', roles: ['admin'], iat: nowSeconds(), exp: nowSeconds() + 600, ...overrides });

    it.each([
      ['expired (beyond the 30 s of clock skew)', () => handBuilt({ alg: 'HS256', typ: 'JWT' }, claims({ exp: nowSeconds() - 60 }), TEST_JWT_SECRET), 'expired'],
      ['tampered (roles raised, signature kept)', async (app: TestApp) => {
        const [header, , signature] = (await app.token({ sub: 'mallory', roles: ['analyst'] })).split('.');
        return `${header}.${b64url(claims())}.${signature}`;
      }, 'bad_signature'],
      ['unsigned (alg: none)', () => handBuilt({ alg: 'none', typ: 'JWT' }, claims()), 'wrong_algorithm'],
      ['signed with another key', () => handBuilt({ alg: 'HS256' }, claims(), 'another-secret-another-secret-another'), 'bad_signature'],
      ['signed with another algorithm', async () => {
        const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        return (await TokenMinter.forPrivateKey(pem)).mint({ subject: 'mallory', roles: ['admin'], ttlSeconds: 600 });
      }, 'wrong_algorithm'],
      ['without roles', () => handBuilt({ alg: 'HS256' }, claims({ roles: undefined }), TEST_JWT_SECRET), 'missing_claim'],
      ['with roles that are not an array', () => handBuilt({ alg: 'HS256' }, claims({ roles: 'admin' }), TEST_JWT_SECRET), 'invalid_claim'],
      ['not a JWT', () => 'not-a-jwt', 'malformed'],
    ])('%s', async (_kind, make, reason) => {
      const token = await make(t);
      const res = await t.http(token).get('/v1/projections');
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ status: 401, code: 'INVALID_TOKEN', reason, instance: '/v1/projections' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="cards", error="invalid_token", error_description="[^"]+"$/);
      expect(JSON.stringify(res.body)).not.toContain(token);
      expect(JSON.stringify(res.headers)).not.toContain(token);
    });

    it('an Authorization header that is not a bearer token', async () => {
      for (const header of ['Basic YWxpY2U6c2VjcmV0', 'Bearer', `Token ${await t.token()}`]) {
        const res = await request(t.app.getHttpServer()).get('/v1/cards').set('Authorization', header);
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ code: 'INVALID_TOKEN', reason: 'malformed', detail: 'The Authorization header must be "Bearer <JWT>"' });
      }
    });

    it('a token with no role the service knows is valid but may do nothing: 403', async () => {
      const res = await t.http(await t.token({ roles: ['superuser'] })).get('/v1/projections');
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'ROLE_NOT_ALLOWED', allowedRoles: ['analyst', 'auditor', 'admin'], yourRoles: [] });
    });

    it('a refused request is refused before its body is read', async () => {
      const big = 'x'.repeat(200 * 1024);
      const res = await t.http(null).post('/v1/customers').set('content-type', 'text/plain').send(big);
      expect(res.status).toBe(401);
    });
  });

  describe('the caller goes into the metadata of every event it causes', () => {
    it('as { id: sub, role }, the role being the first of its roles that the endpoint allows', async () => {
      const store = t.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
      const alice = await t.token({ sub: 'alice', roles: ['agent', 'issuer'] });
      const registered = await t.http(alice).post('/v1/customers').send(CUSTOMER).expect(201);
      const [customerRegistered] = await store.readStream(`customer-${registered.body.customerId}`);
      expect(customerRegistered.metadata.actor).toEqual({ id: 'alice', role: 'issuer' });

      const card = await activeDebitCard(t);
      const bob = await t.token({ sub: 'bob', roles: ['agent'] });
      await t.http(bob).post(`/v1/cards/${card.cardId}/disputes`).send({ reason: 'UNRECOGNIZED_ACTIVATION', description: 'Customer call' }).expect(201);
      const events = await store.readStream(`card-${card.cardId}`);
      expect(events.at(-1)).toMatchObject({ type: 'CardDisputed', metadata: { actor: { id: 'bob', role: 'agent' } } });
      expect(events[0].metadata.actor).toEqual({ id: 'e2e-tester', role: 'issuer' });
    });

    it('the X-Actor headers of old are ignored', async () => {
      const store = t.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
      const customerId = (await t.http().post('/v1/customers').set('X-Actor-Id', 'root').set('X-Actor-Role', 'admin').send({ ...CUSTOMER, idNumber: freshResidentId() }).expect(201)).body.customerId;
      expect((await store.readStream(`customer-${customerId}`))[0].metadata.actor).toEqual({ id: 'e2e-tester', role: 'issuer' });
    });
  });

  describe('security headers and CORS (off by default)', () => {
    it('every answer carries the security headers, a refusal too', async () => {
      for (const res of [await t.http(null).get('/health'), await t.http(null).get('/v1/cards'), await t.http().get(`/v1/cards/${randomUUID()}`)]) {
        expect(res.headers).toMatchObject({
          'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
          'referrer-policy': 'no-referrer',
          'cross-origin-resource-policy': 'same-origin',
        });
        expect(res.headers['x-powered-by']).toBeUndefined();
      }
    });

    it('Swagger UI still renders: its page loads only its own scripts and styles, which its policy allows', async () => {
      const page = await t.http(null).get('/docs').expect(200);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      const html = page.text;
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect({ attributes, inline: body.trim() }).toEqual({ attributes: expect.stringMatching(/src="/), inline: '' });
      }
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1], 'http://service/docs').pathname);
      expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui-init.js', '/docs/swagger-ui.css']));
      for (const asset of assets) await t.http(null).get(asset).expect(200);
    });

    it('sends no CORS headers, and answers no preflight, when CORS_ORIGINS is not set', async () => {
      const res = await t.http().get('/v1/projections').set('Origin', 'https://evil.example');
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await t.http(null).options('/v1/projections').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'GET');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    });
  });
});

describe('tokens from an identity provider (AUTH_JWT_PUBLIC_KEY)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(undefined, { AUTH_JWT_PUBLIC_KEY: publicPem });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('accepts RS256 tokens signed with its private key, and refuses HS256 tokens signed with the public key as secret', async () => {
    expect(t.config.auth.algorithm).toBe('RS256');
    const minter = await TokenMinter.forPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const good = await minter.mint({ subject: 'carol', roles: ['analyst'], ttlSeconds: 600 });
    await t.http(good).get('/v1/cards').expect(200);

    const forged = handBuilt({ alg: 'HS256', typ: 'JWT' }, { sub: 'mallory', roles: ['admin'], exp: nowSeconds() + 600 }, publicPem);
    const res = await t.http(forged).get('/v1/projections');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'INVALID_TOKEN', reason: 'wrong_algorithm', detail: expect.stringMatching(/RS256/) });
  });
});

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(undefined, { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_IP_PER_MINUTE: '2' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('per token subject: the request past the limit is a 429 problem with Retry-After, and another caller still passes', async () => {
    const dave = await t.token({ sub: 'dave', roles: ['analyst'] });
    for (let i = 0; i < 3; i++) {
      const ok = await t.http(dave).get('/v1/projections').expect(200);
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await t.http(dave).get('/v1/projections');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(PROBLEM);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body).toEqual({
      type: 'https://cards.example/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      code: 'RATE_LIMITED',
      detail: expect.stringMatching(/^More than 3 requests in a minute with this token's subject; retry in \d+ s$/),
      retryAfterSeconds: Number(limited.headers['retry-after']),
      limitPerMinute: 3,
      instance: '/v1/projections',
    });
    // Another token of the same subject is the same caller; another subject is not.
    await t.http(await t.token({ sub: 'dave', roles: ['analyst'] })).get('/v1/projections').expect(429);
    await t.http(await t.token({ sub: 'erin', roles: ['analyst'] })).get('/v1/projections').expect(200);
  });

  it('per IP address without a valid token, refused tokens included', async () => {
    await t.http(null).get('/health').expect(200);
    await t.http('not.a.token').get('/v1/cards').expect(401);
    const limited = await t.http(null).get('/health');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toEqual(expect.any(String));
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', limitPerMinute: 2, detail: expect.stringMatching(/from this address without a valid token/) });
    await t.http(await t.token({ sub: 'frank', roles: ['analyst'] })).get('/v1/cards').expect(200);
  });
});

describe('CORS for configured origins', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(undefined, { CORS_ORIGINS: 'https://back-office.example.com' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('answers a configured origin\'s preflight and requests, and nothing for any other origin', async () => {
    const preflight = await t
      .http(null)
      .options('/v1/cards')
      .set('Origin', 'https://back-office.example.com')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://back-office.example.com');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();

    const allowed = await t.http().get('/v1/cards').set('Origin', 'https://back-office.example.com').expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://back-office.example.com');
    expect(allowed.headers['access-control-expose-headers']).toMatch(/ETag/);
    const refused = await t.http(null).get('/v1/cards').set('Origin', 'https://back-office.example.com');
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('https://back-office.example.com');

    const other = await t.http().get('/v1/cards').set('Origin', 'https://evil.example').expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

@Controller('boom')
class FailingController {
  @Get()
  fail(): never {
    throw new Error('connection to db-7.internal failed with password hunter2');
  }
}

@Module({ controllers: [FailingController], providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }] })
class FailingModule {}

describe('no stack traces in answers', () => {
  let app: NestFastifyApplication;
  const dataDir = newDataDir();
  beforeAll(async () => {
    const config = loadAppConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: TEST_JWT_SECRET });
    const permissions: EndpointPermission[] = [...PERMISSIONS, { route: 'GET /boom', method: 'GET', path: '/boom', does: 'fails', access: ['auditor'] }];
    app = await NestFactory.create<NestFastifyApplication>(FailingModule, await createFastifyAdapter(config, { permissions }), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app.close();
    removeDataDir(dataDir);
  });

  it('a handler that throws a plain Error answers a generic 500 problem: no stack, no message, no internals', async () => {
    const token = await TokenMinter.forSecret(TEST_JWT_SECRET).mint({ subject: 'auditor-1', roles: ['auditor'], ttlSeconds: 60 });
    const res = await httpClient(app, token).get('/boom');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toEqual({
      type: 'https://cards.example/problems/internal-error',
      title: 'Internal error',
      status: 500,
      code: 'INTERNAL_ERROR',
      detail: 'Something went wrong on our side; it has been logged. Retry later.',
      instance: '/boom',
    });
    expect(res.text).not.toMatch(/hunter2|db-7|stack|\.ts:\d+|at \w+ \(/);
    expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
  });

  it('a route missing from the permission table is refused to every role (deny by default)', async () => {
    const unlisted = await createFastifyAdapter(loadAppConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: TEST_JWT_SECRET }));
    const bare = await NestFactory.create<NestFastifyApplication>(FailingModule, unlisted, { logger: false });
    await bare.init();
    await bare.getHttpAdapter().getInstance().ready();
    try {
      const everyRole = await TokenMinter.forSecret(TEST_JWT_SECRET).mint({ subject: 'root', roles: [...ROLES], ttlSeconds: 60 });
      const res = await httpClient(bare, everyRole).get('/boom');
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'ROUTE_NOT_PERMITTED', allowedRoles: [], detail: 'GET /boom is not in the permission table, so no role may call it' });
      expect((await httpClient(bare, null).get('/boom')).status).toBe(401);
    } finally {
      await bare.close();
    }
  });
});
