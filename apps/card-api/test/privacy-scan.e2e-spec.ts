import * as fs from 'node:fs';
import { residentIdCheckCharacter } from '@cards/domain';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { PERMISSIONS } from '@cards/platform';
import { READ_STORE, type ReadStore } from '@cards/read-store';
import { cvv2For, CUSTOMER, filesUnder, futureExpiry, luhnCardNumber, nextSeed, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { wrongCvv } from './support/lifecycle-steps';

/**
 * The proof the security issue asks for: after a run of every kind of request, nothing personal (name, id number,
 * phone, e-mail, address, card number, CVV2) is in clear in DATA_DIR, in the log, or in anything an analyst was
 * answered; after an erasure, nothing of that customer is left anywhere, and the others are untouched.
 */

interface Person {
  readonly customerId: string;
  readonly name: string;
  readonly idNumber: string;
  readonly phone: string;
  readonly newPhone: string;
  readonly email: string;
  readonly line1: string;
  readonly cardNumber: string;
  readonly cvv: string;
}

/** Every way a value could have been written down: as sent, normalised, and in UTF-16 (SQLite can store either). */
function needles(p: Person): { label: string; bytes: Buffer }[] {
  const texts: [string, string][] = [
    ['name', p.name],
    ['id number', p.idNumber],
    ['id number (lower case)', p.idNumber.toLowerCase()],
    ['phone', p.phone],
    ['phone (E.164)', `+86${p.phone}`],
    ['new phone', p.newPhone],
    ['e-mail', p.email],
    ['address', p.line1],
    ['card number', p.cardNumber],
  ];
  return texts.flatMap(([label, text]) => [
    { label, bytes: Buffer.from(text, 'utf8') },
    { label: `${label} (UTF-16)`, bytes: Buffer.from(text, 'utf16le') },
  ]);
}

function foundIn(bytes: Buffer, people: readonly Person[]): string[] {
  return people.flatMap((p) => needles(p).filter((n) => bytes.includes(n.bytes)).map((n) => `${p.name}: ${n.label}`));
}

/** A CVV2 sent under any field name ("cvv", "cvv2", "CVV") with its value. */
function cvvFieldsIn(text: string, people: readonly Person[]): string[] {
  return people.filter((p) => new RegExp(`cvv2?"?\\s*[:=]\\s*"?(${p.cvv}|${wrongCvv(p.cvv)})\\b`, 'i').test(text)).map((p) => `${p.name}: CVV2`);
}

describe('privacy: nothing personal in clear in DATA_DIR, the logs or analysts\' answers; erasure leaves nothing', () => {
  let t: TestApp;
  const people: Person[] = [];
  const analystAnswers: { url: string; body: string }[] = [];
  let erased: Person;

  beforeAll(async () => {
    t = await startTestApp(undefined, { LOG_LEVEL: 'trace' });
    const agent = await t.token({ roles: ['agent'], sub: 'agent-scan' });
    const names = ['欧阳娜娜', 'Zhang Wei', '司马相如'];
    for (const [i, name] of names.entries()) {
      const first17 = `4403051990061${String(100 + nextSeed() % 900).padStart(3, '0')}${i}`.slice(0, 17);
      const idNumber = first17 + residentIdCheckCharacter(first17);
      const phone = `1358888${String(nextSeed() % 10000).padStart(4, '0')}`;
      const email = `scan.person${i}.${nextSeed()}@example.net`;
      const line1 = `幸福路 ${100 + i} 号 ${nextSeed()} 室`;
      const registered = await t
        .http()
        .post('/v1/customers')
        .send({ ...CUSTOMER, name, idNumber, phone, email, address: { line1, city: '深圳', country: 'CN' } })
        .expect(201);
      const customerId = registered.body.customerId as string;
      const cardNumber = luhnCardNumber('431940', 16, nextSeed());
      const expiry = futureExpiry();
      const cvv = cvv2For(t.config, cardNumber, expiry);
      const card = (await t.http().post('/v1/cards').send({ customerId, product: 'CREDIT', cardNumber, expiry, channel: 'BRANCH', branchId: 'SZ-01' }).expect(201)).body;
      // A failed verification (wrong name), then a good one.
      await t.http().post(`/v1/cards/${card.cardId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name: '冒名顶替', idNumber });
      await t.http().post(`/v1/cards/${card.cardId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name, idNumber: idNumber.toLowerCase() }).expect(200);
      await t.http().post(`/v1/cards/${card.cardId}/link`).send({ accountId: `ACC-${i}` }).expect(200);
      await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber, cvv: wrongCvv(cvv) }).expect(422);
      await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber, cvv }).expect(200);
      const dispute = (await t.http(agent).post(`/v1/cards/${card.cardId}/disputes`).send({ reason: 'UNRECOGNIZED_ACTIVATION', description: 'Customer does not recognise it' }).expect(201)).body;
      await t.http().post(`/v1/cards/${card.cardId}/disputes/${dispute.disputeId}/resolution`).send({ outcome: 'REJECTED', note: 'Activated from the registered device' }).expect(200);
      const newPhone = `1366666${String(nextSeed() % 10000).padStart(4, '0')}`;
      await t.http(agent).patch(`/v1/customers/${customerId}/contact`).send({ phone: newPhone }).expect(200);
      // The new number takes effect once the customer proves who they are again.
      await t.http(agent).post(`/v1/customers/${customerId}/identity-verifications`).send({ method: 'ID_DOCUMENT', name, idNumber }).expect(200);
      await t.http(agent).post('/v1/customers/lookup').send({ phone: newPhone }).expect(200);
      await t.http(agent).get(`/v1/customers/${customerId}`).set('X-Access-Reason', 'customer called').expect(200);
      people.push({ customerId, name, idNumber, phone, newPhone, email, line1, cardNumber, cvv });
    }
    erased = people[0];

    // The analyst calls every GET the permission table grants analysts, with real ids.
    const analyst = await t.token({ roles: ['analyst'], sub: 'analyst-scan' });
    const head = String((await t.app.get<EventStore>(EVENT_STORE).headPosition())!.commit);
    const params: Record<string, string> = { customerId: people[1].customerId };
    const cards = (await t.http(analyst).get('/v1/cards').query({ minPosition: head, limit: 200 }).expect(200)).body.items as { cardId: string }[];
    params.cardId = cards[0].cardId;
    params.templateId = 'activation-confirmation';
    for (const row of PERMISSIONS.filter((p) => p.method === 'GET' && p.access !== 'public' && p.access.includes('analyst'))) {
      const url = row.path.replace(/:(\w+)/g, (_, name: string) => {
        if (params[name] === undefined) throw new Error(`The scan has no value for :${name} of ${row.route}: add one`);
        return params[name];
      });
      const res = await t.http(analyst).get(url).query({ minPosition: head });
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      analystAnswers.push({ url, body: res.text });
    }
  });

  afterAll(() => removeDataDir(t.dataDir));

  it('called every analyst endpoint, and their answers name cards and customers but nothing personal', () => {
    expect(analystAnswers.length).toBeGreaterThanOrEqual(10);
    const all = analystAnswers.map((a) => a.body).join('\n');
    expect(all).toContain(people[1].customerId); // the answers are about these customers…
    expect(all).toContain(people[1].cardNumber.slice(-4));
    for (const answer of analystAnswers) {
      expect({ url: answer.url, found: [...foundIn(Buffer.from(answer.body), people), ...cvvFieldsIn(answer.body, people)] }).toEqual({ url: answer.url, found: [] });
    }
  });

  it('erases one customer: the read models and answers keep nothing of them, the others are untouched', async () => {
    const admin = await t.token({ roles: ['admin'], sub: 'dpo-scan' });
    await t.http(admin).delete(`/v1/customers/${erased.customerId}/personal-data`).send({ reason: 'PIPL art. 47 request 2026-77' }).expect(200);
    const head = String((await t.app.get<EventStore>(EVENT_STORE).headPosition())!.commit);
    const agent = await t.token({ roles: ['agent'], sub: 'agent-scan' });

    const read = await t.http(agent).get(`/v1/customers/${erased.customerId}`).set('X-Access-Reason', 'after erasure').expect(200);
    expect(foundIn(Buffer.from(read.text), [erased])).toEqual([]);
    expect(read.body).toMatchObject({ name: '[erased]', idNumber: '[erased]', phone: '[erased]', email: '[erased]' });
    for (const value of [{ phone: erased.newPhone, minPosition: head }, { idNumber: erased.idNumber }, { email: erased.email }]) {
      expect((await t.http(agent).post('/v1/customers/lookup').send(value).expect(200)).body.items).toEqual([]);
    }

    // Every read-model document about the customer: nothing personal, not even masked, and no lookup hash.
    const doc = (await t.app.get<ReadStore>(READ_STORE).get('customers', erased.customerId))!;
    const masked = [erased.name.slice(0, 1) + '*', `${erased.newPhone.slice(0, 3)}****`, erased.idNumber.slice(0, 6) + '*', erased.email.split('@')[1]];
    for (const fragment of masked) expect(JSON.stringify(doc)).not.toContain(fragment);
    expect(doc).toMatchObject({ phoneHash: null, idNumberHash: null, emailHash: null });

    for (const other of people.slice(1)) {
      const kept = await t.http(agent).get(`/v1/customers/${other.customerId}`).set('X-Access-Reason', 'check').expect(200);
      expect(kept.body).toMatchObject({ name: other.name, idNumber: other.idNumber, phone: `+86${other.newPhone}`, email: other.email });
      const found = await t.http(agent).post('/v1/customers/lookup').send({ idNumber: other.idNumber }).expect(200);
      expect(found.body.items.map((c: { customerId: string }) => c.customerId)).toEqual([other.customerId]);
    }
    await t.close();
  });

  it('DATA_DIR (events, read models, keys, secrets) and the log hold no personal value in clear, in any encoding', () => {
    const files = filesUnder(t.dataDir);
    expect(files.map((f) => f.slice(t.dataDir.length + 1))).toEqual(expect.arrayContaining(['events.db', 'read-models.db', 'keys.db', 'card-api.log']));
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      expect({ file, found: [...foundIn(bytes, people), ...cvvFieldsIn(bytes.toString('utf8'), people)] }).toEqual({ file, found: [] });
    }
    // The log is really there and names the requests that carried personal data, so the scan looked at something.
    const log = fs.readFileSync(t.logFile, 'utf8');
    for (const route of ['/contact', '/identity-verifications', '/v1/customers/lookup', '/personal-data', '/activate']) expect(log).toContain(route);
    expect(log).toContain(erased.customerId);
    // …and the application's own lines (Nest's Logger), not only the request lines.
    expect(log).toContain('Projections running in this process');
  });
});
