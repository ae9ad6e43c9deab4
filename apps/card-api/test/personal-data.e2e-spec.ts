import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, verifyChain, type EventStore } from '@cards/event-store';
import { CUSTOMER, filesUnder, freshResidentId, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { issueDebitCard, registerCustomer } from './support/lifecycle-steps';

/** What a customer's personal data looks like as it is sent in. */
const PERSON = {
  ...CUSTOMER,
  name: '欧阳娜娜',
  idNumber: '11010519491231002X',
  phone: '13912345678',
  email: 'ouyang.nana@example.com',
  address: { line1: '长安街 88 号', city: '北京', country: 'CN' },
};
const CLEAR_VALUES = [PERSON.name, PERSON.idNumber, PERSON.phone, '+8613912345678', PERSON.email, PERSON.address.line1];


/** Every file of DATA_DIR holding any of the values, in UTF-8 (SQLite's text encoding here). */
function filesHolding(dir: string, values: readonly string[]): string[] {
  return filesUnder(dir).filter((file) => {
    const bytes = fs.readFileSync(file);
    return values.some((value) => bytes.includes(Buffer.from(value, 'utf8')));
  });
}

describe('personal data: encrypted in the events, readable by the service, erasable for good', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('writes no name, phone, e-mail or address in clear to DATA_DIR, yet answers them to the service\'s own reads', async () => {
    const customerId = await registerCustomer(t, PERSON);
    const read = await t.http().get(`/v1/customers/${customerId}`).expect(200);
    expect(read.body).toMatchObject({ name: PERSON.name, phone: '+8613912345678', email: PERSON.email, address: PERSON.address });

    const [event] = await t.app.get<EventStore>(EVENT_STORE).readStream(`customer-${customerId}`);
    expect(event.data.name).toMatchObject({ enc: 'v1' });
    expect(event.data.idNumber).toMatchObject({ enc: 'v1' });
    expect(JSON.stringify(event.data)).not.toContain(PERSON.name);

    // Identity verification still compares with what the customer registered.
    const card = await issueDebitCard(t, customerId);
    const verified = await t.http().post(`/v1/cards/${card.cardId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name: PERSON.name, idNumber: PERSON.idNumber });
    expect(verified.body.result).toBe('VERIFIED');

    await t.close();
    expect(filesHolding(t.dataDir, CLEAR_VALUES)).toEqual([]);
    t = await startTestApp(t.dataDir);
  });

  it('erases one customer for good and leaves the others readable', async () => {
    // One customer per id document: PERSON's is taken by the test above.
    const erasedIdNumber = freshResidentId();
    const erased = await registerCustomer(t, { ...PERSON, idNumber: erasedIdNumber });
    const kept = await registerCustomer(t, { ...PERSON, idNumber: freshResidentId(), name: '李四' });
    const card = await issueDebitCard(t, erased);

    const analystOnly = await t.token({ roles: ['analyst'], sub: 'ana' });
    await t.http(analystOnly).delete(`/v1/customers/${erased}/personal-data`).send({ reason: 'PIPL erasure request 7' }).expect(403);

    const admin = await t.token({ roles: ['admin'], sub: 'dpo' });
    const res = await t.http(admin).delete(`/v1/customers/${erased}/personal-data`).send({ reason: 'PIPL erasure request 7' }).expect(200);
    expect(res.body).toEqual({ customerId: erased, erasedAt: expect.any(String), revision: 1 });
    const again = await t.http(admin).delete(`/v1/customers/${erased}/personal-data`).send({ reason: 'twice' }).expect(200);
    expect(again.body.revision).toBe(1);

    const read = await t.http().get(`/v1/customers/${erased}`).expect(200);
    expect(read.body).toMatchObject({ name: '[erased]', idNumber: '[erased]', phone: '[erased]', email: '[erased]', personalDataErasedAt: res.body.erasedAt });
    expect((await t.http().get(`/v1/customers/${kept}`).expect(200)).body.name).toBe('李四');

    // The events stay; who erased it and why is recorded, and the card's history is untouched.
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`customer-${erased}`);
    expect(events.map((e) => e.type)).toEqual(['CustomerRegistered', 'CustomerPersonalDataErased']);
    expect(events[1].metadata.actor).toEqual({ id: 'dpo', role: 'admin' });
    // Their hash chain still verifies: the ciphertext was hashed as stored, and it is still there.
    expect(verifyChain(events)).toMatchObject({ ok: true, eventsChecked: 2 });
    expect((await t.http().get(`/v1/cards/${card.cardId}`).expect(200)).body.status).toBe('ISSUED');

    // Nothing can be matched against an erased identity any more.
    const verify = await t.http().post(`/v1/cards/${card.cardId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name: PERSON.name, idNumber: erasedIdNumber });
    expect(verify.body.result).toBe('FAILED');
  });

  it('logs every read in clear (who, role, when, why) and makes agents and auditors say why', async () => {
    const customerId = await registerCustomer(t);
    const agent = await t.token({ roles: ['agent'], sub: 'agent-7' });
    const auditor = await t.token({ roles: ['auditor'], sub: 'audit-1' });

    const unexplained = await t.http(agent).get(`/v1/customers/${customerId}`);
    expect(unexplained.status).toBe(400);
    expect(unexplained.body.errors).toEqual([{ field: 'X-Access-Reason', reason: expect.stringMatching(/required/) }]);

    await t.http(agent).get(`/v1/customers/${customerId}`).set('X-Access-Reason', 'Customer called about card delivery').expect(200);
    await t.http().get(`/v1/customers/${customerId}`).expect(200); // an issuer may read without a reason: still logged

    const log = await t.http(auditor).get(`/v1/customers/${customerId}/access-log`).set('X-Access-Reason', 'quarterly review').expect(200);
    expect(log.body.items).toEqual([
      { customerId, by: 'agent-7', role: 'agent', reason: 'Customer called about card delivery', at: expect.any(String), correlationId: expect.any(String) },
      { customerId, by: expect.any(String), role: 'issuer', reason: null, at: expect.any(String), correlationId: expect.any(String) },
    ]);
    await t.http(agent).get(`/v1/customers/${customerId}/access-log`).expect(403);
  });

  it('refuses an unknown customer, a missing reason and a malformed id', async () => {
    const admin = await t.token({ roles: ['admin'], sub: 'dpo' });
    expect((await t.http(admin).delete(`/v1/customers/${randomUUID()}/personal-data`).send({ reason: 'x' })).status).toBe(404);
    const customerId = await registerCustomer(t);
    const noReason = await t.http(admin).delete(`/v1/customers/${customerId}/personal-data`).send({});
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors[0].field).toBe('reason');
    expect((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body.name).toBe(CUSTOMER.name);
    expect((await t.http(admin).delete('/v1/customers/nope/personal-data').send({ reason: 'x' })).status).toBe(400);
  });
});
