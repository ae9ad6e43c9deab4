import { randomUUID } from 'node:crypto';
import { residentIdCheckCharacter } from '@cards/domain';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { READ_STORE, type ReadStore } from '@cards/read-store';
import { CUSTOMER, removeDataDir, startTestApp, type TestApp } from './support/test-app';

let serial = 1000 + Math.floor(Math.random() * 8000);

/** A customer of their own: a valid resident id, a mobile number and an e-mail address no other test uses. */
function person(name: string) {
  serial += 1;
  const first17 = `11010519800101${String(serial % 1000).padStart(3, '0')}`;
  return {
    ...CUSTOMER,
    name,
    idNumber: first17 + residentIdCheckCharacter(first17),
    phone: `1391234${String(serial).padStart(4, '0')}`,
    email: `${name.replace(/\W/g, '') || 'p'}.${serial}@example.com`,
  };
}

describe('customers: found by exact phone or id number, contact details changed by agents, reads logged', () => {
  let t: TestApp;
  let agent: string;
  let analyst: string;
  let auditor: string;
  beforeAll(async () => {
    t = await startTestApp();
    agent = await t.token({ roles: ['agent'], sub: `agent-${randomUUID().slice(0, 8)}` });
    analyst = await t.token({ roles: ['analyst'], sub: 'ana' });
    auditor = await t.token({ roles: ['auditor'], sub: 'aud' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  async function register(p: ReturnType<typeof person>): Promise<{ customerId: string; position: string }> {
    const res = await t.http().post('/v1/customers').send(p).expect(201);
    expect(res.body.position).toMatch(/^\d+$/);
    return res.body;
  }

  const lookup = (body: Record<string, string>, token = agent) => t.http(token).post('/v1/customers/lookup').send(body);

  it('finds a customer by phone, id number or e-mail however they are written, and answers only masked data', async () => {
    const p = person('欧阳娜娜');
    const other = await register(person('李四'));
    const { customerId, position } = await register(p);

    const byPhone = await lookup({ phone: `+86 ${p.phone.slice(0, 3)} ${p.phone.slice(3, 7)} ${p.phone.slice(7)}`, minPosition: position }).expect(200);
    expect(byPhone.body.items).toEqual([
      {
        customerId,
        name: '欧***',
        idType: 'CN_RESIDENT_ID',
        idNumber: `${p.idNumber.slice(0, 6)}********${p.idNumber.slice(14)}`,
        phone: `${p.phone.slice(0, 3)}****${p.phone.slice(7)}`,
        pendingPhone: null,
        email: `${p.email[0]}***@example.com`,
        hasAddress: false,
        preferredChannels: ['SMS', 'EMAIL'],
        locale: 'zh-CN',
        timeZone: 'Asia/Shanghai',
        registeredAt: expect.any(String),
        contactDetailsChangedAt: null,
        personalDataErasedAt: null,
        revision: 0,
      },
    ]);
    const text = JSON.stringify(byPhone.body);
    for (const clear of [p.name, p.idNumber, p.phone, p.email]) expect(text).not.toContain(clear);
    expect(text).not.toMatch(/Hash/);

    expect((await lookup({ idNumber: p.idNumber.toLowerCase() }).expect(200)).body.items.map((c: { customerId: string }) => c.customerId)).toEqual([customerId]);
    expect((await lookup({ email: p.email.toUpperCase() }).expect(200)).body.items.map((c: { customerId: string }) => c.customerId)).toEqual([customerId]);
    expect((await lookup({ phone: '13000000000' }).expect(200)).body.items).toEqual([]);
    expect((await lookup({ phone: '' }).expect(400)).body.errors[0].field).toBe('phone');
    expect(other.customerId).not.toBe(customerId);
  });

  it('refuses a lookup with no value or two, and callers who may not look customers up', async () => {
    const none = await lookup({}).expect(400);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(none.body.errors).toEqual([{ field: 'body', reason: 'must give exactly one of phone, idNumber, email' }]);
    await lookup({ phone: '13800138000', idNumber: '11010519491231002X' }).expect(400);
    await lookup({ phone: '13800138000' }, analyst).expect(403);
    await lookup({ phone: '13800138000' }, auditor).expect(403);
  });

  it('lets an agent change contact details: stored encrypted, answered masked; a new phone waits for a new identity verification', async () => {
    const p = person('王五');
    const { customerId } = await register(p);
    const newPhone = `1371111${String(serial).padStart(4, '0')}`;
    const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;
    const res = await t
      .http(agent)
      .patch(`/v1/customers/${customerId}/contact`)
      .send({ phone: newPhone, email: 'wang.wu.new@example.org', preferredChannels: ['EMAIL'], locale: 'en' })
      .expect(200);
    expect(res.body).toEqual({
      customerId,
      changed: true,
      phone: masked(p.phone),
      pendingPhone: masked(newPhone),
      email: 'w***@example.org',
      hasAddress: false,
      preferredChannels: ['EMAIL'],
      locale: 'en',
      timeZone: 'Asia/Shanghai',
      contactDetailsChangedAt: expect.any(String),
      revision: 2,
      position: expect.stringMatching(/^\d+$/),
    });
    expect(res.headers.etag).toBe('"2"');

    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`customer-${customerId}`);
    expect(events.slice(1).map((e) => e.type)).toEqual(['CustomerContactDetailsChanged', 'CustomerPhoneChangeRequested']);
    expect(events[1].data.email).toMatchObject({ enc: 'v1' });
    expect(events[2].data.phone).toMatchObject({ enc: 'v1' });
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain(newPhone);
    expect(events[2].metadata.actor).toEqual({ id: expect.stringMatching(/^agent-/), role: 'agent' });

    // Until the customer verifies again, the old phone is the one in use (and the one found).
    const before = await lookup({ phone: p.phone, minPosition: res.body.position }).expect(200);
    expect(before.body.items).toEqual([expect.objectContaining({ customerId, phone: masked(p.phone), pendingPhone: masked(newPhone), locale: 'en', preferredChannels: ['EMAIL'] })]);
    expect((await lookup({ phone: newPhone }).expect(200)).body.items).toEqual([]);
    expect((await lookup({ email: p.email }).expect(200)).body.items).toEqual([]);
    expect((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body).toMatchObject({ phone: `+86${p.phone}`, pendingPhone: `+86${newPhone}` });

    const failed = await t.http(agent).post(`/v1/customers/${customerId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name: '冒名', idNumber: p.idNumber }).expect(200);
    expect(failed.body).toMatchObject({ result: 'FAILED', reasons: ['NAME_MISMATCH'], phoneChanged: false, phone: masked(p.phone) });
    const verified = await t.http(agent).post(`/v1/customers/${customerId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name: '王五', idNumber: p.idNumber }).expect(200);
    expect(verified.body).toMatchObject({ result: 'VERIFIED', reasons: [], phoneChanged: true, phone: masked(newPhone), pendingPhone: null });

    const found = await lookup({ phone: newPhone, minPosition: verified.body.position }).expect(200);
    expect(found.body.items).toEqual([expect.objectContaining({ customerId, phone: masked(newPhone), pendingPhone: null })]);
    expect((await lookup({ phone: p.phone }).expect(200)).body.items).toEqual([]);
    const read = await t.http().get(`/v1/customers/${customerId}`).expect(200);
    expect(read.body).toMatchObject({ phone: `+86${newPhone}`, email: 'wang.wu.new@example.org', name: '王五', idNumber: p.idNumber });
    expect(read.body).not.toHaveProperty('pendingPhone');

    // The same details again change nothing and record nothing.
    const same = await t.http(agent).patch(`/v1/customers/${customerId}/contact`).send({ phone: newPhone }).expect(200);
    expect(same.body).toMatchObject({ changed: false, revision: verified.body.revision });
  });

  it('keeps the customer\'s time zone (IANA name, default Asia/Shanghai, in clear): registered, read back, changed, a bad one refused naming timeZone', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const byDefault = await register(person('钱一'));
    expect((await t.http().get(`/v1/customers/${byDefault.customerId}`).expect(200)).body).toMatchObject({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    const [defaulted] = await store.readStream(`customer-${byDefault.customerId}`);
    expect(defaulted.data.timeZone).toBe('Asia/Shanghai');

    const p = { ...person('Qian Er'), timeZone: 'Europe/London' };
    const { customerId, position } = await register(p);
    expect((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body).toMatchObject({ customerId, timeZone: 'Europe/London' });
    const [registered] = await store.readStream(`customer-${customerId}`);
    // Not personal data: stored in clear, next to the encrypted fields.
    expect(registered.data).toMatchObject({ timeZone: 'Europe/London', phone: { enc: 'v1' } });
    expect((await lookup({ phone: p.phone, minPosition: position }).expect(200)).body.items).toEqual([expect.objectContaining({ customerId, timeZone: 'Europe/London' })]);

    const url = `/v1/customers/${customerId}/contact`;
    const changed = await t.http(agent).patch(url).send({ timeZone: 'America/New_York' }).expect(200);
    expect(changed.body).toMatchObject({ customerId, changed: true, locale: 'zh-CN', timeZone: 'America/New_York', revision: 1 });
    expect((await store.readStream(`customer-${customerId}`))[1].data).toEqual({ timeZone: 'America/New_York', changedAt: expect.any(String) });
    expect((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body).toMatchObject({ timeZone: 'America/New_York' });
    expect((await lookup({ phone: p.phone, minPosition: changed.body.position }).expect(200)).body.items).toEqual([expect.objectContaining({ timeZone: 'America/New_York' })]);
    expect((await t.http(agent).patch(url).send({ timeZone: 'America/New_York' }).expect(200)).body).toMatchObject({ changed: false, revision: 1 });

    const badRegistration = await t.http().post('/v1/customers').send({ ...person('孙三'), timeZone: 'Mars/Olympus_Mons' }).expect(400);
    expect(badRegistration.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(badRegistration.body.errors).toEqual([{ field: 'timeZone', reason: 'must be an IANA time zone name such as Asia/Shanghai' }]);
    const badChange = await t.http(agent).patch(url).send({ timeZone: '+08:00' }).expect(400);
    expect(badChange.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(badChange.body.errors).toEqual([{ field: 'timeZone', reason: 'must be an IANA time zone name such as Asia/Shanghai' }]);
    const fieldsOf = (res: { body: { errors: { field: string }[] } }) => new Set(res.body.errors.map((e) => e.field));
    expect(fieldsOf(await t.http(agent).patch(url).send({ timeZone: 8 }).expect(400))).toEqual(new Set(['timeZone']));
    expect(fieldsOf(await t.http(agent).patch(url).send({ timeZone: `Europe/${'X'.repeat(60)}` }).expect(400))).toEqual(new Set(['timeZone']));
  });

  it('answers 400 naming the field, 404, 409 once erased, 412 for a stale If-Match, 403 for an analyst', async () => {
    const { customerId } = await register(person('赵六'));
    const url = `/v1/customers/${customerId}/contact`;
    const bad = await t.http(agent).patch(url).send({ phone: '12345' }).expect(400);
    expect(bad.body.errors).toEqual([{ field: 'phone', reason: expect.any(String) }]);
    expect((await t.http(agent).patch(url).send({}).expect(400)).body.errors[0].field).toBe('body');
    expect((await t.http(agent).patch(url).send({ locale: 'fr' }).expect(400)).body.errors[0].field).toBe('locale');
    await t.http(agent).patch(`/v1/customers/${randomUUID()}/contact`).send({ locale: 'en' }).expect(404);
    await t.http(agent).patch(url).set('If-Match', '"7"').send({ locale: 'en' }).expect(412);
    await t.http(analyst).patch(url).send({ locale: 'en' }).expect(403);
    await t.http(agent).patch(url).set('If-Match', '"0"').send({ locale: 'en' }).expect(200);

    const admin = await t.token({ roles: ['admin'], sub: 'dpo' });
    await t.http(admin).delete(`/v1/customers/${customerId}/personal-data`).send({ reason: 'erasure request 11' }).expect(200);
    const erased = await t.http(agent).patch(url).send({ phone: '13712345678' }).expect(409);
    expect(erased.body.code).toBe('CUSTOMER_PERSONAL_DATA_ERASED');
  });

  it('shows an erased customer as [erased] in the read model and no longer finds them', async () => {
    const p = person('孙七');
    const { customerId } = await register(p);
    const admin = await t.token({ roles: ['admin'], sub: 'dpo' });
    await t.http(admin).delete(`/v1/customers/${customerId}/personal-data`).send({ reason: 'erasure request 12' }).expect(200);
    const head = await t.app.get<EventStore>(EVENT_STORE).headPosition();
    expect((await lookup({ phone: p.phone, minPosition: String(head!.commit) }).expect(200)).body.items).toEqual([]);
    expect((await lookup({ idNumber: p.idNumber }).expect(200)).body.items).toEqual([]);
    const doc = await t.app.get<ReadStore>(READ_STORE).get('customers', customerId);
    expect(doc).toMatchObject({ name: '[erased]', idNumber: '[erased]', phone: '[erased]', email: '[erased]', phoneHash: null, idNumberHash: null, emailHash: null });
  });

  it('gives auditors and admins the access log across customers, filtered and paged; nobody else', async () => {
    const reader = `agent-${randomUUID().slice(0, 8)}`;
    const readerToken = await t.token({ roles: ['agent'], sub: reader });
    const first = await register(person('周八'));
    const second = await register(person('吴九'));
    await t.http(readerToken).get(`/v1/customers/${first.customerId}`).set('X-Access-Reason', 'ticket 1').expect(200);
    await t.http(readerToken).get(`/v1/customers/${second.customerId}`).set('X-Access-Reason', 'ticket 2').expect(200);
    await t.http(auditor).get(`/v1/customers/${second.customerId}`).set('X-Access-Reason', 'review').expect(200);
    const head = String((await t.app.get<EventStore>(EVENT_STORE).headPosition())!.commit);

    const byReader = await t.http(auditor).get('/v1/access-log').query({ by: reader, minPosition: head }).expect(200);
    expect(byReader.body.items).toEqual([
      { id: expect.any(String), customerId: second.customerId, by: reader, role: 'agent', reason: 'ticket 2', at: expect.any(String), correlationId: expect.any(String) },
      { id: expect.any(String), customerId: first.customerId, by: reader, role: 'agent', reason: 'ticket 1', at: expect.any(String), correlationId: expect.any(String) },
    ]);
    const ofSecond = await t.http(await t.token({ roles: ['admin'], sub: 'ops' })).get('/v1/access-log').query({ customerId: second.customerId }).expect(200);
    expect(ofSecond.body.items.map((e: { by: string }) => e.by).sort()).toEqual(['aud', reader].sort());

    const page1 = await t.http(auditor).get('/v1/access-log').query({ by: reader, limit: 1 }).expect(200);
    expect(page1.body.items).toHaveLength(1);
    const page2 = await t.http(auditor).get('/v1/access-log').query({ by: reader, limit: 1, cursor: page1.body.nextCursor }).expect(200);
    expect(page2.body.items.map((e: { reason: string }) => e.reason)).toEqual(['ticket 1']);
    expect(page2.body.nextCursor).toBeNull();

    const future = await t.http(auditor).get('/v1/access-log').query({ by: reader, from: '2999-01-01T00:00:00Z' }).expect(200);
    expect(future.body.items).toEqual([]);
    expect((await t.http(auditor).get('/v1/access-log').query({ from: 'yesterday' }).expect(400)).body.errors[0].field).toBe('from');
    await t.http(analyst).get('/v1/access-log').expect(403);
    await t.http(agent).get('/v1/access-log').expect(403);
  });
});
