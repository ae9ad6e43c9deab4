import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { httpClient, newDataDir, removeDataDir, startTestApp, TEST_JWT_SECRET, type TestApp } from '../../card-api/test/support/test-app';
import { activeDebitCard } from '../../card-api/test/support/lifecycle-steps';
import { createProjector, loadProjectorConfig } from '../src/projector.factory';

describe('card-projector runs the projections apart from card-api', () => {
  const dataDir = newDataDir();
  let api: TestApp;
  let projector: NestFastifyApplication;
  /** Requests to the projector, with a token holding every role unless told otherwise. */
  let projectorHttp: (token?: string | null) => ReturnType<typeof request>;

  beforeAll(async () => {
    api = await startTestApp(dataDir, { PROJECTIONS_IN_PROCESS: 'false', READ_YOUR_WRITES_TIMEOUT_MS: '5000' });
    projector = await createProjector(loadProjectorConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', AUTH_JWT_SECRET: TEST_JWT_SECRET }));
    const everyRole = await api.token();
    projectorHttp = (token) => httpClient(projector, token === undefined ? everyRole : token);
  });
  afterAll(async () => {
    await projector.close();
    await api.close();
    removeDataDir(dataDir);
  });

  it('reads what the API wrote into the read models the API serves', async () => {
    const card = await activeDebitCard(api);
    const position = (await api.http().post(`/v1/cards/${card.cardId}/suspend`).send({ reason: 'LOST' }).expect(200)).body.position;
    const found = await api.http().get('/v1/cards').query({ customerId: card.customerId, minPosition: position }).expect(200);
    expect(found.body.items).toEqual([expect.objectContaining({ cardId: card.cardId, status: 'SUSPENDED' })]);
  });

  it('reports its projections as running here, and card-api reports them as running elsewhere', async () => {
    const mine = (await projectorHttp().get('/v1/projections').expect(200)).body.items;
    expect(mine.map((p: { name: string; runsHere: boolean; state: string }) => [p.name, p.runsHere])).toEqual([
      ['cards', true],
      ['disputes', true],
      ['verification-failures', true],
      ['customers', true],
      ['personal-data-access', true],
      ['audit-heads', true],
      ['reviews', true],
      ['notifications', true],
      ['numbers', true],
      ['cases', true],
    ]);
    const theirs = (await api.http().get('/v1/projections').expect(200)).body.items;
    expect(theirs.every((p: { runsHere: boolean }) => !p.runsHere)).toBe(true);
    // Both show the projections lease: the projector holds it, card-api does not compete for it.
    const lease = (await projectorHttp().get('/v1/projections').expect(200)).body.lease;
    expect(lease).toMatchObject({ name: 'projections', holder: lease.thisProcess, heldByThisProcess: true, role: 'active', expired: false });
    expect((await api.http().get('/v1/projections').expect(200)).body.lease).toMatchObject({ holder: lease.thisProcess, heldByThisProcess: false, role: 'idle' });
    await projectorHttp(null).get('/health/ready').expect(200);
  });

  it('asks for a token and checks its roles like card-api, with the same permission table', async () => {
    const anonymous = await projectorHttp(null).get('/v1/projections');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="cards"');
    await projectorHttp(await api.token({ roles: ['auditor'] })).get('/v1/projections').expect(200);
    const analystRebuild = await projectorHttp(await api.token({ roles: ['analyst'] })).post('/v1/projections/cards/rebuild');
    expect(analystRebuild.status).toBe(403);
    expect(analystRebuild.body).toMatchObject({ code: 'ROLE_NOT_ALLOWED', allowedRoles: ['admin'] });
  });

  it('card-api refuses to rebuild what it does not run, and the projector does it', async () => {
    const refused = await api.http().post('/v1/projections/cards/rebuild');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PROJECTIONS_ELSEWHERE');
    await projectorHttp(await api.token({ roles: ['admin'] })).post('/v1/projections/cards/rebuild').expect(202);
  });

  it('has no command or query routes of its own', async () => {
    const res = await projectorHttp().get('/v1/cards');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
