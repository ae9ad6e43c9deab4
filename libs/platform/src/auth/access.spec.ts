import { ROLES, TokenRejectedError, type Principal, type Role } from '@cards/security';
import { toProblem } from '../http/problem';
import { decideAccess, type Authentication } from './access';
import { AccessDeniedError, AuthenticationRequiredError } from './auth-errors';
import { PERMISSIONS, permissionFor } from './permissions';

const as = (...roles: Role[]): Authentication => ({
  kind: 'authenticated',
  principal: { subject: 'alice', roles, expiresAt: new Date('2030-01-01T00:00:00Z') } satisfies Principal,
});

function refusal(method: string, path: string, authentication: Authentication): unknown {
  try {
    decideAccess(method, path, authentication);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${method} ${path} to be refused`);
}

describe('decideAccess: the permission table decides every request', () => {
  describe('given a public route', () => {
    it.each(['/health', '/health/ready', '/docs', '/docs/', '/docs/openapi.json', '/docs/swagger-ui.css', '/docs-yaml'])(
      'lets anyone call GET %s, with no token or a bad one',
      (path) => {
        expect(decideAccess('GET', path, { kind: 'anonymous' })).toEqual({ kind: 'public' });
        expect(decideAccess('HEAD', path, { kind: 'malformed-header' })).toEqual({ kind: 'public' });
        expect(decideAccess('GET', path, { kind: 'rejected', error: new TokenRejectedError('expired', 'The token has expired') })).toEqual({ kind: 'public' });
      },
    );
  });

  describe('given any other route', () => {
    it('without a token: 401 AUTHENTICATION_REQUIRED', () => {
      const error = refusal('GET', '/v1/cards/:cardId', { kind: 'anonymous' });
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
      expect(toProblem(error)).toMatchObject({ status: 401, code: 'AUTHENTICATION_REQUIRED', detail: 'Send a token: Authorization: Bearer <JWT>' });
    });

    it('with an Authorization header that is not "Bearer <JWT>": 401 INVALID_TOKEN, malformed', () => {
      expect(toProblem(refusal('GET', '/v1/cards', { kind: 'malformed-header' }))).toMatchObject({ status: 401, code: 'INVALID_TOKEN', reason: 'malformed' });
    });

    it('with a refused token: 401 INVALID_TOKEN with the reason', () => {
      const error = refusal('POST', '/v1/cards', { kind: 'rejected', error: new TokenRejectedError('expired', 'The token has expired') });
      expect(toProblem(error)).toMatchObject({ status: 401, code: 'INVALID_TOKEN', reason: 'expired', detail: 'The token has expired' });
    });

    it('with a valid token whose roles the route does not allow: 403 naming the roles that may', () => {
      const error = refusal('POST', '/v1/imports', as('issuer', 'analyst'));
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(toProblem(error)).toMatchObject({
        status: 403,
        code: 'ROLE_NOT_ALLOWED',
        detail: 'POST /v1/imports needs one of the roles admin; the token has issuer, analyst',
        allowedRoles: ['admin'],
        yourRoles: ['issuer', 'analyst'],
      });
      expect(toProblem(refusal('GET', '/v1/cards', as()))).toMatchObject({ status: 403, detail: expect.stringMatching(/the token has none of the known roles$/) });
    });

    it('with a role the route allows: granted, acting in the first of the caller\'s roles (table order) that the route allows', () => {
      expect(decideAccess('POST', '/v1/cards/:cardId/disputes', as('issuer', 'agent'))).toEqual({
        kind: 'granted',
        caller: { principal: expect.objectContaining({ subject: 'alice' }), role: 'issuer' },
      });
      expect(decideAccess('GET', '/v1/customers/:customerId/cards', as('issuer', 'agent', 'analyst'))).toMatchObject({ caller: { role: 'agent' } });
      expect(decideAccess('GET', '/v1/projections', as(...ROLES))).toMatchObject({ caller: { role: 'analyst' } });
      expect(decideAccess('HEAD', '/v1/cards/:cardId', as('auditor'))).toMatchObject({ caller: { role: 'auditor' } });
    });
  });

  describe('given a route missing from the table (deny by default)', () => {
    it('asks for a token first, then refuses every role: 403 ROUTE_NOT_PERMITTED', () => {
      expect(refusal('DELETE', '/v1/cards/:cardId', { kind: 'anonymous' })).toBeInstanceOf(AuthenticationRequiredError);
      expect(toProblem(refusal('DELETE', '/v1/cards/:cardId', as(...ROLES)))).toMatchObject({
        status: 403,
        code: 'ROUTE_NOT_PERMITTED',
        detail: 'DELETE /v1/cards/:cardId is not in the permission table, so no role may call it',
        allowedRoles: [],
      });
      expect(refusal('GET', '/v1/secrets', as('admin'))).toBeInstanceOf(AccessDeniedError);
    });
  });
});

describe('the permission table', () => {
  it('names each endpoint once, with its method and a route pattern', () => {
    const routes = PERMISSIONS.map((p) => p.route);
    expect(new Set(routes).size).toBe(routes.length);
    for (const p of PERMISSIONS) {
      expect(p.route).toMatch(/^(GET|POST|PATCH|DELETE) \/[\w/:*-]*$/);
      expect(`${p.method} ${p.path}`).toBe(p.route);
    }
  });

  it('opens only the health checks, the docs, the survey links and the audit public key to callers without a token', () => {
    expect(PERMISSIONS.filter((p) => p.access === 'public').map((p) => p.route)).toEqual([
      'GET /health',
      'GET /health/ready',
      'GET /docs*',
      'GET /v1/case-surveys/:token',
      'POST /v1/case-surveys/:token',
      'GET /v1/audit/public-key',
    ]);
  });

  it('gives every other endpoint at least one role, in ROLES order, and every role something to do', () => {
    const used = new Set<Role>();
    for (const p of PERMISSIONS) {
      if (p.access === 'public') continue;
      expect(p.access.length).toBeGreaterThan(0);
      expect([...p.access]).toEqual(ROLES.filter((r) => p.access.includes(r)));
      p.access.forEach((r) => used.add(r));
    }
    expect([...used].sort()).toEqual([...ROLES].sort());
  });

  it('never lets the analyst read a customer, nor the admin any business data', () => {
    expect(permissionFor('GET', '/v1/customers/:customerId')?.access).not.toContain('analyst');
    const adminMay = PERMISSIONS.filter((p) => p.access !== 'public' && p.access.includes('admin')).map((p) => p.route);
    expect(adminMay).toEqual(['GET /v1/notification-templates', 'GET /v1/notification-templates/:templateId/preview', 'POST /v1/numbers/imports', 'POST /v1/numbers/:msisdn/withdrawal', 'GET /v1/projections', 'POST /v1/projections/:name/rebuild', 'POST /v1/imports', 'GET /v1/access-log', 'GET /v1/customers/:customerId/access-log', 'DELETE /v1/customers/:customerId/personal-data', 'POST /v1/admin/pii/master-key-rotations', 'GET /v1/admin/pii/master-key-rotations/:rotationId', 'POST /v1/audit/checkpoints', 'POST /v1/audit/verifications', 'GET /v1/audit/verifications/:verificationId']);
  });

  it('keeps the auditor read-only: reads, and besides them only signing a checkpoint and verifying the store, which change no business data', () => {
    const auditorMay = PERMISSIONS.filter((p) => p.access !== 'public' && p.access.includes('auditor'));
    expect(auditorMay.filter((p) => p.method !== 'GET').map((p) => p.route)).toEqual(['POST /v1/audit/checkpoints', 'POST /v1/audit/verifications']);
  });
});
