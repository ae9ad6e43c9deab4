import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { FakeIdentityProvider, sampleScoring } from '@cards/platform/identity/testing/fake-identity-provider';
import { CUSTOMER, freshResidentId, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { idNumberOf, issueDebitCard, registerCustomer } from './support/lifecycle-steps';

const PROBLEM = /application\/problem\+json/;

describe('identity verification in depth: methods, provider, reviews, lock (real app, local provider)', () => {
  let t: TestApp;
  let provider: FakeIdentityProvider;
  let clerk: string;
  let agent: string;
  let otherAgent: string;

  beforeAll(async () => {
    provider = await FakeIdentityProvider.listen();
    t = await startTestApp(undefined, { IDENTITY_PROVIDER_URL: provider.url, IDENTITY_PROVIDER_TIMEOUT_MS: '300', IDENTITY_PROVIDER_RETRIES: '1', IDENTITY_PROVIDER_DEADLINE_MS: '2000' });
    clerk = await t.token({ roles: ['issuer'], sub: 'branch-clerk-17' });
    agent = await t.token({ roles: ['agent'], sub: 'agent-review-1' });
    otherAgent = await t.token({ roles: ['agent'], sub: 'agent-review-2' });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
    removeDataDir(t.dataDir);
  });
  beforeEach(() => provider.reset());

  async function cardOfCustomer(): Promise<{ cardId: string; customerId: string; idNumber: string; name: string }> {
    const card = await issueDebitCard(t);
    const customer = (await t.http().get(`/v1/customers/${card.customerId}`).expect(200)).body;
    return { cardId: card.cardId, customerId: card.customerId, idNumber: customer.idNumber, name: customer.name };
  }
  const verify = (cardId: string, body: object, token = clerk) => t.http(token).post(`/v1/cards/${cardId}/identity-verifications`).send(body);

  it('ID_DOCUMENT: a reason code per failed check, then verified', async () => {
    const { cardId, idNumber, name } = await cardOfCustomer();
    const wrongCheck = idNumber.slice(0, 17) + (idNumber[17] === '0' ? '1' : '0');
    const failed = await verify(cardId, { method: 'ID_DOCUMENT', name: '李四', idNumber: wrongCheck }).expect(200);
    expect(failed.body).toMatchObject({ result: 'FAILED', status: 'ISSUED' });
    expect(failed.body.reasons.sort()).toEqual(['ID_CHECK_CHARACTER_INVALID', 'ID_NUMBER_MISMATCH', 'NAME_MISMATCH']);
    const ok = await verify(cardId, { method: 'ID_DOCUMENT', name: ` ${name} `, idNumber: idNumber.toLowerCase() }).expect(200);
    expect(ok.body).toMatchObject({ result: 'VERIFIED', reasons: [], status: 'IDENTITY_VERIFIED' });
  });

  it('FACE: asks the provider with the registered identity, and never stores the sample', async () => {
    const { cardId, idNumber, name } = await cardOfCustomer();
    const sample = sampleScoring(0.93);
    const res = await verify(cardId, { method: 'FACE', sample }).set('Idempotency-Key', `face-${cardId}`).expect(200);
    expect(res.body).toMatchObject({ result: 'VERIFIED', status: 'IDENTITY_VERIFIED' });
    expect(provider.requests).toHaveLength(1);
    expect(provider.requests[0].body).toMatchObject({ method: 'FACE', subject: { name, idType: 'CN_RESIDENT_ID', idNumber }, sample: { format: 'base64', data: sample } });
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`card-${cardId}`);
    expect(events[1]).toMatchObject({ type: 'IdentityVerified', data: { method: 'FACE', matchScore: 0.93, providerReference: expect.any(String) } });
    expect(JSON.stringify(events.map((e) => ({ data: e.data, metadata: e.metadata })))).not.toContain(sample);
  });

  it('FACE in the review band goes to a person; the agents\' queue shows it; contact attempts; four eyes; approval verifies', async () => {
    const { cardId } = await cardOfCustomer();
    const res = await verify(cardId, { method: 'FACE', sample: sampleScoring(0.7) }).expect(200);
    expect(res.body).toMatchObject({ result: 'REVIEW', reasons: ['SCORE_IN_REVIEW_BAND'], status: 'IDENTITY_REVIEW', reviewId: expect.any(String) });
    const { reviewId } = res.body;

    const queue = await t.http(agent).get('/v1/reviews').query({ status: 'OPEN', minPosition: res.body.position }).expect(200);
    expect(queue.body.items).toContainEqual(
      expect.objectContaining({ reviewId, cardId, method: 'FACE', reasons: ['SCORE_IN_REVIEW_BAND'], matchScore: 0.7, status: 'OPEN', requestedBy: 'branch-clerk-17' }),
    );
    // While the review is open, nothing else moves the card's identity.
    expect((await verify(cardId, { method: 'FACE', sample: sampleScoring(0.99) }).expect(409)).body.currentStatus).toBe('IDENTITY_REVIEW');

    const contact = await t.http(agent).post(`/v1/reviews/${reviewId}/contact-attempts`).send({ channel: 'PHONE', outcome: 'NO_ANSWER' }).expect(201);
    expect(contact.body).toMatchObject({ reviewId, status: 'IDENTITY_REVIEW' });
    await t.http(agent).post(`/v1/reviews/${reviewId}/contact-attempts`).send({ channel: 'PHONE', outcome: 'REACHED', note: 'Customer came to the branch' }).expect(201);

    // The clerk who asked cannot decide it (four eyes), even with an agent role.
    const selfDecider = await t.token({ roles: ['agent'], sub: 'branch-clerk-17' });
    const refused = await t.http(selfDecider).post(`/v1/reviews/${reviewId}/decision`).send({ decision: 'APPROVE', note: 'looks fine' }).expect(403);
    expect(refused.headers['content-type']).toMatch(PROBLEM);
    expect(refused.body.code).toBe('REVIEWER_MUST_DIFFER');

    const decided = await t.http(otherAgent).post(`/v1/reviews/${reviewId}/decision`).send({ decision: 'APPROVE', note: 'Original seen at the branch' }).expect(200);
    expect(decided.body).toMatchObject({ reviewId, decision: 'APPROVE', status: 'IDENTITY_VERIFIED' });

    const approved = await t.http(agent).get('/v1/reviews').query({ status: 'APPROVED', minPosition: decided.body.position }).expect(200);
    const review = approved.body.items.find((r: { reviewId: string }) => r.reviewId === reviewId);
    expect(review).toMatchObject({ status: 'APPROVED', decidedBy: 'agent-review-2', decisionNote: 'Original seen at the branch', durationSeconds: expect.any(Number) });
    expect(review.contactAttempts.map((c: { outcome: string }) => c.outcome)).toEqual(['NO_ANSWER', 'REACHED']);
    await t.http(otherAgent).post(`/v1/reviews/${reviewId}/decision`).send({ decision: 'REJECT', note: 'again' }).expect(409);
  });

  it('three failures lock the card until a review decides; a rejection lets the customer start again', async () => {
    const { cardId, idNumber } = await cardOfCustomer();
    for (const expected of ['FAILED', 'FAILED', 'LOCKED']) {
      const res = await verify(cardId, { method: 'ID_DOCUMENT', name: '冒名顶替', idNumber }).expect(200);
      expect(res.body.result).toBe(expected);
    }
    const locked = (await t.http().get(`/v1/cards/${cardId}`).expect(200)).body;
    expect(locked.status).toBe('VERIFICATION_LOCKED');
    const head = String((await t.app.get<EventStore>(EVENT_STORE).headPosition())!.commit);
    const review = (await t.http(agent).get('/v1/reviews').query({ minPosition: head, limit: 200 }).expect(200)).body.items.find((r: { cardId: string }) => r.cardId === cardId);
    expect(review).toMatchObject({ reasons: ['VERIFICATION_LOCKED'], differences: ['NAME_MISMATCH'] });

    await t.http(agent).post(`/v1/reviews/${review.reviewId}/decision`).send({ decision: 'REJECT', note: 'Could not confirm the identity' }).expect(200);
    expect((await t.http().get(`/v1/cards/${cardId}`).expect(200)).body.status).toBe('ISSUED');
    expect((await verify(cardId, { method: 'ID_DOCUMENT', name: CUSTOMER.name, idNumber }).expect(200)).body.result).toBe('VERIFIED');
  });

  it.each([
    ['down', async () => provider.always({ hangUp: true }), 'CONNECTION_FAILED'],
    ['slow', async () => provider.always({ delayMs: 1000 }), 'TIMEOUT'],
    ['returning garbage', async () => provider.always({ status: 200, body: { score: 7 } }), 'MALFORMED_RESPONSE'],
  ])('a provider that is %s: 503 with Retry-After, recorded, not held against the customer', async (_label, arrange, reason) => {
    await arrange();
    const { cardId } = await cardOfCustomer();
    const res = await verify(cardId, { method: 'FINGERPRINT', sample: sampleScoring(0.95) }).expect(503);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE', reason, cardId });
    const card = (await t.http().get(`/v1/cards/${cardId}`).expect(200)).body;
    expect(card).toMatchObject({ status: 'ISSUED' });
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`card-${cardId}`);
    expect(events.map((e) => e.type)).toEqual(['CardIssued', 'IdentityVerificationUnavailable']);
    expect(JSON.stringify(events[1].data)).not.toContain(sampleScoring(0.95));
  });

  it('BRANCH_STAFF records who saw the document; bad input is a 400 naming the field', async () => {
    const { cardId, idNumber, name } = await cardOfCustomer();
    const missing = await verify(cardId, { method: 'ID_DOCUMENT' }).expect(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['idNumber', 'name']);
    expect((await verify(cardId, { method: 'FACE', sample: 'not base64!!' }).expect(400)).body.errors[0].field).toBe('sample');
    expect((await verify(cardId, { method: 'FACE' }).expect(400)).body.errors[0].field).toBe('sample');
    expect((await verify(cardId, { method: 'ID_DOCUMENT', name, idNumber, birthDate: '31/12/1949' }).expect(400)).body.errors[0].field).toBe('birthDate');
    const staff = await verify(cardId, { method: 'BRANCH_STAFF', name, idNumber, staffId: 'staff-0042' }).expect(200);
    expect(staff.body.result).toBe('VERIFIED');
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`card-${cardId}`);
    expect(events[events.length - 1].data).toMatchObject({ method: 'BRANCH_STAFF', attestedBy: 'staff-0042' });
  });

  it('reports the reviews and the failures to analysts: outcomes, reasons, the queue', async () => {
    const analyst = await t.token({ roles: ['analyst'], sub: 'analyst-1' });
    const head = String((await t.app.get<EventStore>(EVENT_STORE).headPosition())!.commit);
    const reviews = await t.http(analyst).get('/v1/reports/reviews').query({ minPosition: head }).expect(200);
    // Earlier tests here: one review approved (FACE, review band), one locked card rejected after review.
    expect(reviews.body).toMatchObject({ byOutcome: { APPROVED: 1, REJECTED: 1 }, byReason: { SCORE_IN_REVIEW_BAND: 1, VERIFICATION_LOCKED: 1 }, approvalRate: 0.5 });
    expect(reviews.body.timeToDecision.count).toBe(2);
    expect(reviews.body.contactAttempts).toMatchObject({ total: 2, byOutcome: { NO_ANSWER: 1, REACHED: 1 } });
    const failures = await t.http(analyst).get('/v1/reports/verification-failures').query({ minPosition: head }).expect(200);
    expect(failures.body.byMethodAndReason.ID_DOCUMENT).toMatchObject({ NAME_MISMATCH: expect.any(Number), REVIEW_REJECTED: 1 });
    expect(failures.body.reviewOutcomes).toMatchObject({ APPROVED: 1, REJECTED: 1 });
    await t.http(agent).get('/v1/reports/reviews').expect(403);
  });

  it('takes a photo larger than the default body limit on the verification route only', async () => {
    const { cardId } = await cardOfCustomer();
    const photo = sampleScoring(0.91, 'x'.repeat(200_000));
    expect((await verify(cardId, { method: 'FACE', sample: photo }).expect(200)).body.result).toBe('VERIFIED');
    await t.http().post('/v1/customers').send({ ...CUSTOMER, name: 'x'.repeat(200_000) }).expect(413);
  });
});

describe('a customer\'s name or id number changes only through a review with a documented reason', () => {
  let t: TestApp;
  let clerk: string;
  let reviewer: string;
  beforeAll(async () => {
    t = await startTestApp();
    clerk = await t.token({ roles: ['agent'], sub: 'agent-clerk' });
    reviewer = await t.token({ roles: ['agent'], sub: 'agent-reviewer' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('opens a review, which someone else approves: the registry, the record and the lookup follow the new id number', async () => {
    const customerId = await registerCustomer(t);
    const oldId = idNumberOf(customerId);
    const newId = freshResidentId();
    const reason = 'Registered with a typo; resident id card seen at branch BJ-001';
    const requested = await t.http(clerk).post(`/v1/customers/${customerId}/identity-corrections`).send({ name: '张叁', idNumber: newId, reason }).expect(201);
    expect(requested.body).toMatchObject({ customerId, status: 'OPEN', reviewId: expect.any(String) });
    const { reviewId } = requested.body;
    // Nothing changes before the review, and a second request waits for the first.
    expect((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body).toMatchObject({ name: CUSTOMER.name, idNumber: oldId });
    expect((await t.http(clerk).post(`/v1/customers/${customerId}/identity-corrections`).send({ name: '张仨', reason }).expect(409)).body.code).toBe('CORRECTION_ALREADY_OPEN');

    const queue = await t.http(reviewer).get('/v1/reviews').query({ minPosition: requested.body.position }).expect(200);
    const review = queue.body.items.find((r: { reviewId: string }) => r.reviewId === reviewId);
    expect(review).toMatchObject({ subject: 'CUSTOMER', customerId, cardId: null, reasons: ['IDENTITY_CORRECTION'], differences: ['NAME', 'ID_NUMBER'], requestReason: reason, requestedBy: 'agent-clerk' });
    expect(JSON.stringify(review)).not.toContain(newId);
    expect((await t.http(reviewer).post(`/v1/reviews/${reviewId}/contact-attempts`).send({ channel: 'PHONE', outcome: 'REACHED' }).expect(409)).body.code).toBe('NOT_A_CARD_REVIEW');

    expect((await t.http(clerk).post(`/v1/reviews/${reviewId}/decision`).send({ decision: 'APPROVE', note: 'ok' }).expect(403)).body.code).toBe('REVIEWER_MUST_DIFFER');
    const approved = await t.http(reviewer).post(`/v1/reviews/${reviewId}/decision`).send({ decision: 'APPROVE', note: 'Scan of the id card checked' }).expect(200);
    expect(approved.body).toMatchObject({ reviewId, decision: 'APPROVE', customerId, corrected: true });

    expect((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body).toMatchObject({ name: '张叁', idNumber: newId });
    const found = await t.http(clerk).post('/v1/customers/lookup').send({ idNumber: newId, minPosition: approved.body.position }).expect(200);
    expect(found.body.items.map((c: { customerId: string; name: string }) => [c.customerId, c.name])).toEqual([[customerId, '张*']]);
    // The old document is free again; the new one is taken.
    await t.http().post('/v1/customers').send({ ...CUSTOMER, idNumber: oldId }).expect(201);
    expect((await t.http().post('/v1/customers').send({ ...CUSTOMER, idNumber: newId }).expect(409)).body).toMatchObject({ code: 'ID_NUMBER_ALREADY_REGISTERED', existingCustomerId: customerId });
  });

  it('refuses to approve an id number another customer holds (409), and a rejection changes nothing', async () => {
    const taken = idNumberOf(await registerCustomer(t));
    const customerId = await registerCustomer(t);
    const reason = 'Customer says the number on record is wrong';
    const { reviewId, position } = (await t.http(clerk).post(`/v1/customers/${customerId}/identity-corrections`).send({ idNumber: taken, reason }).expect(201)).body;
    await t.http(reviewer).get('/v1/reviews').query({ minPosition: position }).expect(200);
    expect((await t.http(reviewer).post(`/v1/reviews/${reviewId}/decision`).send({ decision: 'APPROVE', note: 'x' }).expect(409)).body.code).toBe('ID_NUMBER_ALREADY_REGISTERED');
    const rejected = await t.http(reviewer).post(`/v1/reviews/${reviewId}/decision`).send({ decision: 'REJECT', note: 'That number belongs to someone else' }).expect(200);
    expect(rejected.body).toMatchObject({ corrected: false });
    expect((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body.idNumber).toBe(idNumberOf(customerId));
    const bad = await t.http(clerk).post(`/v1/customers/${customerId}/identity-corrections`).send({ reason: 'short' }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason']);
    expect((await t.http(clerk).post(`/v1/customers/${customerId}/identity-corrections`).send({ reason }).expect(400)).body.errors[0].field).toBe('body');
  });
});
