import { randomUUID } from 'node:crypto';
import { CUSTOMER, futureExpiry, luhnCardNumber, nextSeed, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { activeDebitCard, issueDebitCard, linkedDebitCard, registerCustomer, wrongCvv } from './support/lifecycle-steps';

const PROBLEM = /application\/problem\+json/;

describe('errors are problem+json with the right status, and lose nothing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  describe('400: malformed input names each field and why', () => {
    it('a card number with a wrong Luhn digit says so', async () => {
      const customerId = await registerCustomer(t);
      const res = await t.http().post('/v1/cards').send({ customerId, product: 'DEBIT', cardNumber: '4111111111111112', expiry: futureExpiry(), channel: 'BRANCH' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', type: expect.any(String), title: expect.any(String) });
      expect(res.body.errors).toEqual([{ field: 'cardNumber', reason: expect.stringMatching(/Luhn/) }]);
      expect(JSON.stringify(res.body)).not.toContain('4111111111111112');
    });

    it('lists every bad field of a body at once, and refuses unknown fields', async () => {
      const res = await t.http().post('/v1/cards').send({ customerId: 'nope', product: 'GOLD', cardNumber: 'abc', channel: 'FAX', colour: 'red' });
      expect(res.status).toBe(400);
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['customerId', 'product', 'cardNumber', 'channel', 'colour']));
    });

    it('checks the CN resident id check character and the phone number', async () => {
      const res = await t.http().post('/v1/customers').send({ ...CUSTOMER, idNumber: '110105194912310021', phone: '12345' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'idNumber', reason: expect.stringMatching(/check character/) },
          { field: 'phone', reason: expect.any(String) },
        ]),
      );
    });

    it('requires an expiry for DEBIT and refuses one in the past', async () => {
      const customerId = await registerCustomer(t);
      const cardNumber = luhnCardNumber('411111', 16, nextSeed());
      const missing = await t.http().post('/v1/cards').send({ customerId, product: 'CREDIT', cardNumber, channel: 'BRANCH' });
      expect(missing.status).toBe(400);
      expect(missing.body.errors).toEqual([{ field: 'expiry', reason: expect.any(String) }]);
      const past = await t.http().post('/v1/cards').send({ customerId, product: 'CREDIT', cardNumber, expiry: '01/20', channel: 'BRANCH' });
      expect(past.status).toBe(400);
      expect(past.body.errors[0].field).toBe('expiry');
    });

    it('malformed JSON, a non-object body, a malformed id and a malformed If-Match are 400s', async () => {
      const badJson = await t.http().post('/v1/customers').set('content-type', 'application/json').send('{"name": ');
      expect(badJson.status).toBe(400);
      expect(badJson.headers['content-type']).toMatch(PROBLEM);
      expect(badJson.body.code).toBe('MALFORMED_JSON');

      const array = await t.http().post('/v1/customers').send([1, 2]);
      expect(array.status).toBe(400);
      expect(array.headers['content-type']).toMatch(PROBLEM);

      const badId = await t.http().get('/v1/cards/not-a-uuid');
      expect(badId.status).toBe(400);
      expect(badId.body.errors).toEqual([{ field: 'cardId', reason: 'must be a UUID' }]);

      const card = await issueDebitCard(t);
      const badIfMatch = await t.http().post(`/v1/cards/${card.cardId}/suspend`).set('If-Match', 'three').send({ reason: 'x' });
      expect(badIfMatch.status).toBe(400);
      expect(badIfMatch.body.errors[0].field).toBe('If-Match');
    });

    it('text with a lone UTF-16 surrogate (valid JSON, not valid Unicode, unhashable) is a 400 naming the field', async () => {
      const card = await issueDebitCard(t);
      const lone = await t
        .http()
        .post(`/v1/cards/${card.cardId}/suspend`)
        .set('content-type', 'application/json')
        .send('{"reason":"lost \\ud800 card"}');
      expect(lone.status).toBe(400);
      expect(lone.headers['content-type']).toMatch(PROBLEM);
      expect(lone.body.errors).toEqual([{ field: 'reason', reason: expect.stringMatching(/lone UTF-16 surrogate/) }]);
      const nested = await t.http().post('/v1/customers').set('content-type', 'application/json').send(JSON.stringify({ ...CUSTOMER, address: { line1: 'x', city: '\udc00', country: 'CN' } }));
      expect(nested.status).toBe(400);
      expect(nested.body.errors[0].field).toBe('address.city');
      // The pair it belongs in is fine.
      await t.http().post(`/v1/cards/${card.cardId}/suspend`).send({ reason: 'lost 😀 card' }).expect(200);
    });

    it('a DEBIT activation without card number and CVV2 is a 400 that spends no attempt', async () => {
      const card = await linkedDebitCard(t);
      const res = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP' });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['cardNumber', 'cvv']);
      const after = await t.http().get(`/v1/cards/${card.cardId}`);
      expect(after.body).toMatchObject({ status: 'LINKED', failedActivationAttempts: 0, revision: 2 });
    });

    it('an unsupported content type is a 415 problem', async () => {
      const res = await t.http().post('/v1/customers').set('content-type', 'text/plain').send('hello');
      expect(res.status).toBe(415);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    });
  });

  describe('404: unknown ids and routes', () => {
    it('an unknown card, customer or route', async () => {
      for (const path of [`/v1/cards/${randomUUID()}`, `/v1/customers/${randomUUID()}`, '/v1/nothing-here']) {
        const res = await t.http().get(path);
        expect(res.status).toBe(404);
        expect(res.headers['content-type']).toMatch(PROBLEM);
      }
      const command = await t.http().post(`/v1/cards/${randomUUID()}/link`).send({ accountId: 'A1' });
      expect(command.status).toBe(404);
      expect(command.body.code).toBe('CARD_NOT_FOUND');
    });

    it('issuing a card to a customer that does not exist', async () => {
      const res = await t
        .http()
        .post('/v1/cards')
        .send({ customerId: randomUUID(), product: 'LOYALTY', cardNumber: luhnCardNumber('900001', 16, nextSeed()), channel: 'WEB' });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('CUSTOMER_NOT_FOUND');
    });
  });

  describe('409: transitions the lifecycle forbids', () => {
    it('names the current status and what it allows', async () => {
      const card = await issueDebitCard(t);
      const res = await t.http().post(`/v1/cards/${card.cardId}/link`).send({ accountId: 'A1' });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ code: 'TRANSITION_NOT_ALLOWED', currentStatus: 'ISSUED', command: 'LinkCard' });
      expect(res.body.allowedCommands).toEqual(expect.arrayContaining(['VerifyIdentity', 'SuspendCard', 'CancelCard']));
      expect(res.body.detail).toContain('ISSUED');
    });

    it('the same card number issued twice', async () => {
      const card = await issueDebitCard(t);
      const again = await t.http().post('/v1/cards').send({ customerId: card.customerId, product: 'DEBIT', cardNumber: card.cardNumber, expiry: card.expiry, channel: 'APP' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('CARD_NUMBER_ALREADY_ISSUED');
    });

    it('a cancelled card takes nothing more', async () => {
      const card = await issueDebitCard(t);
      await t.http().post(`/v1/cards/${card.cardId}/cancel`).send({ reason: 'Damaged' }).expect(200);
      const res = await t.http().post(`/v1/cards/${card.cardId}/reinstate`).send({});
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ currentStatus: 'CANCELLED', allowedCommands: [] });
    });
  });

  describe('412: a stale If-Match', () => {
    it('refuses a command when the card has moved on, and writes nothing', async () => {
      const card = await issueDebitCard(t);
      const current = await t.http().get(`/v1/cards/${card.cardId}`);
      expect(current.headers.etag).toBe('"0"');
      await t.http().post(`/v1/cards/${card.cardId}/suspend`).set('If-Match', '"0"').send({ reason: 'First' }).expect(200);
      const stale = await t.http().post(`/v1/cards/${card.cardId}/cancel`).set('If-Match', '"0"').send({ reason: 'Second' });
      expect(stale.status).toBe(412);
      expect(stale.headers['content-type']).toMatch(PROBLEM);
      expect(stale.body).toMatchObject({ code: 'PRECONDITION_FAILED', expectedRevision: '0', currentRevision: '1' });
      const after = await t.http().get(`/v1/cards/${card.cardId}`);
      expect(after.body).toMatchObject({ status: 'SUSPENDED', revision: 1 });
    });
  });

  describe('422: a wrong CVV2', () => {
    it('records each failed attempt, says how many are left, and suspends on the third', async () => {
      const card = await linkedDebitCard(t);
      for (const left of [2, 1]) {
        const res = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'IVR', cardNumber: card.cardNumber, cvv: wrongCvv(card.cvv) });
        expect(res.status).toBe(422);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body).toMatchObject({ code: 'ACTIVATION_ATTEMPT_FAILED', reason: 'CVV_MISMATCH', attemptsLeft: left, cardStatus: 'LINKED' });
      }
      const third = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'IVR', cardNumber: card.cardNumber, cvv: wrongCvv(card.cvv) });
      expect(third.status).toBe(422);
      expect(third.body).toMatchObject({ attemptsLeft: 0, cardStatus: 'SUSPENDED' });
      const read = await t.http().get(`/v1/cards/${card.cardId}`);
      expect(read.body).toMatchObject({ status: 'SUSPENDED', suspensionReason: 'CVV_RETRY_LIMIT', failedActivationAttempts: 3 });

      // The right CVV2 no longer helps: the card is suspended until reinstated, which resets the count.
      const blocked = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber: card.cardNumber, cvv: card.cvv });
      expect(blocked.status).toBe(409);
      await t.http().post(`/v1/cards/${card.cardId}/reinstate`).send({ reason: 'Identity re-checked at branch' }).expect(200);
      const activated = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber: card.cardNumber, cvv: card.cvv });
      expect(activated.status).toBe(200);
      expect(activated.body.status).toBe('ACTIVE');
    });

    it('another card\'s number counts as a failed proof of possession', async () => {
      const card = await linkedDebitCard(t);
      const other = luhnCardNumber('411111', 16, nextSeed());
      const res = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'WEB', cardNumber: other, cvv: card.cvv });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ reason: 'CARD_NUMBER_MISMATCH', attemptsLeft: 2 });
    });
  });

  it('concurrent conflicting commands on one card: each is applied or refused, none is lost or doubled', async () => {
    const card = await activeDebitCard(t);
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        t.http().post(`/v1/cards/${card.cardId}/${i % 2 === 0 ? 'suspend' : 'cancel'}`).send({ reason: `race ${i}` }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const applied = statuses.filter((s) => s === 200).length;
    expect(applied).toBeGreaterThanOrEqual(1);
    const final = await t.http().get(`/v1/cards/${card.cardId}`).expect(200);
    expect(final.body.revision).toBe(3 + applied);
    expect(['SUSPENDED', 'CANCELLED']).toContain(final.body.status);
    // At most one suspension can precede the cancellation, and nothing follows a cancellation.
    expect(applied).toBeLessThanOrEqual(2);
  });

  it('echoes the caller\'s correlation id', async () => {
    const res = await t.http().get('/health').set('X-Correlation-Id', 'trace-abc-123');
    expect(res.headers['x-correlation-id']).toBe('trace-abc-123');
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('never answers 500 to a sweep of odd inputs', async () => {
    const card = await activeDebitCard(t);
    const odd: unknown[] = [null, 0, 'x', true, {}, { channel: null }, { reason: 12 }, { accountId: ['a'] }, { outcome: {} }, { description: 'x'.repeat(5000) }];
    const paths = [
      '/v1/customers',
      '/v1/cards',
      `/v1/cards/${card.cardId}/identity-verifications`,
      `/v1/cards/${card.cardId}/link`,
      `/v1/cards/${card.cardId}/activate`,
      `/v1/cards/${card.cardId}/disputes`,
      `/v1/cards/${card.cardId}/disputes/${randomUUID()}/resolution`,
      `/v1/cards/${card.cardId}/suspend`,
      `/v1/cards/${card.cardId}/reinstate`,
      `/v1/cards/${card.cardId}/cancel`,
    ];
    for (const path of paths) {
      for (const body of odd) {
        const res = await t.http().post(path).set('content-type', 'application/json').send(JSON.stringify(body));
        expect({ path, body, status: res.status }).toEqual({ path, body, status: expect.any(Number) });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['content-type']).toMatch(PROBLEM);
      }
    }
    const still = await t.http().get(`/v1/cards/${card.cardId}`);
    expect(still.body).toMatchObject({ status: 'ACTIVE', revision: 3 });
  });
});
