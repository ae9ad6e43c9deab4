import { randomUUID } from 'node:crypto';
import { DomainError } from '@cards/domain';
import { cardStream } from '../shared/streams';
import { iccid, residentId, testContext, writeSide, type WriteSide } from '../testing/write-side';
import { ORPHANED_SIM_COUNT_AFTER_MS, SIM_CARD_COUNTED, SIM_CARD_RELEASED } from './sim-quota';

const ID = residentId(7);

describe('At most MAX_SIMS_PER_ID SIM cards per id number (SIM quota) on a real (SQLite) event store', () => {
  let w: WriteSide;
  afterEach(() => w.close());

  const quota = () => w.store.readStream(w.simQuota.streamOf(ID));
  const quotaLog = async () => (await quota()).map((e) => [e.type, e.data.cardId, ...(e.type === SIM_CARD_RELEASED ? [e.data.reason] : [])]);
  const refusal = async (attempt: Promise<unknown>): Promise<DomainError> => {
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  };

  describe('with the default of 5', () => {
    beforeEach(() => {
      w = writeSide({ maxSimsPerId: 5 });
    });

    it('given 20 concurrent SIM issues for one id number across two customers, then exactly 5 succeed and 15 are SIM_LIMIT_REACHED', async () => {
      // The same number as a resident id and as a passport number: two customers, one person for the rule.
      const { customerId: resident } = await w.register({ idNumber: ID });
      const { customerId: passport } = await w.register({ idType: 'PASSPORT', idNumber: ID.toLowerCase() });

      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => w.issueSim(i % 2 === 0 ? resident : passport, 100 + i)));

      const issued = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ cardId: string }>).value.cardId);
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as DomainError);
      expect(issued).toHaveLength(5);
      expect(refused).toHaveLength(15);
      for (const error of refused) {
        expect(error).toMatchObject({ kind: 'conflict', code: 'SIM_LIMIT_REACHED', details: { maxSimsPerId: 5, activeSims: 5 } });
        expect(error.message).not.toContain(ID);
      }
      expect((await quota()).map((e) => e.type)).toEqual(Array(5).fill(SIM_CARD_COUNTED));
      expect(new Set((await quota()).map((e) => e.data.cardId))).toEqual(new Set(issued));
      for (const cardId of issued) expect(await w.store.readStream(cardStream(cardId))).toHaveLength(1);
    });

    it('names the stream by the keyed hash of the id number alone and writes no id number', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      const { cardId } = await w.issueSim(customerId, 1);
      const stream = w.simQuota.streamOf(ID);
      expect(stream).toBe(`sim-quota-${w.hasher.hash('idNumber', ID)}`);
      const [counted] = await quota();
      expect(counted.data).toEqual({ cardId, customerId, countedAt: expect.any(String) });
      expect(JSON.stringify([stream, counted.data, counted.metadata])).not.toContain(ID);
    });
  });

  describe('with a limit of 2', () => {
    beforeEach(() => {
      w = writeSide({ maxSimsPerId: 2 });
    });

    async function atTheLimit(): Promise<{ customerId: string; cards: string[] }> {
      const { customerId } = await w.register({ idNumber: ID });
      const cards = [(await w.issueSim(customerId, 1)).cardId, (await w.issueSim(customerId, 2)).cardId];
      return { customerId, cards };
    }

    it('counts SIM cards only: other products are not limited', async () => {
      const { customerId } = await atTheLimit();
      await expect(
        w.issueSim(customerId, 0, testContext(), { product: 'LOYALTY', cardNumber: '6011000990139424' }),
      ).resolves.toMatchObject({ card: { product: 'LOYALTY' } });
      expect(await quota()).toHaveLength(2);
    });

    it('given a retried issue (same Idempotency-Key), then the card counts once', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      const ctx = testContext({ idempotencyKey: 'sim-once' });
      const first = await w.issueSim(customerId, 1, ctx);
      const retry = await w.issueSim(customerId, 1, ctx);
      expect(retry).toMatchObject({ cardId: first.cardId, replayed: true });
      await w.issueSim(customerId, 2);
      expect(await quotaLog()).toEqual([
        [SIM_CARD_COUNTED, first.cardId],
        [SIM_CARD_COUNTED, expect.any(String)],
      ]);
    });

    it('given a crash between the count and CardIssued, when the issue is retried, then the card is not counted twice', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      const cardId = w.fingerprinter.deriveCardId(iccid(1));
      await w.simQuota.count({ cardId, customerId, idNumber: ID, ctx: testContext(), now: new Date().toISOString(), channel: 'BRANCH' });

      await expect(w.issueSim(customerId, 1)).resolves.toMatchObject({ cardId });
      await expect(w.issueSim(customerId, 2)).resolves.toMatchObject({ card: { status: 'ISSUED' } });
      expect(await quota()).toHaveLength(2);
    });

    it('given the limit is reached, when one SIM is cancelled, then it is released at once and another may be issued', async () => {
      const { customerId, cards } = await atTheLimit();
      expect(await refusal(w.issueSim(customerId, 3))).toMatchObject({ code: 'SIM_LIMIT_REACHED', details: { maxSimsPerId: 2, activeSims: 2 } });

      await w.cancel(cards[0]);
      expect((await quotaLog()).at(-1)).toEqual([SIM_CARD_RELEASED, cards[0], 'CANCELLED']);
      const next = await w.issueSim(customerId, 3);
      expect((await quotaLog()).slice(2)).toEqual([
        [SIM_CARD_RELEASED, cards[0], 'CANCELLED'],
        [SIM_CARD_COUNTED, next.cardId],
      ]);
      expect(await refusal(w.issueSim(customerId, 4))).toMatchObject({ code: 'SIM_LIMIT_REACHED' });
    });

    it('given a SIM cancelled by an upheld dispute, then its slot is released too', async () => {
      const { customerId, cards } = await atTheLimit();
      const disputeId = randomUUID();
      await w.suspend(cards[1]);
      await w.openDispute(cards[1], disputeId);
      expect(await quota()).toHaveLength(2);
      await w.upholdDispute(cards[1], disputeId);
      expect((await quotaLog()).at(-1)).toEqual([SIM_CARD_RELEASED, cards[1], 'CANCELLED']);
      await expect(w.issueSim(customerId, 3)).resolves.toMatchObject({ card: { product: 'SIM' } });
    });

    it('given a cancellation whose release was lost (a crash), then the next issue releases the card in its own append', async () => {
      const { customerId, cards } = await atTheLimit();
      jest.spyOn(w.simQuota, 'releaseCancelled').mockResolvedValueOnce(undefined);
      await w.cancel(cards[0]);
      expect(await quota()).toHaveLength(2);

      const next = await w.issueSim(customerId, 3);

      const events = await quota();
      expect(await quotaLog()).toEqual([
        [SIM_CARD_COUNTED, cards[0]],
        [SIM_CARD_COUNTED, cards[1]],
        [SIM_CARD_RELEASED, cards[0], 'CANCELLED'],
        [SIM_CARD_COUNTED, next.cardId],
      ]);
      expect(events[2].position.commit + 1n).toBe(events[3].position.commit);
    });

    it('given a count whose card was never issued, then it holds a slot for a minute and is released as ORPHANED after that', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      await w.issueSim(customerId, 1);
      const neverIssued = randomUUID();
      await w.simQuota.count({ cardId: neverIssued, customerId, idNumber: ID, ctx: testContext(), now: new Date().toISOString(), channel: 'BRANCH' });

      expect(await refusal(w.issueSim(customerId, 2))).toMatchObject({ code: 'SIM_LIMIT_REACHED', details: { activeSims: 2 } });
      w.clock.advance(ORPHANED_SIM_COUNT_AFTER_MS + 1_000);
      const next = await w.issueSim(customerId, 2);

      expect((await quotaLog()).slice(2)).toEqual([
        [SIM_CARD_RELEASED, neverIssued, 'ORPHANED'],
        [SIM_CARD_COUNTED, next.cardId],
      ]);
    });

    it('given an imported count dated long ago, then it still counts while its card is being written (ages are the store’s)', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      await w.issueSim(customerId, 1);
      await w.simQuota.count({ cardId: randomUUID(), customerId, idNumber: ID, ctx: testContext({ imported: true }), now: '2019-01-01T00:00:00.000Z', channel: 'BRANCH' });
      expect(await refusal(w.issueSim(customerId, 2))).toMatchObject({ code: 'SIM_LIMIT_REACHED' });
    });

    it('given a SIM whose number is refused (issued already), then its count is given back at once', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      const first = randomUUID();
      await w.issueSim(customerId, 1, testContext(), { cardId: first });
      const second = randomUUID();

      expect(await refusal(w.issueSim(customerId, 1, testContext(), { cardId: second }))).toMatchObject({ code: 'CARD_NUMBER_ALREADY_ISSUED' });

      expect(await quotaLog()).toEqual([
        [SIM_CARD_COUNTED, first],
        [SIM_CARD_COUNTED, second],
        [SIM_CARD_RELEASED, second, 'ORPHANED'],
      ]);
      await expect(w.issueSim(customerId, 2)).resolves.toMatchObject({ card: { product: 'SIM' } });
    });

    it('given a refused issue (unknown customer, bad expiry), then nothing is counted', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      expect((await refusal(w.issueSim(customerId, 1, testContext(), { expiry: '01/20' }))).kind).toBe('invalid');
      expect(await quota()).toEqual([]);
    });

    it('keeps counting after an erasure: a new registration of the same id number inherits the SIM cards still active', async () => {
      const { customerId, cards } = await atTheLimit();
      await w.erase(customerId);
      expect(await refusal(w.issueSim(customerId, 3))).toMatchObject({ code: 'CUSTOMER_PERSONAL_DATA_ERASED' });

      const { customerId: again } = await w.register({ idNumber: ID });
      expect(await refusal(w.issueSim(again, 3))).toMatchObject({ code: 'SIM_LIMIT_REACHED', details: { activeSims: 2 } });

      // The erased customer's card is cancelled: its id number cannot be read any more, so it is released lazily.
      await w.cancel(cards[0]);
      expect(await quota()).toHaveLength(2);
      const next = await w.issueSim(again, 3);
      expect((await quotaLog()).slice(2)).toEqual([
        [SIM_CARD_RELEASED, cards[0], 'CANCELLED'],
        [SIM_CARD_COUNTED, next.cardId],
      ]);
    });
  });
});
