import { randomUUID } from 'node:crypto';
import { customerDecider, DomainError, type RegisterCustomer } from '@cards/domain';
import type { RecordedEvent } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import { deterministicUuid } from '../shared/deterministic-id';
import { customerStream } from '../shared/streams';
import { residentId, testContext, writeSide, type WriteSide } from '../testing/write-side';
import { ID_NUMBER_CLAIMED, ID_NUMBER_RELEASED, ORPHANED_ID_CLAIM_AFTER_MS } from './id-number-registry';

const ID = residentId(1);

describe('One customer per id document (id registry) on a real (SQLite) event store', () => {
  let w: WriteSide;
  beforeEach(() => {
    w = writeSide();
  });
  afterEach(() => w.close());

  const registryOf = (idNumber: string, idType = 'CN_RESIDENT_ID') => w.registry.streamOf({ idType: idType as 'CN_RESIDENT_ID', idNumber });
  const eventsOf = (stream: string) => w.store.readStream(stream);
  const refusal = async (attempt: Promise<unknown>): Promise<DomainError> => {
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  };
  async function allRegistered(): Promise<RecordedEvent[]> {
    const all = await w.store.readAll({ maxCount: 10_000 });
    return all.filter((e) => e.type === 'CustomerRegistered');
  }

  it('given a new id document, when a customer registers, then the document is claimed first, in a stream named by its keyed hash only', async () => {
    const { customerId } = await w.register({ idNumber: ID });

    const stream = registryOf(ID);
    expect(stream).toBe(`id-registry-${w.hasher.hash('idNumber', `CN_RESIDENT_ID:${ID}`)}`);
    expect(stream).not.toContain(ID.slice(0, 6));
    const [claim, ...rest] = await eventsOf(stream);
    expect(rest).toEqual([]);
    expect(claim.type).toBe(ID_NUMBER_CLAIMED);
    expect(claim.data).toEqual({ customerId, idType: 'CN_RESIDENT_ID', claimedAt: expect.any(String) });
    expect(JSON.stringify([claim.data, claim.metadata])).not.toContain(ID);
    // Claimed before the customer's stream was written.
    const [registered] = await eventsOf(customerStream(customerId));
    expect(claim.position.commit < registered.position.commit).toBe(true);
  });

  it('given a registered id document, when another customer registers with it (spelt differently), then 409 ID_NUMBER_ALREADY_REGISTERED points at the first, and nothing is written for the second', async () => {
    const { customerId } = await w.register({ idNumber: ID });
    const otherId = randomUUID();

    const error = await refusal(w.register({ customerId: otherId, idNumber: ` ${ID.toLowerCase()} `, name: '李四' }));

    expect(error).toMatchObject({ kind: 'conflict', code: 'ID_NUMBER_ALREADY_REGISTERED', details: { existingCustomerId: customerId } });
    expect(error.message).not.toContain(ID);
    expect(await eventsOf(customerStream(otherId))).toEqual([]);
    expect(await eventsOf(registryOf(ID))).toHaveLength(1);
  });

  it('keys the registry by type and number: the same characters as a passport number are another document', async () => {
    await w.register({ idNumber: ID });
    await expect(w.register({ idType: 'PASSPORT', idNumber: ID })).resolves.toMatchObject({ replayed: false });
    await w.register({ idType: 'PASSPORT', idNumber: 'E12345678', name: 'John Smith', phone: '+447911123456' });
    const error = await refusal(w.register({ idType: 'PASSPORT', idNumber: 'e1234 5678', name: 'John Smith', phone: '+447911123456' }));
    expect(error.code).toBe('ID_NUMBER_ALREADY_REGISTERED');
  });

  it('given 10 concurrent registrations of one id document, then exactly one customer is registered and the nine others point at it', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => w.register({ idNumber: ID, name: `张${i}` })));

    const registered = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as DomainError);
    expect(registered).toHaveLength(1);
    const { customerId } = (registered[0] as PromiseFulfilledResult<{ customerId: string }>).value;
    expect(refused).toHaveLength(9);
    for (const error of refused) expect(error).toMatchObject({ code: 'ID_NUMBER_ALREADY_REGISTERED', details: { existingCustomerId: customerId } });
    expect((await allRegistered()).map((e) => e.data.customerId)).toEqual([customerId]);
    expect(await eventsOf(registryOf(ID))).toHaveLength(1);
  });

  it('given a registration retried with the same Idempotency-Key, then it answers from the first and claims nothing more', async () => {
    const ctx = testContext({ idempotencyKey: 'register-once' });
    const first = await w.register({ idNumber: ID }, ctx);
    const retry = await w.register({ idNumber: ID }, ctx);
    expect(retry).toMatchObject({ customerId: first.customerId, replayed: true });
    expect(await eventsOf(registryOf(ID))).toHaveLength(1);
    expect(await allRegistered()).toHaveLength(1);
  });

  it('given a crash between the claim and CustomerRegistered, when the same registration is retried, then it goes on under its own claim', async () => {
    const ctx = testContext({ idempotencyKey: 'crashed-once' });
    const customerId = deterministicUuid('customer', ctx.idempotencyKey!);
    await w.registry.claim(customerId, { idType: 'CN_RESIDENT_ID', idNumber: ID }, ctx, new Date().toISOString());

    const retry = await w.register({ idNumber: ID }, ctx);

    expect(retry).toMatchObject({ customerId, replayed: false });
    expect(await eventsOf(registryOf(ID))).toHaveLength(1);
  });

  it('given a claim whose registration died, then it holds the document for a minute, and is taken over after that', async () => {
    const orphan = randomUUID();
    await w.registry.claim(orphan, { idType: 'CN_RESIDENT_ID', idNumber: ID }, testContext(), new Date().toISOString());

    const early = await refusal(w.register({ idNumber: ID }));
    expect(early).toMatchObject({ code: 'ID_NUMBER_ALREADY_REGISTERED', details: { existingCustomerId: orphan } });

    w.clock.advance(ORPHANED_ID_CLAIM_AFTER_MS + 1_000);
    const { customerId } = await w.register({ idNumber: ID });

    expect((await eventsOf(registryOf(ID))).map((e) => [e.type, e.data.customerId])).toEqual([
      [ID_NUMBER_CLAIMED, orphan],
      [ID_NUMBER_CLAIMED, customerId],
    ]);
    // The dead registration, retried at last, finds the document taken.
    const late = await refusal(w.register({ customerId: orphan, idNumber: ID }));
    expect(late).toMatchObject({ code: 'ID_NUMBER_ALREADY_REGISTERED', details: { existingCustomerId: customerId } });
  });

  it('never takes over the claim of a registered customer, however old', async () => {
    const { customerId } = await w.register({ idNumber: ID });
    w.clock.advance(365 * 24 * 3600_000);
    const error = await refusal(w.register({ idNumber: ID }));
    expect(error.details).toEqual({ existingCustomerId: customerId });
  });

  it('given an import dated long ago, then its fresh claim is not taken for an orphan (ages are the store’s)', async () => {
    const imported = randomUUID();
    await w.registry.claim(imported, { idType: 'CN_RESIDENT_ID', idNumber: ID }, testContext({ imported: true }), '2019-03-01T00:00:00.000Z');
    const error = await refusal(w.register({ idNumber: ID }));
    expect(error.details).toEqual({ existingCustomerId: imported });
  });

  it('refuses an invalid registration before claiming anything', async () => {
    const error = await refusal(w.register({ idNumber: ID, phone: '12345' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(await eventsOf(registryOf(ID))).toEqual([]);
  });

  it('given a customer id already registered, when it is registered again with another document, then it is refused without claiming that document', async () => {
    const { customerId } = await w.register({ idNumber: ID });
    const other = residentId(2);
    const error = await refusal(w.register({ customerId, idNumber: other }));
    expect(error.code).toBe('CUSTOMER_ALREADY_REGISTERED');
    expect(await eventsOf(registryOf(other))).toEqual([]);
  });

  describe('erasure', () => {
    it('releases the document before the data key goes, so the person can register again', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      await w.erase(customerId);

      const events = await eventsOf(registryOf(ID));
      expect(events.map((e) => e.type)).toEqual([ID_NUMBER_CLAIMED, ID_NUMBER_RELEASED]);
      expect(events[1].data).toEqual({ customerId, reason: 'ERASED', releasedAt: expect.any(String) });
      const erased = await new AggregateRunner(w.store, w.clock).load(customerStream(customerId), customerDecider);
      expect(erased.events.map((e) => e.type)).toEqual(['CustomerRegistered', 'CustomerPersonalDataErased']);

      const again = await w.register({ idNumber: ID });
      expect(again.customerId).not.toBe(customerId);
      expect((await eventsOf(registryOf(ID))).map((e) => [e.type, e.data.customerId])).toEqual([
        [ID_NUMBER_CLAIMED, customerId],
        [ID_NUMBER_RELEASED, customerId],
        [ID_NUMBER_CLAIMED, again.customerId],
      ]);
      // Erasing the first customer again releases nothing of the new one's.
      await w.erase(customerId);
      expect(await eventsOf(registryOf(ID))).toHaveLength(3);
    });

    it('given the release fails, then the data key is kept (the id number is still needed) and a retry completes both', async () => {
      const { customerId } = await w.register({ idNumber: ID });
      jest.spyOn(w.registry, 'release').mockRejectedValueOnce(new Error('event store down'));

      await expect(w.erase(customerId)).rejects.toThrow('event store down');
      const kept = await w.runner.load(customerStream(customerId), customerDecider);
      expect(kept.state).toMatchObject({ idNumber: ID, name: '张三' });
      expect(kept.state).not.toHaveProperty('personalDataErasedAt');
      const register = () => w.register({ idNumber: ID });
      expect(await refusal(register())).toMatchObject({ details: { existingCustomerId: customerId } });

      await w.erase(customerId);
      await expect(register()).resolves.toMatchObject({ replayed: false });
    });

    it('given a customer registered before the registry existed, then erasing them releases nobody else’s claim', async () => {
      const { customerId: holder } = await w.register({ idNumber: ID });
      // A customer with the same document but no claim of their own (registered before the registry).
      const legacy = randomUUID();
      await w.runner.execute(customerStream(legacy), customerDecider, testContext(), (_s, now): RegisterCustomer => ({
        type: 'RegisterCustomer',
        customerId: legacy,
        name: '张三',
        idType: 'CN_RESIDENT_ID',
        idNumber: ID,
        phone: '13800138000',
        now,
      }));
      await w.erase(legacy);
      expect((await eventsOf(registryOf(ID))).map((e) => [e.type, e.data.customerId])).toEqual([[ID_NUMBER_CLAIMED, holder]]);
    });
  });
});
