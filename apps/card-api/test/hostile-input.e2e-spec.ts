import { randomUUID } from 'node:crypto';
import { countEvents, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { activeDebitCard, registerCustomer } from './support/lifecycle-steps';
import { EVENT_STORE, type EventStore } from '@cards/event-store';

// What the HTTP fuzzer (fuzz.e2e-spec.ts) found, each pinned by a test of its own: all were 500s or plain JSON.
const PROBLEM = /^application\/problem\+json/;

function nested(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('hostile input the fuzzer found', () => {
  let t: TestApp;
  let store: EventStore;
  beforeAll(async () => {
    t = await startTestApp();
    store = t.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('a body nested thousands of levels deep is a 400 naming the field (was a 500: stack exhausted in class-transformer)', async () => {
    const card = await activeDebitCard(t);
    const before = await countEvents(store);
    for (const idempotencyKey of [undefined, randomUUID()]) {
      let req = t.http().post(`/v1/cards/${card.cardId}/suspend`).set('content-type', 'application/json');
      if (idempotencyKey) req = req.set('Idempotency-Key', idempotencyKey);
      const res = await req.send(JSON.stringify({ reason: nested(3000) }));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.errors).toEqual([{ field: 'reason', reason: expect.stringMatching(/nests deeper than 32 levels/) }]);
    }
    const arrays = await t.http().post('/v1/customers').set('content-type', 'application/json').send(`{"name":${'['.repeat(30_000)}${']'.repeat(30_000)}}`);
    expect(arrays.status).toBe(400);
    expect(arrays.body.errors).toEqual([{ field: 'name', reason: expect.any(String) }]);
    expect(await countEvents(store)).toBe(before);
  });

  it('a path with a percent-encoding that is not UTF-8, or an overlong id, is a 400 problem naming the path (was Fastify\'s plain JSON)', async () => {
    for (const path of ['/v1/cards/%E0%A4%A', '/v1/customers/%ED%A0%80/contact', `/v1/cards/${'a'.repeat(5000)}`]) {
      const res = await t.http().get(path);
      expect({ path: path.slice(0, 40), status: res.status }).toEqual({ path: path.slice(0, 40), status: 400 });
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', title: expect.any(String), detail: expect.any(String) });
      expect(res.body.errors).toEqual([{ field: 'path', reason: expect.any(String) }]);
    }
  });

  it('PATCH contact with "address": null is a 400 naming address (was a 500: TypeError in the decider)', async () => {
    const customerId = await registerCustomer(t);
    const before = await countEvents(store);
    const res = await t.http().patch(`/v1/customers/${customerId}/contact`).send({ address: null });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.errors).toEqual([{ field: 'address', reason: expect.stringMatching(/must be an object/) }]);
    expect(await countEvents(store)).toBe(before);
  });
});
