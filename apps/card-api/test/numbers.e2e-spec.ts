import { luhnCardNumber, nextSeed, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { registerCustomer } from './support/lifecycle-steps';

/** SIM number selection (docs/numbers.md) through the real card-api on a real SQLite store. */
describe('SIM numbers: inventory, suggestions, search, reservations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(undefined, { MAX_SIMS_PER_ID: '2' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  /**
   * A block (first 7 digits) of our own per test, so that the tests do not see each other's numbers. Its digits
   * avoid 4, 7, 8 and 9, so that what a test searches for (88 tails, birthdays, excluded digits) comes from the tails.
   */
  const usedBlocks = new Set<string>();
  const freshBlock = (): string => {
    const digits = '012356';
    for (;;) {
      const block = `1${'356'[Math.floor(Math.random() * 3)]}${Array.from({ length: 5 }, () => digits[Math.floor(Math.random() * digits.length)]).join('')}`;
      if (!usedBlocks.has(block)) {
        usedBlocks.add(block);
        return block;
      }
    }
  };

  const importCsv = (body: string, token?: string) =>
    t.http(token).post('/v1/numbers/imports').set('content-type', 'text/csv').send(body);
  const importNumbers = async (numbers: readonly string[], region = '010'): Promise<string> => {
    const res = await importCsv(['msisdn,region', ...numbers.map((n) => `${n},${region}`)].join('\n'));
    expect(res.status).toBe(200);
    expect(res.body.failed).toEqual([]);
    return res.body.position as string;
  };
  const reserve = (msisdn: string, customerId: string, ttl?: string) =>
    t.http().post(`/v1/numbers/${msisdn}/reservations`).send({ customerId, ...(ttl && { ttl }) });

  describe('import', () => {
    it('imports CSV, reports malformed and repeated lines by line number, and adds nothing the second time', async () => {
      const block = freshBlock();
      const file = [
        'msisdn,region,tier',
        `${block}0001,010,`,
        `${block}8888,010,`,
        `${block}0003,010,GOLD`,
        '12800138000,010,',
        `${block}0005,10,`,
        `${block}0006,010,PLATINUM`,
        `${block}0001,010,`,
        'not,a,valid,line',
        '',
      ].join('\n');
      const first = await importCsv(file).expect(200);
      expect(first.body).toMatchObject({ lines: 8, imported: 3, alreadyInInventory: 0 });
      expect(first.body.failed).toEqual([
        { line: 5, code: 'INVALID_MSISDN', reason: expect.any(String) },
        { line: 6, code: 'INVALID_REGION', reason: expect.any(String) },
        { line: 7, code: 'INVALID_TIER', reason: expect.any(String) },
        { line: 8, code: 'DUPLICATE_NUMBER', reason: 'repeats the number of line 2' },
        { line: 9, code: 'INVALID_LINE', reason: expect.any(String) },
      ]);
      const again = await importCsv(file).expect(200);
      expect(again.body).toMatchObject({ lines: 8, imported: 0, alreadyInInventory: 3, position: null });

      // Tiers: from the file, else from the rules.
      const found = await t.http().get('/v1/numbers/search').query({ pattern: `${block}*`, minPosition: first.body.position }).expect(200);
      expect(found.body.items).toEqual([
        { msisdn: `${block}0001`, region: '010', tier: 'STANDARD' },
        { msisdn: `${block}0003`, region: '010', tier: 'GOLD' },
        { msisdn: `${block}8888`, region: '010', tier: 'GOLD' },
      ]);
    });

    it('imports JSON Lines, numbering the lines of a chunk from X-Import-First-Line', async () => {
      const block = freshBlock();
      const res = await t
        .http()
        .post('/v1/numbers/imports')
        .set('content-type', 'application/x-ndjson')
        .set('x-import-first-line', '101')
        .send([`{"msisdn":"${block}1122","region":"0755"}`, '{"msisdn":"1380013800"}', `{"msisdn":"${block}1000","region":"0755","color":"red"}`].join('\n'))
        .expect(200);
      expect(res.body).toMatchObject({ lines: 3, imported: 1 });
      expect(res.body.failed.map((f: { line: number; code: string }) => [f.line, f.code])).toEqual([
        [102, 'INVALID_MSISDN'],
        [103, 'INVALID_LINE'],
      ]);
    });

    it('is for admins only, and takes CSV or JSON Lines only', async () => {
      const issuer = await t.token({ roles: ['issuer'] });
      await importCsv('13800138000,010', issuer).expect(403);
      const res = await t.http().post('/v1/numbers/imports').set('content-type', 'application/json').send({ msisdn: '13800138000' });
      expect(res.status).toBe(415);
    });
  });

  describe('reservations', () => {
    it('of 50 concurrent reservations for one number, exactly one wins and the others get 409', async () => {
      const block = freshBlock();
      const msisdn = `${block}6666`;
      await importNumbers([msisdn]);
      const customers = await Promise.all(Array.from({ length: 50 }, () => registerCustomer(t)));
      const answers = await Promise.all(customers.map((customerId) => reserve(msisdn, customerId)));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      for (const a of answers.filter((x) => x.status === 409)) {
        expect(a.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(a.body.code).toBe('NUMBER_NOT_AVAILABLE');
      }
      const winner = answers.find((a) => a.status === 201)!;
      expect(winner.body).toMatchObject({ msisdn, customerId: expect.any(String), region: '010', tier: 'GOLD', reservationId: expect.any(String) });
      expect(Date.parse(winner.body.expiresAt) - Date.parse(winner.body.reservedAt)).toBe(30 * 60 * 1000);
    });

    it('holds at most NUMBER_MAX_RESERVATIONS_PER_CUSTOMER (3) per customer; a release frees a place and the number', async () => {
      const block = freshBlock();
      const numbers = ['0101', '0102', '0103', '0104'].map((tail) => `${block}${tail}`);
      await importNumbers(numbers);
      const customerId = await registerCustomer(t);
      const held = [];
      for (const msisdn of numbers.slice(0, 3)) held.push((await reserve(msisdn, customerId, 'PT10M').expect(201)).body);
      const fourth = await reserve(numbers[3], customerId).expect(409);
      expect(fourth.body).toMatchObject({ code: 'RESERVATION_LIMIT_REACHED', maxReservationsPerCustomer: 3, activeReservations: 3 });

      const released = await t.http().delete(`/v1/numbers/${numbers[0]}/reservations/${held[0].reservationId}`).expect(200);
      expect(released.body).toMatchObject({ msisdn: numbers[0], reservationId: held[0].reservationId, releasedAt: expect.any(String) });
      const again = await t.http().delete(`/v1/numbers/${numbers[0]}/reservations/${held[0].reservationId}`).expect(409);
      expect(again.body).toMatchObject({ code: 'RESERVATION_NOT_ACTIVE', outcome: 'RELEASED' });

      await reserve(numbers[3], customerId).expect(201);
      const other = await registerCustomer(t);
      await reserve(numbers[0], other).expect(201);
    });

    it('answers 400 naming the field, 404 for an unknown number or customer', async () => {
      const customerId = await registerCustomer(t);
      const bad = await reserve('1280013800', customerId).expect(400);
      expect(bad.body.errors).toEqual([{ field: 'msisdn', reason: expect.any(String) }]);
      const ttl = await reserve('13800138000', customerId, 'thirty minutes').expect(400);
      expect(ttl.body.errors).toEqual([{ field: 'ttl', reason: expect.any(String) }]);
      const tooLong = await reserve('13800138000', customerId, 'P2D');
      expect(tooLong.status).toBe(404); // checked after the number: it is not in the inventory
      const block = freshBlock();
      await importNumbers([`${block}0001`]);
      const longTtl = await reserve(`${block}0001`, customerId, 'P2D').expect(400);
      expect(longTtl.body.errors).toEqual([{ field: 'ttl', reason: expect.any(String) }]);
      expect((await reserve(`${freshBlock()}0001`, customerId).expect(404)).body.code).toBe('NUMBER_NOT_FOUND');
      expect((await reserve(`${block}0001`, '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21').expect(404)).body.code).toBe('CUSTOMER_NOT_FOUND');
      const analyst = await t.token({ roles: ['analyst'] });
      await t.http(analyst).post(`/v1/numbers/${block}0001/reservations`).send({ customerId }).expect(403);
    });
  });

  describe('withdrawal', () => {
    it('takes an available number out for good (admin only): never reserved, suggested or found again; a reserved one is refused', async () => {
      const block = freshBlock();
      const [gone, held, spare] = [`${block}0501`, `${block}0502`, `${block}0503`];
      await importNumbers([gone, held, spare]);
      const customerId = await registerCustomer(t);
      await reserve(held, customerId).expect(201);
      const admin = await t.token({ roles: ['admin'] });

      const withdrawn = await t.http(admin).post(`/v1/numbers/${gone}/withdrawal`).send({ reason: ' Reclaimed by the regulator ' }).expect(200);
      expect(withdrawn.body).toMatchObject({ msisdn: gone, reason: 'Reclaimed by the regulator', withdrawnAt: expect.any(String), position: expect.any(String) });
      expect((await reserve(gone, customerId).expect(409)).body.code).toBe('NUMBER_NOT_AVAILABLE');
      const found = await t.http().get('/v1/numbers/search').query({ region: '010', pattern: `${block}*`, minPosition: withdrawn.body.position }).expect(200);
      expect(found.body.items.map((n: { msisdn: string }) => n.msisdn)).not.toContain(gone);

      const refused = await t.http(admin).post(`/v1/numbers/${held}/withdrawal`).send({ reason: 'Reclaimed' }).expect(409);
      expect(refused.body.currentStatus).toBe('RESERVED');
      expect((await t.http(admin).post(`/v1/numbers/${gone}/withdrawal`).send({ reason: 'Again' }).expect(409)).body.currentStatus).toBe('WITHDRAWN');
      const blank = await t.http(admin).post(`/v1/numbers/${spare}/withdrawal`).send({ reason: '  ' }).expect(400);
      expect(blank.body.errors).toEqual([{ field: 'reason', reason: expect.any(String) }]);
      await t.http(admin).post(`/v1/numbers/${freshBlock()}0001/withdrawal`).send({ reason: 'x' }).expect(404);
      const issuer = await t.token({ roles: ['issuer'] });
      await t.http(issuer).post(`/v1/numbers/${spare}/withdrawal`).send({ reason: 'x' }).expect(403);
    });
  });

  describe('suggestions and search', () => {
    it('suggests a uniformly random sample of available numbers, never a reserved one', async () => {
      const region = '0571';
      const block = freshBlock();
      const numbers = Array.from({ length: 24 }, (_, i) => `${block}${String(1000 + i * 7).padStart(4, '0')}`);
      await importNumbers(numbers, region);
      const customerId = await registerCustomer(t);
      const taken = [];
      for (const msisdn of numbers.slice(0, 3)) taken.push((await reserve(msisdn, customerId).expect(201)).body);
      const position = taken[2].position;

      const seen = new Map<string, number>();
      for (let call = 0; call < 150; call++) {
        const res = await t.http().get('/v1/numbers/suggestions').query({ region, count: 5, minPosition: position }).expect(200);
        const items: { msisdn: string; region: string }[] = res.body.items;
        expect(items).toHaveLength(5);
        expect(new Set(items.map((i) => i.msisdn)).size).toBe(5);
        for (const item of items) {
          expect(item.region).toBe(region);
          expect(numbers.slice(3)).toContain(item.msisdn);
          seen.set(item.msisdn, (seen.get(item.msisdn) ?? 0) + 1);
        }
      }
      // Each of the 21 available numbers has a 5/21 chance per call: every one shows up in 150 calls.
      expect([...seen.keys()].sort()).toEqual(numbers.slice(3).sort());
    });

    it('asks for more than there are: gives every available one', async () => {
      const region = '0898';
      const block = freshBlock();
      await importNumbers([`${block}0001`, `${block}0002`], region);
      const res = await t.http().get('/v1/numbers/suggestions').query({ region, count: 10 }).expect(200);
      expect(res.body.items.map((i: { msisdn: string }) => i.msisdn).sort()).toEqual([`${block}0001`, `${block}0002`]);
      const none = await t.http().get('/v1/numbers/suggestions').query({ region: '0899', count: 10 }).expect(200);
      expect(none.body.items).toEqual([]);
    });

    it('finds numbers matching a pattern, cheapest tier first, paged, none reserved or assigned', async () => {
      const region = '0591';
      const block = freshBlock();
      const tails = ['8888', '1288', '2388', '1234', '1122', '1212', '0188', '3388', '5555', '0000', '7788', '8088'];
      const numbers = tails.map((tail) => `${block}${tail}`);
      await importNumbers(numbers, region);
      const customerId = await registerCustomer(t);
      const reserved = (await reserve(`${block}3388`, customerId).expect(201)).body;

      const search = (query: Record<string, string | number>) =>
        t.http().get('/v1/numbers/search').query({ region, minPosition: reserved.position, ...query });
      const page1 = await search({ pattern: '*88', limit: 3 }).expect(200);
      const page2 = await search({ pattern: '*88', limit: 3, cursor: page1.body.nextCursor }).expect(200);
      const found = [...page1.body.items, ...page2.body.items];
      expect(page2.body.nextCursor).toBeNull();
      expect(found.map((i: { msisdn: string }) => i.msisdn.slice(-4))).toEqual(['0188', '1288', '2388', '7788', '8088', '8888']);
      expect(found.map((i: { tier: string }) => i.tier)).toEqual(['STANDARD', 'STANDARD', 'STANDARD', 'SILVER', 'GOLD', 'GOLD']);
      for (const item of found) expect(item.msisdn).toMatch(/88$/);
      expect(found.map((i: { msisdn: string }) => i.msisdn)).not.toContain(reserved.msisdn);

      const shapes: [Record<string, string>, string[]][] = [
        [{ pattern: 'AABB' }, ['1122', '7788']],
        [{ pattern: 'ABAB' }, ['1212']],
        [{ pattern: 'AAAA' }, ['0000', '5555', '8888']],
        [{ pattern: 'ASCENDING' }, ['1234']],
        [{ pattern: `${block.slice(0, 3)}*12??` }, ['1212', '1234', '1288']],
        [{ pattern: '*88', exclude: '7' }, ['0188', '1288', '2388', '8088', '8888']],
      ];
      for (const [query, expected] of shapes) {
        const res = await search(query).expect(200);
        expect([query, res.body.items.map((i: { msisdn: string }) => i.msisdn.slice(-4)).sort()]).toEqual([query, expected]);
      }
    });

    it('finds a birthday and refuses malformed criteria naming the field', async () => {
      const region = '0592';
      const block = freshBlock();
      await importNumbers([`${block}0815`, `${block}0816`], region);
      const res = await t.http().get('/v1/numbers/search').query({ region, birthday: '0815' }).expect(200);
      expect(res.body.items.map((i: { msisdn: string }) => i.msisdn)).toEqual([`${block}0815`]);
      for (const [field, value] of [['pattern', '88x'], ['birthday', '1301'], ['exclude', 'four'], ['region', 'Beijing']]) {
        const bad = await t.http().get('/v1/numbers/search').query({ [field]: value }).expect(400);
        expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      }
      await t.http(await t.token({ roles: ['analyst'] })).get('/v1/numbers/search').query({ pattern: '*8' }).expect(403);
    });
  });

  describe('a SIM card takes its number', () => {
    const issueSim = (customerId: string, msisdn?: string) =>
      t.http().post('/v1/cards').send({ customerId, product: 'SIM', cardNumber: luhnCardNumber('898600', 19, nextSeed()), channel: 'BRANCH', branchId: 'BJ-001', ...(msisdn && { msisdn }) });

    it('assigns a reserved number, shows it on the card, and quarantines it when the card is cancelled', async () => {
      const region = '0311';
      const block = freshBlock();
      const msisdn = `${block}2468`;
      await importNumbers([msisdn], region);
      const customerId = await registerCustomer(t);

      const notReserved = await issueSim(customerId, msisdn).expect(409);
      expect(notReserved.body.code).toBe('NUMBER_NOT_RESERVED_FOR_CUSTOMER');
      await reserve(msisdn, customerId).expect(201);
      const someoneElse = await registerCustomer(t);
      expect((await issueSim(someoneElse, msisdn).expect(409)).body.code).toBe('NUMBER_NOT_RESERVED_FOR_CUSTOMER');

      const issued = await issueSim(customerId, msisdn).expect(201);
      const card = await t.http().get(`/v1/cards/${issued.body.cardId}`).expect(200);
      expect(card.body).toMatchObject({ product: 'SIM', msisdn });
      const events = await t.http().get(`/v1/audit/cards/${issued.body.cardId}/events`).expect(200);
      expect(JSON.stringify(events.body)).toContain(msisdn);
      // The card lists (read model) show it too.
      const listed = await t.http().get('/v1/cards').query({ customerId, minPosition: issued.body.position }).expect(200);
      expect(listed.body.items).toEqual([expect.objectContaining({ cardId: issued.body.cardId, product: 'SIM', msisdn })]);

      const search = await t.http().get('/v1/numbers/search').query({ region, pattern: '*2468', minPosition: issued.body.position }).expect(200);
      expect(search.body.items).toEqual([]);
      // A second card cannot take it, even for the same customer.
      expect((await reserve(msisdn, customerId).expect(409)).body).toMatchObject({ code: 'NUMBER_NOT_AVAILABLE', currentStatus: 'ASSIGNED' });

      const cancelled = await t.http().post(`/v1/cards/${issued.body.cardId}/cancel`).send({ reason: 'Customer request' }).expect(200);
      expect((await reserve(msisdn, someoneElse).expect(409)).body).toMatchObject({ code: 'NUMBER_NOT_AVAILABLE', currentStatus: 'QUARANTINED' });
      const report = await t.http().get('/v1/reports/number-inventory').query({ region, minPosition: cancelled.body.position }).expect(200);
      expect(report.body).toMatchObject({ region, total: 1, byState: { QUARANTINED: 1, AVAILABLE: 0 }, importToAssignment: { count: 1 } });
    });

    it('refuses a msisdn on a card that is not a SIM card, naming the field', async () => {
      const customerId = await registerCustomer(t);
      const res = await t
        .http()
        .post('/v1/cards')
        .send({ customerId, product: 'LOYALTY', cardNumber: luhnCardNumber('601100', 16, nextSeed()), channel: 'BRANCH', msisdn: '13800138000' })
        .expect(400);
      expect(res.body.errors).toEqual([{ field: 'msisdn', reason: 'only a SIM card takes a phone number' }]);
    });

    it('still holds the real-name limit (MAX_SIMS_PER_ID 2 here): the third SIM is refused and its number stays reserved', async () => {
      const block = freshBlock();
      const numbers = [`${block}0001`, `${block}0002`, `${block}0003`];
      await importNumbers(numbers);
      const customerId = await registerCustomer(t);
      for (const msisdn of numbers) await reserve(msisdn, customerId).expect(201);
      await issueSim(customerId, numbers[0]).expect(201);
      await issueSim(customerId, numbers[1]).expect(201);
      const third = await issueSim(customerId, numbers[2]).expect(409);
      expect(third.body).toMatchObject({ code: 'SIM_LIMIT_REACHED', maxSimsPerId: 2, activeSims: 2 });
      // Not assigned: still this customer's to use once a slot is free, and nobody else's.
      const other = await registerCustomer(t);
      expect((await reserve(numbers[2], other).expect(409)).body.currentStatus).toBe('RESERVED');
    });
  });

  it('reports the inventory by state and tier (analyst only)', async () => {
    const region = '0431';
    const block = freshBlock();
    await importNumbers([`${block}0001`, `${block}0002`, `${block}9999`], region);
    const customerId = await registerCustomer(t);
    const reserved = (await reserve(`${block}0001`, customerId).expect(201)).body;
    const analyst = await t.token({ roles: ['analyst'] });
    const res = await t.http(analyst).get('/v1/reports/number-inventory').query({ region, minPosition: reserved.position }).expect(200);
    expect(res.body).toMatchObject({
      region,
      total: 3,
      byState: { AVAILABLE: 2, RESERVED: 1, ASSIGNED: 0, QUARANTINED: 0, WITHDRAWN: 0 },
      byTier: { GOLD: { total: 1, AVAILABLE: 1 }, STANDARD: { total: 2, AVAILABLE: 1, RESERVED: 1 } },
      reservationsExpiredUnused: 0,
      importToAssignment: { count: 0, p50Seconds: null },
    });
    await t.http(await t.token({ roles: ['issuer'] })).get('/v1/reports/number-inventory').expect(403);
  });
});
