import { CUSTOMER, futureExpiry, luhnCardNumber, nextSeed, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { activeDebitCard, idNumberOf, issueDebitCard, registerCustomer } from './support/lifecycle-steps';

describe('card lifecycle over HTTP (real app, embedded store)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('registers a customer and reads it back from its stream', async () => {
    const created = await t.http().post('/v1/customers').send(CUSTOMER).expect(201);
    expect(created.body).toEqual({ customerId: expect.any(String), revision: 0, position: expect.stringMatching(/^\d+$/) });
    expect(created.headers.location).toBe(`/v1/customers/${created.body.customerId}`);

    const read = await t.http().get(`/v1/customers/${created.body.customerId}`).expect(200);
    expect(read.body).toMatchObject({
      customerId: created.body.customerId,
      name: '张三',
      idType: 'CN_RESIDENT_ID',
      idNumber: '11010519491231002X',
      phone: '+8613800138000',
      preferredChannels: ['SMS', 'EMAIL'],
      locale: 'zh-CN',
      revision: 0,
    });
    expect(read.headers.etag).toBe('"0"');
  });

  it('drives a DEBIT card from issue to activation, then through a rejected dispute, suspension and cancellation', async () => {
    const customerId = await registerCustomer(t);
    const cardNumber = luhnCardNumber('622202', 16, nextSeed());
    const expiry = futureExpiry();

    const issued = await t
      .http()
      .post('/v1/cards')
      .send({ customerId, product: 'DEBIT', cardNumber, expiry, channel: 'BRANCH', branchId: 'SH-7' })
      .expect(201);
    expect(issued.body).toEqual({ cardId: expect.any(String), status: 'ISSUED', revision: 0, position: expect.stringMatching(/^\d+/) });
    expect(issued.headers.etag).toBe('"0"');
    const { cardId } = issued.body;
    const positions = [BigInt(issued.body.position)];

    const verified = await t
      .http()
      .post(`/v1/cards/${cardId}/identity-verifications`)
      .send({ method: 'ID_DOCUMENT', name: '张 三', idNumber: idNumberOf(customerId).toLowerCase() })
      .expect(200);
    expect(verified.body).toMatchObject({ result: 'VERIFIED', reasons: [], status: 'IDENTITY_VERIFIED', revision: 1 });
    positions.push(BigInt(verified.body.position));

    const linked = await t.http().post(`/v1/cards/${cardId}/link`).send({ accountId: 'ACC-6222020000123456' }).expect(200);
    expect(linked.body).toMatchObject({ cardId, status: 'LINKED', revision: 2 });
    positions.push(BigInt(linked.body.position));

    const { cvv2For } = await import('./support/test-app');
    const activated = await t
      .http()
      .post(`/v1/cards/${cardId}/activate`)
      .set('If-Match', '"2"')
      .send({ channel: 'APP', cardNumber, cvv: cvv2For(t.config, cardNumber, expiry) })
      .expect(200);
    expect(activated.body).toMatchObject({ cardId, status: 'ACTIVE', revision: 3 });
    expect(activated.headers.etag).toBe('"3"');
    positions.push(BigInt(activated.body.position));

    const card = await t.http().get(`/v1/cards/${cardId}`).expect(200);
    expect(card.body).toMatchObject({
      cardId,
      customerId,
      status: 'ACTIVE',
      product: 'DEBIT',
      accountId: 'ACC-6222020000123456',
      panBin: cardNumber.slice(0, 6),
      panLast4: cardNumber.slice(-4),
      expiry,
      branchId: 'SH-7',
      activationChannel: 'APP',
      failedActivationAttempts: 0,
      revision: 3,
    });
    expect(card.body.timestamps).toEqual({
      issuedAt: expect.any(String),
      identityVerifiedAt: expect.any(String),
      linkedAt: expect.any(String),
      activatedAt: expect.any(String),
    });
    expect(JSON.stringify(card.body)).not.toContain(cardNumber);

    const disputed = await t
      .http()
      .post(`/v1/cards/${cardId}/disputes`)
      .send({ reason: 'UNRECOGNIZED_ACTIVATION', description: 'Customer did not activate' })
      .expect(201);
    expect(disputed.body).toMatchObject({ disputeId: expect.any(String), status: 'DISPUTED', revision: 4 });
    const duringDispute = await t.http().post(`/v1/cards/${cardId}/suspend`).send({ reason: 'LOST' }).expect(409);
    expect(duringDispute.body).toMatchObject({ code: 'TRANSITION_NOT_ALLOWED', currentStatus: 'DISPUTED', allowedCommands: ['ResolveDispute'] });

    const resolved = await t
      .http()
      .post(`/v1/cards/${cardId}/disputes/${disputed.body.disputeId}/resolution`)
      .send({ outcome: 'REJECTED', note: 'Activated from the registered device' })
      .expect(200);
    expect(resolved.body).toMatchObject({ disputeId: disputed.body.disputeId, status: 'ACTIVE', revision: 5 });

    await t.http().post(`/v1/cards/${cardId}/suspend`).send({ reason: 'LOST_REPORTED' }).expect(200);
    const reinstated = await t.http().post(`/v1/cards/${cardId}/reinstate`).send({ reason: 'Found' }).expect(200);
    expect(reinstated.body).toMatchObject({ status: 'ACTIVE', revision: 7 });
    const cancelled = await t.http().post(`/v1/cards/${cardId}/cancel`).send({ reason: 'Customer request' }).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', revision: 8 });
    positions.push(BigInt(cancelled.body.position));

    for (let i = 1; i < positions.length; i++) expect(positions[i] > positions[i - 1]).toBe(true);
    const final = await t.http().get(`/v1/cards/${cardId}`).expect(200);
    expect(final.body).toMatchObject({ status: 'CANCELLED', cancellationReason: 'Customer request', allowedCommands: [] });
  });

  it('cancels a card whose dispute is upheld', async () => {
    const card = await activeDebitCard(t);
    const disputed = await t.http().post(`/v1/cards/${card.cardId}/disputes`).send({ reason: 'FRAUD', description: 'Stolen in transit' }).expect(201);
    const upheld = await t
      .http()
      .post(`/v1/cards/${card.cardId}/disputes/${disputed.body.disputeId}/resolution`)
      .send({ outcome: 'UPHELD', note: 'Confirmed fraud' })
      .expect(200);
    expect(upheld.body).toMatchObject({ status: 'CANCELLED', revision: 6 });
    const read = await t.http().get(`/v1/cards/${card.cardId}`).expect(200);
    expect(read.body.cancellationReason).toBe('DISPUTE_UPHELD');
  });

  it('activates LOYALTY and SIM cards without a CVV2', async () => {
    const customerId = await registerCustomer(t);
    for (const [product, number] of [
      ['LOYALTY', luhnCardNumber('900001', 16, nextSeed())],
      ['SIM', luhnCardNumber('898601', 20, nextSeed())],
    ] as const) {
      const issued = await t.http().post('/v1/cards').send({ customerId, product, cardNumber: number, channel: 'MAIL' }).expect(201);
      const id = issued.body.cardId;
      await t.http().post(`/v1/cards/${id}/identity-verifications`).send({ method: 'ID_DOCUMENT', name: '张三', idNumber: idNumberOf(customerId) }).expect(200);
      await t.http().post(`/v1/cards/${id}/link`).send({ accountId: 'LOY-1' }).expect(200);
      const activated = await t.http().post(`/v1/cards/${id}/activate`).send({ channel: 'WEB' }).expect(200);
      expect(activated.body.status).toBe('ACTIVE');
    }
  });

  it('records a failed identity verification with its reasons and lets it be retried', async () => {
    const card = await issueDebitCard(t);
    const failed = await t
      .http()
      .post(`/v1/cards/${card.cardId}/identity-verifications`)
      .send({ method: 'ID_DOCUMENT', name: '李四', idNumber: card.idNumber })
      .expect(200);
    expect(failed.body).toMatchObject({ result: 'FAILED', status: 'ISSUED', revision: 1, reasons: ['NAME_MISMATCH'] });
    const retried = await t
      .http()
      .post(`/v1/cards/${card.cardId}/identity-verifications`)
      .send({ method: 'ID_DOCUMENT', name: '张三', idNumber: card.idNumber })
      .expect(200);
    expect(retried.body).toMatchObject({ result: 'VERIFIED', status: 'IDENTITY_VERIFIED', revision: 2 });
  });

  it('answers liveness and readiness, and serves the OpenAPI document', async () => {
    expect((await t.http().get('/health').expect(200)).body).toEqual({ status: 'ok' });
    expect((await t.http().get('/health/ready').expect(200)).body).toMatchObject({ status: 'ready', checks: { eventStore: { status: 'up', kind: 'sqlite' } } });
    const openapi = await t.http().get('/docs/openapi.json').expect(200);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/customers', '/v1/cards', '/v1/cards/{cardId}/activate', '/v1/cards/{cardId}/disputes/{disputeId}/resolution']),
    );
    const ui = await t.http().get('/docs').redirects(1);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });
});
