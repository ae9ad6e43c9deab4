import { randomUUID } from 'node:crypto';
import { CUSTOMER, freshResidentId, futureExpiry, luhnCardNumber, nextSeed, removeDataDir, startTestApp, type TestApp } from './support/test-app';

const PROBLEM = /application\/problem\+json/;
const NDJSON = 'application/x-ndjson';

/** A Luhn-valid ICCID (19 digits) no other call gives. */
const newIccid = (): string => luhnCardNumber('898601', 19, nextSeed());

describe('real-name rules over HTTP (real app, embedded store)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  const register = (body: Record<string, unknown>) => t.http().post('/v1/customers').send({ ...CUSTOMER, ...body });
  const issueSim = (customerId: string) =>
    t.http().post('/v1/cards').send({ customerId, product: 'SIM', cardNumber: newIccid(), channel: 'BRANCH', branchId: 'BJ-001' });

  describe('one customer per id document', () => {
    it('refuses a second customer with the same id type and number with a 409 naming the existing one', async () => {
      const idNumber = freshResidentId();
      const first = await register({ idNumber }).expect(201);

      const second = await register({ idNumber: ` ${idNumber.toLowerCase()}`, name: '李四', phone: '13900139000' });

      expect(second.status).toBe(409);
      expect(second.headers['content-type']).toMatch(PROBLEM);
      expect(second.body).toMatchObject({ status: 409, code: 'ID_NUMBER_ALREADY_REGISTERED', existingCustomerId: first.body.customerId });
      expect(JSON.stringify(second.body)).not.toContain(idNumber.slice(6, 14));
    });

    it('given 10 concurrent registrations with one id number, then one is registered and the nine others point at it', async () => {
      const idNumber = freshResidentId();
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => register({ idNumber, name: `张${'三四五六七八九十甲乙'[i]}` })));

      const created = answers.filter((a) => a.status === 201);
      const refused = answers.filter((a) => a.status === 409);
      expect(created).toHaveLength(1);
      expect(refused).toHaveLength(9);
      const { customerId } = created[0].body;
      for (const answer of refused) expect(answer.body).toMatchObject({ code: 'ID_NUMBER_ALREADY_REGISTERED', existingCustomerId: customerId });
    });

    it('given a retry with the same Idempotency-Key, then it answers 201 with the same customer', async () => {
      const body = { ...CUSTOMER, idNumber: freshResidentId() };
      const key = `register-${randomUUID()}`;
      const first = await t.http().post('/v1/customers').set('Idempotency-Key', key).send(body).expect(201);
      const retry = await t.http().post('/v1/customers').set('Idempotency-Key', key).send(body).expect(201);
      expect(retry.body.customerId).toBe(first.body.customerId);
    });

    it('given the customer’s personal data is erased, then the id number can be registered again', async () => {
      const idNumber = freshResidentId();
      const { customerId } = (await register({ idNumber }).expect(201)).body;
      await t.http().delete(`/v1/customers/${customerId}/personal-data`).send({ reason: 'PIPL request #7' }).expect(200);

      const again = await register({ idNumber }).expect(201);

      expect(again.body.customerId).not.toBe(customerId);
      expect((await register({ idNumber })).body).toMatchObject({ code: 'ID_NUMBER_ALREADY_REGISTERED', existingCustomerId: again.body.customerId });
    });

    it('imports through the same rule: a duplicate id document is refused on its line, and importing the file again writes nothing', async () => {
      const idNumber = freshResidentId();
      const [first, second] = [randomUUID(), randomUUID()];
      const text = [
        { command: 'RegisterCustomer', occurredAt: '2024-05-01T08:00:00Z', customerId: first, ...CUSTOMER, idNumber },
        { command: 'RegisterCustomer', occurredAt: '2024-05-02T08:00:00Z', customerId: second, ...CUSTOMER, idNumber: idNumber.toLowerCase(), name: '李四' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n');
      const importFile = () => t.http().post('/v1/imports').set('content-type', NDJSON).send(text).expect(200);

      const report = (await importFile()).body;
      expect(report).toMatchObject({ lines: 2, applied: 1, alreadyImported: 0 });
      expect(report.failed).toEqual([expect.objectContaining({ line: 2, command: 'RegisterCustomer', code: 'ID_NUMBER_ALREADY_REGISTERED' })]);

      const again = (await importFile()).body;
      expect(again).toMatchObject({ lines: 2, applied: 0, alreadyImported: 1, eventsWritten: 0 });
      expect(again.failed).toEqual([expect.objectContaining({ line: 2, code: 'ID_NUMBER_ALREADY_REGISTERED' })]);
      await t.http().get(`/v1/customers/${second}`).expect(404);
    });
  });

  describe(`at most MAX_SIMS_PER_ID (default 5) SIM cards per id number`, () => {
    it('given 20 concurrent SIM issues for one id number across its customers, then exactly 5 are issued and 15 are 409 SIM_LIMIT_REACHED, never a 500', async () => {
      const idNumber = freshResidentId();
      const resident = (await register({ idNumber }).expect(201)).body.customerId;
      // The same number under another document type is another customer, but the same person for the rule.
      const passport = (await register({ idType: 'PASSPORT', idNumber, name: 'Zhang San' }).expect(201)).body.customerId;

      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => issueSim(i % 2 === 0 ? resident : passport)));

      expect(answers.map((a) => a.status).sort()).toEqual([...Array(5).fill(201), ...Array(15).fill(409)]);
      for (const refused of answers.filter((a) => a.status === 409)) {
        expect(refused.headers['content-type']).toMatch(PROBLEM);
        expect(refused.body).toMatchObject({ code: 'SIM_LIMIT_REACHED', maxSimsPerId: 5, activeSims: 5 });
        expect(refused.body.detail).toMatch(/5 active or pending SIM cards/);
        expect(JSON.stringify(refused.body)).not.toContain(idNumber.slice(6, 14));
      }
      for (const issued of answers.filter((a) => a.status === 201)) {
        await t.http().get(`/v1/cards/${issued.body.cardId}`).expect(200);
      }
    });

    it('given the limit is reached, when one SIM is cancelled, then another can be issued; other products are not counted', async () => {
      const customerId = (await register({ idNumber: freshResidentId() }).expect(201)).body.customerId;
      const sims: string[] = [];
      for (let i = 0; i < 5; i++) sims.push((await issueSim(customerId).expect(201)).body.cardId);
      expect((await issueSim(customerId).expect(409)).body.code).toBe('SIM_LIMIT_REACHED');
      await t
        .http()
        .post('/v1/cards')
        .send({ customerId, product: 'DEBIT', cardNumber: luhnCardNumber('411111', 16, nextSeed()), expiry: futureExpiry(), channel: 'BRANCH', branchId: 'BJ-001' })
        .expect(201);

      await t.http().post(`/v1/cards/${sims[2]}/cancel`).send({ reason: 'Customer request' }).expect(200);

      await issueSim(customerId).expect(201);
      expect((await issueSim(customerId).expect(409)).body).toMatchObject({ code: 'SIM_LIMIT_REACHED', activeSims: 5 });
    });

    it('given a SIM retried with the same Idempotency-Key, then it is one card and counts once', async () => {
      const customerId = (await register({ idNumber: freshResidentId() }).expect(201)).body.customerId;
      for (let i = 0; i < 3; i++) await issueSim(customerId).expect(201);
      const body = { customerId, product: 'SIM', cardNumber: newIccid(), channel: 'BRANCH', branchId: 'BJ-001' };
      const key = `sim-${randomUUID()}`;
      const first = await t.http().post('/v1/cards').set('Idempotency-Key', key).send(body).expect(201);
      const retry = await t.http().post('/v1/cards').set('Idempotency-Key', key).send(body).expect(201);
      expect(retry.body.cardId).toBe(first.body.cardId);
      await issueSim(customerId).expect(201);
      expect((await issueSim(customerId).expect(409)).body.activeSims).toBe(5);
    });
  });
});
