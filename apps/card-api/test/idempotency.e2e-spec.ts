import { randomUUID } from 'node:crypto';
import { RequestMethod, type Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { IdempotencyInterceptor } from '../src/http/idempotency.interceptor';
import { CUSTOMER, countEvents, freshResidentId, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { issueDebitCard, linkedDebitCard, wrongCvv } from './support/lifecycle-steps';

/** CUSTOMER with an id document of its own (one customer per id document). */
const newCustomer = () => ({ ...CUSTOMER, idNumber: freshResidentId() });

function countAllEvents(t: TestApp): Promise<number> {
  return countEvents(t.app.get<EventStore>(EVENT_STORE));
}

interface Route {
  readonly route: string;
  readonly method: RequestMethod;
  readonly interceptors: readonly unknown[];
}

/** Every route of the app's controllers (inherited handlers included), with the interceptors Nest puts around it. */
function routesOf(t: TestApp): Route[] {
  const routes: Route[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as Type | null;
      if (!controller) continue;
      const classInterceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, controller) ?? []) as unknown[];
      const handlers = new Map<string, unknown>();
      for (let proto = controller.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          // The descriptor's value, not the property: a getter of the controller must not run here.
          if (name !== 'constructor' && !handlers.has(name)) handlers.set(name, Object.getOwnPropertyDescriptor(proto, name)?.value);
        }
      }
      for (const handler of handlers.values()) {
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
        routes.push({
          route: `${RequestMethod[method]} ${`${String(Reflect.getMetadata(PATH_METADATA, controller))}/${String(Reflect.getMetadata(PATH_METADATA, handler))}`.replace(/\/+/g, '/').replace(/\/$/, '')}`,
          method,
          interceptors: [...classInterceptors, ...((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[])],
        });
      }
    }
  }
  return routes;
}

describe('Idempotency-Key: retries are answered the same and write nothing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('a retried registration returns the same customer and writes nothing', async () => {
    const key = randomUUID();
    const first = await t.http().post('/v1/customers').set('Idempotency-Key', key).send(CUSTOMER).expect(201);
    const events = await countAllEvents(t);
    // Same body with its fields in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(CUSTOMER).reverse());
    const retry = await t.http().post('/v1/customers').set('Idempotency-Key', key).send(reordered).expect(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.location).toBe(first.headers.location);
    expect(await countAllEvents(t)).toBe(events);
  });

  it('the same key with another body is a 422, and writes nothing', async () => {
    const key = randomUUID();
    const customer = newCustomer();
    await t.http().post('/v1/customers').set('Idempotency-Key', key).send(customer).expect(201);
    const events = await countAllEvents(t);
    const other = await t.http().post('/v1/customers').set('Idempotency-Key', key).send({ ...customer, name: '李四' });
    expect(other.status).toBe(422);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await countAllEvents(t)).toBe(events);
  });

  it('a retried card command returns the same answer, not a 409, and the card stays where it was', async () => {
    const card = await issueDebitCard(t);
    const key = randomUUID();
    const body = { method: 'ID_DOCUMENT', name: '张三', idNumber: card.idNumber };
    const first = await t.http().post(`/v1/cards/${card.cardId}/identity-verifications`).set('Idempotency-Key', key).send(body).expect(200);
    const retry = await t.http().post(`/v1/cards/${card.cardId}/identity-verifications`).set('Idempotency-Key', key).send(body).expect(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.etag).toBe(first.headers.etag);
    const read = await t.http().get(`/v1/cards/${card.cardId}`);
    expect(read.body.revision).toBe(1);
  });

  it('a retried wrong-CVV2 attempt is answered the same 422 and spends no second attempt', async () => {
    const card = await linkedDebitCard(t);
    const key = randomUUID();
    const body = { channel: 'APP', cardNumber: card.cardNumber, cvv: wrongCvv(card.cvv) };
    const first = await t.http().post(`/v1/cards/${card.cardId}/activate`).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(422);
    const retry = await t.http().post(`/v1/cards/${card.cardId}/activate`).set('Idempotency-Key', key).send(body);
    expect(retry.status).toBe(422);
    expect(retry.body).toEqual(first.body);
    const read = await t.http().get(`/v1/cards/${card.cardId}`);
    expect(read.body).toMatchObject({ failedActivationAttempts: 1, attemptsLeft: 2 });
  });

  it('concurrent requests with the same key register one customer', async () => {
    const key = randomUUID();
    const customer = newCustomer();
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.http().post('/v1/customers').set('Idempotency-Key', key).send(customer)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body.customerId)).size).toBe(1);
    const store = t.app.get<EventStore>(EVENT_STORE);
    expect(await store.readStream(`customer-${answers[0].body.customerId}`)).toHaveLength(1);
  });

  it('keys belong to their caller: another caller with the same key and body gets its own answer', async () => {
    const key = randomUUID();
    const alice = await t.token({ roles: ['issuer'], sub: 'alice' });
    const bob = await t.token({ roles: ['issuer'], sub: 'bob' });
    const customer = newCustomer();
    const first = await t.http(alice).post('/v1/customers').set('Idempotency-Key', key).send(customer).expect(201);
    // Bob's request runs for itself: it is not answered with Alice's customer, but meets the rule of one customer
    // per id document, which names hers.
    const other = await t.http(bob).post('/v1/customers').set('Idempotency-Key', key).send(customer).expect(409);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.body).toMatchObject({ code: 'ID_NUMBER_ALREADY_REGISTERED', existingCustomerId: first.body.customerId });
    const again = await t.http(alice).post('/v1/customers').set('Idempotency-Key', key).send(customer).expect(201);
    expect(again.body).toEqual(first.body);
  });

  it('every POST and PATCH route honours the key (HonoursIdempotencyKey on its controller); GET /v1/cards/{id} has no interceptor to pay for', () => {
    const routes = routesOf(t);
    const writes = routes.filter((r) => r.method === RequestMethod.POST || r.method === RequestMethod.PATCH);
    expect(writes.length).toBeGreaterThan(30);
    expect(writes.filter((r) => !r.interceptors.includes(IdempotencyInterceptor)).map((r) => r.route)).toEqual([]);
    expect(writes.map((r) => r.route)).toEqual(expect.arrayContaining(['POST v1/projections/:name/rebuild', 'PATCH v1/customers/:customerId/contact']));
    expect(routes.filter((r) => ['GET v1/cards/:cardId', 'GET v1/audit/cards/:cardId/state'].includes(r.route))).toEqual([
      expect.objectContaining({ interceptors: [] }),
      expect.objectContaining({ interceptors: [] }),
    ]);
  });

  it('a read ignores the header, even a malformed one, as before', async () => {
    const card = await issueDebitCard(t);
    const res = await t.http().get(`/v1/cards/${card.cardId}`).set('Idempotency-Key', 'has spaces in it').expect(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a malformed key is a 400', async () => {
    const res = await t.http().post('/v1/customers').set('Idempotency-Key', 'has spaces in it').send(CUSTOMER);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('Idempotency-Key');
  });
});
