import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { newDataDir, removeDataDir, startTestApp, type TestApp } from '../../card-api/test/support/test-app';
import { activeDebitCard } from '../../card-api/test/support/lifecycle-steps';
import { createProjector, loadProjectorConfig } from '../src/projector.factory';

describe('card-projector runs the projections apart from card-api', () => {
  const dataDir = newDataDir();
  let api: TestApp;
  let projector: NestFastifyApplication;

  beforeAll(async () => {
    api = await startTestApp(dataDir, { PROJECTIONS_IN_PROCESS: 'false', READ_YOUR_WRITES_TIMEOUT_MS: '5000' });
    projector = await createProjector(loadProjectorConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }));
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
    const mine = (await request(projector.getHttpServer()).get('/v1/projections').expect(200)).body.items;
    expect(mine.map((p: { name: string; runsHere: boolean; state: string }) => [p.name, p.runsHere])).toEqual([
      ['cards', true],
      ['disputes', true],
      ['verification-failures', true],
    ]);
    const theirs = (await api.http().get('/v1/projections').expect(200)).body.items;
    expect(theirs.every((p: { runsHere: boolean }) => !p.runsHere)).toBe(true);
    await request(projector.getHttpServer()).get('/health/ready').expect(200);
  });

  it('card-api refuses to rebuild what it does not run, and the projector does it', async () => {
    const refused = await api.http().post('/v1/projections/cards/rebuild');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PROJECTIONS_ELSEWHERE');
    await request(projector.getHttpServer()).post('/v1/projections/cards/rebuild').expect(202);
  });

  it('has no command or query routes of its own', async () => {
    const res = await request(projector.getHttpServer()).get('/v1/cards');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
