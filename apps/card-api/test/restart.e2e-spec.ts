import { randomUUID } from 'node:crypto';
import { CUSTOMER, newDataDir, removeDataDir, startTestApp } from './support/test-app';
import { activeDebitCard, linkedDebitCard } from './support/lifecycle-steps';

describe('a restart on the same DATA_DIR keeps everything', () => {
  const dataDir = newDataDir();
  afterAll(() => removeDataDir(dataDir));

  it('keeps cards, customers, development keys and idempotency keys', async () => {
    const first = await startTestApp(dataDir);
    const active = await activeDebitCard(first);
    const linked = await linkedDebitCard(first);
    const key = randomUUID();
    const registered = await first.http().post('/v1/customers').set('Idempotency-Key', key).send(CUSTOMER).expect(201);
    const before = await first.http().get(`/v1/cards/${active.cardId}`).expect(200);
    const keysBefore = first.config.keys;
    await first.close();

    const second = await startTestApp(dataDir);
    try {
      expect(second.config.keys).toEqual(keysBefore);
      expect(second.config.generatedKeys).toEqual([]);
      const after = await second.http().get(`/v1/cards/${active.cardId}`).expect(200);
      expect(after.body).toEqual(before.body);
      await second.http().get(`/v1/customers/${registered.body.customerId}`).expect(200);

      // The keys survived: the CVV2 computed before the restart still activates the other card.
      const activated = await second.http().post(`/v1/cards/${linked.cardId}/activate`).send({ channel: 'APP', cardNumber: linked.cardNumber, cvv: linked.cvv });
      expect(activated.status).toBe(200);

      const retry = await second.http().post('/v1/customers').set('Idempotency-Key', key).send(CUSTOMER).expect(201);
      expect(retry.body).toEqual(registered.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');

      // Positions go on from where they were.
      const next = await second.http().post(`/v1/cards/${active.cardId}/suspend`).send({ reason: 'After restart' }).expect(200);
      expect(BigInt(next.body.position) > BigInt(activated.body.position)).toBe(true);
    } finally {
      await second.close();
    }
  });
});
