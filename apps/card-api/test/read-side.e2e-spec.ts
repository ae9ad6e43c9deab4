import { randomUUID } from 'node:crypto';
import { newDataDir, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { activeDebitCard, issueDebitCard, linkedDebitCard, registerCustomer } from './support/lifecycle-steps';

describe('read side: card search, customer cards and projections over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(undefined, { READ_YOUR_WRITES_TIMEOUT_MS: '500' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('finds a card right after it was issued, with minPosition (read-your-writes)', async () => {
    const customerId = await registerCustomer(t);
    const card = await issueDebitCard(t, customerId);
    const position = (await t.http().post(`/v1/cards/${card.cardId}/suspend`).send({ reason: 'LOST' }).expect(200)).body.position;
    const res = await t.http().get('/v1/cards').query({ customerId, minPosition: position }).expect(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({
      cardId: card.cardId,
      customerId,
      status: 'SUSPENDED',
      product: 'DEBIT',
      panLast4: card.cardNumber.slice(-4),
      suspensionReason: 'LOST',
      revision: 1,
    });
    expect(JSON.stringify(res.body)).not.toContain(card.cardNumber);
  });

  it('filters by status, product and panLast4, and pages with an opaque cursor through every card once', async () => {
    const customerId = await registerCustomer(t);
    const cards = [];
    for (let i = 0; i < 7; i++) cards.push(await issueDebitCard(t, customerId));
    const linked = await linkedDebitCard(t);
    const last = await activeDebitCard(t);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { items: { cardId: string; issuedAt: string }[]; nextCursor: string | null } } = await t
        .http()
        .get('/v1/cards')
        .query({ customerId, limit: 3, minPosition: '0', ...(cursor && { cursor }) })
        .expect(200);
      seen.push(...res.body.items.map((c) => c.cardId));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual(cards.map((c) => c.cardId).sort());

    const linkedOnly = await t.http().get('/v1/cards').query({ status: 'LINKED', panLast4: linked.cardNumber.slice(-4) }).expect(200);
    expect(linkedOnly.body.items.map((c: { cardId: string }) => c.cardId)).toContain(linked.cardId);
    expect(linkedOnly.body.items.every((c: { status: string }) => c.status === 'LINKED')).toBe(true);

    const several = await t.http().get('/v1/cards').query({ status: 'ACTIVE,LINKED', product: 'DEBIT', limit: 200 }).expect(200);
    const ids = several.body.items.map((c: { cardId: string }) => c.cardId);
    expect(ids).toEqual(expect.arrayContaining([linked.cardId, last.cardId]));
    expect(ids).not.toContain(cards[0].cardId);
  });

  it('lists a customer\'s cards', async () => {
    const customerId = await registerCustomer(t);
    const a = await issueDebitCard(t, customerId);
    const b = await issueDebitCard(t, customerId);
    const position = (await t.http().post(`/v1/cards/${b.cardId}/cancel`).send({ reason: 'Damaged' }).expect(200)).body.position;
    const res = await t.http().get(`/v1/customers/${customerId}/cards`).query({ minPosition: position }).expect(200);
    expect(res.body.items.map((c: { cardId: string; status: string }) => [c.cardId, c.status]).sort()).toEqual(
      [[a.cardId, 'ISSUED'], [b.cardId, 'CANCELLED']].sort(),
    );
  });

  it('refuses malformed query parameters and cursors with a 400 naming them', async () => {
    const bad = await t.http().get('/v1/cards').query({ status: 'FLYING', limit: 0, panLast4: '12', sort: 'name', colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['status', 'limit', 'panLast4', 'sort', 'colour']));
    const cursor = await t.http().get('/v1/cards').query({ cursor: 'not-a-cursor' });
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors[0].field).toBe('cursor');
    const minPosition = await t.http().get('/v1/cards').query({ minPosition: 'yesterday' });
    expect(minPosition.status).toBe(400);
  });

  it('answers 503 with Retry-After when the read models cannot reach minPosition in time', async () => {
    const res = await t.http().get('/v1/cards').query({ minPosition: '999999999' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.code).toBe('PROJECTIONS_BEHIND');
  });

  it('shows each projection\'s checkpoint, lag and state', async () => {
    const card = await issueDebitCard(t);
    const position = (await t.http().post(`/v1/cards/${card.cardId}/suspend`).send({ reason: 'x' }).expect(200)).body.position;
    await t.http().get('/v1/cards').query({ minPosition: position, limit: 1 }).expect(200);
    const res = await t.http().get('/v1/projections').expect(200);
    const names = res.body.items.map((p: { name: string }) => p.name);
    expect(names).toEqual(['cards', 'disputes', 'verification-failures', 'customers', 'personal-data-access', 'audit-heads', 'reviews', 'notifications', 'numbers', 'cases']);
    const cards = res.body.items.find((p: { name: string }) => p.name === 'cards');
    expect(cards).toMatchObject({ state: 'live', error: null, lagCapped: false, version: 2, declaredVersion: 2 });
    // numbers declares version 2 (every document has its shape): recorded as such when it first started here.
    expect(res.body.items.find((p: { name: string }) => p.name === 'numbers')).toMatchObject({ version: 3, declaredVersion: 3 });
    expect(BigInt(cards.checkpoint) >= BigInt(position)).toBe(true);
    expect(cards.eventsApplied).toBeGreaterThan(0);
    expect(typeof cards.lagSeconds).toBe('number');
  });

  it('rebuilds a projection from zero to the same documents while the others stay live', async () => {
    await activeDebitCard(t);
    const before = await allCards(t);
    const rebuild = await t.http().post('/v1/projections/cards/rebuild').expect(202);
    expect(rebuild.body).toEqual({ name: 'cards', state: 'rebuilding' });
    const head = (await t.http().get('/v1/projections').expect(200)).body.items[0].headPosition;
    const after = await allCards(t, head);
    expect(after).toEqual(before);
    // A rebuild by hand replays the same code: the recorded version stays.
    const rebuilt = (await t.http().get('/v1/projections').expect(200)).body.items[0];
    expect(rebuilt).toMatchObject({ name: 'cards', version: 2 });
    await t.http().post(`/v1/projections/${randomUUID()}/rebuild`).expect(404);
  });
});

async function allCards(t: TestApp, minPosition = '0'): Promise<unknown[]> {
  const items: { cardId: string }[] = [];
  let cursor: string | null = null;
  do {
    const res: { body: { items: { cardId: string }[]; nextCursor: string | null } } = await t
      .http()
      .get('/v1/cards')
      .query({ limit: 200, minPosition, ...(cursor && { cursor }) })
      .expect(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items.sort((a, b) => a.cardId.localeCompare(b.cardId));
}

describe('read models survive a restart and stay consistent', () => {
  const dataDir = newDataDir();
  afterAll(() => removeDataDir(dataDir));

  it('continues from its checkpoints after a restart without double counting', async () => {
    const first = await startTestApp(dataDir);
    const card = await activeDebitCard(first);
    await first.http().post(`/v1/cards/${card.cardId}/disputes`).send({ reason: 'FRAUD', description: 'x' }).expect(201);
    await first.close();

    const second = await startTestApp(dataDir);
    try {
      const head = (await second.http().get('/v1/projections').expect(200)).body.items[0].headPosition;
      const res = await second.http().get('/v1/cards').query({ customerId: card.customerId, minPosition: head }).expect(200);
      expect(res.body.items).toHaveLength(1);
      expect(res.body.items[0]).toMatchObject({ status: 'DISPUTED', disputeCount: 1, activatedAt: expect.any(String) });
    } finally {
      await second.close();
    }
  });
});
