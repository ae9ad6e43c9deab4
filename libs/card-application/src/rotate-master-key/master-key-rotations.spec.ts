import { ConsoleLogger, Logger } from '@nestjs/common';
import type { EventStore, EventToAppend } from '@cards/event-store';
import { DomainError } from '@cards/domain';
import { MasterKeyRing, PersonalDataCipher, type DataKeyStore } from '@cards/security';
import { InMemoryDataKeyStore } from '@cards/security/pii/testing/in-memory-data-key-store';
import type { Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { MASTER_KEY_ROTATED, MASTER_KEY_ROTATIONS_STREAM, MasterKeyRotations, type MasterKeyRotation } from './master-key-rotations';

const K1_HEX = '1f'.repeat(32);
const K2_HEX = '2e'.repeat(32);
const K1 = `k1:${K1_HEX}`;
const K2 = `k2:${K2_HEX}`;

const admin: CommandContext = { actor: { id: 'ops-1', role: 'admin' }, correlationId: 'corr-1', causationId: 'req-1' };

/** The event store as far as the rotations use it: appends, recorded; `failing` makes them fail. */
class RecordingEventStore {
  readonly appended: Array<{ streamId: string; event: EventToAppend }> = [];
  failing = false;
  async appendToStream(streamId: string, events: readonly EventToAppend[]) {
    if (this.failing) throw Object.assign(new Error('event store down'), { code: 'EVENT_STORE_UNAVAILABLE' });
    for (const event of events) this.appended.push({ streamId, event });
    return { nextExpectedRevision: BigInt(this.appended.length - 1), position: { commit: 1n, prepare: 1n } };
  }
}

/** A clock that moves one second on each reading, so start and finish times differ. */
function steppingClock(): Clock {
  let t = Date.parse('2026-03-01T09:00:00.000Z');
  return { now: () => new Date((t += 1000)) };
}

/**
 * The store with a gate before each listWrappedUnder: the rotation waits there until the test opens it, so it
 * can be looked at between pages.
 */
function gated(store: InMemoryDataKeyStore): { store: DataKeyStore; open(): void } {
  let release: () => void = () => undefined;
  const close = () => new Promise<void>((resolve) => (release = resolve));
  let gate = close();
  const wrapped: DataKeyStore = Object.create(store) as DataKeyStore;
  wrapped.listWrappedUnder = async (...args) => {
    await gate;
    gate = close();
    return store.listWrappedUnder(...args);
  };
  return { store: wrapped, open: () => release() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Opens the gate page after page until the rotation ends. */
async function driveToEnd(rotations: MasterKeyRotations, gate: { open(): void }, rotationId: string): Promise<MasterKeyRotation> {
  for (let i = 0; i < 10_000; i++) {
    const job = rotations.get(rotationId);
    if (job.state !== 'running') return job;
    gate.open();
    await tick();
  }
  throw new Error('the rotation did not finish');
}

/** Customers with data keys under k1 (the ring before the rotation). */
async function customersUnderK1(store: DataKeyStore, count: number): Promise<string[]> {
  const before = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1) });
  const ids = Array.from({ length: count }, (_, i) => `customer-${String(i).padStart(3, '0')}`);
  for (const id of ids) await before.encryptField(id, 'name', '张三');
  return ids;
}

function rotationsOver(store: DataKeyStore, ring: string, events = new RecordingEventStore(), pageSize = 3) {
  const cipher = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(ring) });
  const rotations = new MasterKeyRotations(cipher, events as unknown as EventStore, steppingClock(), pageSize);
  return { rotations, events, cipher };
}

async function untilFinished(rotations: MasterKeyRotations, rotationId: string): Promise<MasterKeyRotation> {
  for (let i = 0; i < 10_000; i++) {
    const job = rotations.get(rotationId);
    if (job.state !== 'running') return job;
    await tick();
  }
  throw new Error('the rotation did not finish');
}

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe('rotating the PII master key as a job', () => {
  it('given keys under k1 and the ring "k2,k1", when an admin starts a rotation, then it answers running with the total and rewraps every key under k2', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 7);
    const { rotations } = rotationsOver(store, `${K2},${K1}`);

    const started = await rotations.start(admin);

    expect(started).toMatchObject({
      rotationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      state: 'running',
      fromMasterKeyIds: ['k1'],
      toMasterKeyId: 'k2',
      total: 7,
      finishedAt: null,
      startedBy: { id: 'ops-1', role: 'admin' },
      error: null,
    });
    const finished = await untilFinished(rotations, started.rotationId);
    expect(finished).toMatchObject({ state: 'succeeded', total: 7, rewrapped: 7, skipped: 0, failed: 0, failures: [], remaining: 0, error: null });
    expect(finished.finishedAt! > finished.startedAt).toBe(true);
    expect(finished.message).toMatch(/No data key is left under 'k1'.*remove 'k1' from PII_MASTER_KEY/);
    expect(await store.countWrappedUnder('k1')).toBe(0);
    expect(await store.countWrappedUnder('k2')).toBe(7);
  });

  it('given a finished rotation, then it is recorded once in pii-master-key-rotations with who, when and the counts, and no key material', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 4);
    const { rotations, events } = rotationsOver(store, `${K2},${K1}`);

    const finished = await untilFinished(rotations, (await rotations.start(admin)).rotationId);

    expect(events.appended).toHaveLength(1);
    const [{ streamId, event }] = events.appended;
    expect(streamId).toBe(MASTER_KEY_ROTATIONS_STREAM);
    expect(event).toEqual({
      id: finished.rotationId,
      type: MASTER_KEY_ROTATED,
      data: {
        rotationId: finished.rotationId,
        outcome: 'succeeded',
        fromMasterKeyIds: ['k1'],
        toMasterKeyId: 'k2',
        total: 4,
        rewrapped: 4,
        skipped: 0,
        failed: 0,
        remaining: 0,
        startedAt: finished.startedAt,
        finishedAt: finished.finishedAt,
      },
      metadata: {
        schemaVersion: 1,
        actor: { id: 'ops-1', role: 'admin' },
        correlationId: 'corr-1',
        causationId: 'req-1',
        occurredAt: finished.finishedAt,
      },
    });
    const everything = JSON.stringify([events.appended, finished, rotations.get(finished.rotationId)]);
    for (const secret of [K1_HEX, K2_HEX, '1f1f1f1f', '2e2e2e2e']) expect(everything).not.toContain(secret);
  });

  it('given a rotation half-way, when it is looked at, then it shows the keys rewrapped so far out of the total', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 7);
    const gate = gated(store);
    const { rotations } = rotationsOver(gate.store, `${K2},${K1}`, undefined, 3);

    const { rotationId } = await rotations.start(admin);
    expect(rotations.get(rotationId)).toMatchObject({ state: 'running', total: 7, rewrapped: 0, finishedAt: null });
    gate.open(); // the first page: 3 keys
    while (rotations.get(rotationId).rewrapped < 3) await tick();

    expect(rotations.get(rotationId)).toMatchObject({ state: 'running', total: 7, rewrapped: 3, finishedAt: null });
    expect(rotations.current()?.rotationId).toBe(rotationId);
    expect(await driveToEnd(rotations, gate, rotationId)).toMatchObject({ state: 'succeeded', total: 7, rewrapped: 7 });
    expect(rotations.current()).toBeUndefined();
  });

  it('given a rotation running, when another is started, then it is refused as a conflict naming the running one; once it ends another may start', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 5);
    const gate = gated(store);
    const { rotations } = rotationsOver(gate.store, `${K2},${K1}`);

    const first = await rotations.start(admin);
    const second = await rotations.start({ ...admin, actor: { id: 'ops-2', role: 'admin' } }).catch((error: unknown) => error);

    expect(second).toBeInstanceOf(DomainError);
    expect(second).toMatchObject({ kind: 'conflict', code: 'MASTER_KEY_ROTATION_RUNNING', details: { rotationId: first.rotationId } });
    expect((second as Error).message).toContain('ops-1');

    await driveToEnd(rotations, gate, first.rotationId);
    const third = await rotations.start(admin);
    expect(third.rotationId).not.toBe(first.rotationId);
    expect(await driveToEnd(rotations, gate, third.rotationId)).toMatchObject({ state: 'succeeded', total: 0, rewrapped: 0 });
  });

  it('given two requests at the same moment, then exactly one starts a rotation', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 2);
    const { rotations } = rotationsOver(store, `${K2},${K1}`);

    const outcomes = await Promise.allSettled([rotations.start(admin), rotations.start(admin)]);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
  });

  it('given a ring of one key, when a rotation is started, then it succeeds at once with nothing to do and says why', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 2);
    const { rotations, events } = rotationsOver(store, K1);

    const started = await rotations.start(admin);

    expect(started).toMatchObject({ state: 'succeeded', fromMasterKeyIds: [], toMasterKeyId: 'k1', total: 0, rewrapped: 0, remaining: 0, finishedAt: expect.any(String) });
    expect(started.message).toMatch(/holds only the master key 'k1'.*nothing to do.*put a new key first/i);
    expect(events.appended.map((e) => e.event.data)).toEqual([expect.objectContaining({ outcome: 'succeeded', fromMasterKeyIds: [], total: 0 })]);
    expect(rotations.current()).toBeUndefined();
  });

  it('given keys wrapped under k1 that the ring cannot unwrap, then the rotation rewraps the others and says to keep k1', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 3);
    const foreign = MasterKeyRing.parse(`k1:${'99'.repeat(32)}`);
    await store.create('customer-foreign', foreign.wrap('customer-foreign', Buffer.alloc(32, 7), '2024-01-01T00:00:00.000Z'));
    const { rotations } = rotationsOver(store, `${K2},${K1}`);

    const finished = await untilFinished(rotations, (await rotations.start(admin)).rotationId);

    expect(finished).toMatchObject({ state: 'succeeded', total: 4, rewrapped: 3, failed: 1, remaining: 1 });
    expect(finished.failures).toEqual([{ subjectId: 'customer-foreign', masterKeyId: 'k1', error: expect.stringMatching(/^DATA_KEY_UNWRAP_FAILED: /) }]);
    expect(finished.message).toMatch(/Keep 'k1' in PII_MASTER_KEY: 1 data key could not be unwrapped/);
  });

  it('given keys erased meanwhile, then they count as skipped, not as failed', async () => {
    const store = new InMemoryDataKeyStore();
    const [erased] = await customersUnderK1(store, 4);
    const gate = gated(store);
    const { rotations } = rotationsOver(gate.store, `${K2},${K1}`, undefined, 10);

    const { rotationId } = await rotations.start(admin);
    // Listed in the page, erased before its rewrap: the compare-and-set finds a tombstone.
    const originalRewrap = store.rewrap.bind(store);
    let erasedOnce = false;
    store.rewrap = async (subjectId, expected, wrapped) => {
      if (!erasedOnce && subjectId === erased) {
        erasedOnce = true;
        await store.destroy(erased, { by: 'dpo', reason: 'customer request', at: '2026-03-01T09:00:00.000Z' });
      }
      return originalRewrap(subjectId, expected, wrapped);
    };
    expect(await driveToEnd(rotations, gate, rotationId)).toMatchObject({ state: 'succeeded', total: 4, rewrapped: 3, skipped: 1, failed: 0, remaining: 0 });
  });

  it('given a key store that cannot be reached, then the rotation fails with the reason, and the attempt is recorded', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 2);
    store.failing = true;
    const { rotations, events } = rotationsOver(store, `${K2},${K1}`);

    const started = await rotations.start(admin);

    expect(started).toMatchObject({ state: 'failed', total: 0, error: expect.stringMatching(/^DATA_KEY_STORE_UNAVAILABLE: /) });
    expect(started.message).toMatch(/The rotation stopped: .*run the rotation again/);
    expect(events.appended.map((e) => e.event.data)).toEqual([expect.objectContaining({ outcome: 'failed', error: started.error })]);
    expect(rotations.current()).toBeUndefined();
  });

  it('given the key store failing half-way, then the rotation fails and keeps the counts so far; run again, it finishes the rest', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 6);
    const gate = gated(store);
    const { rotations } = rotationsOver(gate.store, `${K2},${K1}`, undefined, 3);

    const { rotationId } = await rotations.start(admin);
    gate.open();
    while (rotations.get(rotationId).rewrapped < 3) await tick();
    store.failing = true;
    gate.open();
    const failed = await untilFinished(rotations, rotationId);
    expect(failed).toMatchObject({ state: 'failed', total: 6, rewrapped: 3, error: expect.stringMatching(/^DATA_KEY_STORE_UNAVAILABLE: /) });

    store.failing = false;
    const again = await rotations.start(admin);
    expect(again.total).toBe(3);
    expect(await driveToEnd(rotations, gate, again.rotationId)).toMatchObject({ state: 'succeeded', rewrapped: 3, remaining: 0 });
  });

  it('given an event store that cannot record it, then the keys are rewrapped but the rotation reports it failed to be recorded', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 2);
    const events = new RecordingEventStore();
    events.failing = true;
    const { rotations } = rotationsOver(store, `${K2},${K1}`, events);

    const finished = await untilFinished(rotations, (await rotations.start(admin)).rotationId);

    expect(finished).toMatchObject({ state: 'failed', rewrapped: 2, remaining: 0 });
    expect(finished.error).toMatch(/could not be recorded in pii-master-key-rotations: EVENT_STORE_UNAVAILABLE/);
    expect(await store.countWrappedUnder('k1')).toBe(0);
  });

  it('given the service shutting down during a rotation, then it stops after the current page and is recorded as interrupted', async () => {
    const store = new InMemoryDataKeyStore();
    await customersUnderK1(store, 9);
    const gate = gated(store);
    const { rotations, events } = rotationsOver(gate.store, `${K2},${K1}`, undefined, 3);

    const { rotationId } = await rotations.start(admin);
    const shutdown = rotations.beforeApplicationShutdown();
    gate.open();
    await shutdown;

    expect(rotations.get(rotationId)).toMatchObject({ state: 'failed', rewrapped: 3, error: expect.stringMatching(/^ROTATION_INTERRUPTED: /) });
    expect(events.appended).toHaveLength(1);
    expect(await store.countWrappedUnder('k1')).toBe(6);
  });

  it('given an id it never ran, then it is not found', () => {
    const { rotations } = rotationsOver(new InMemoryDataKeyStore(), `${K2},${K1}`);
    expect(() => rotations.get('6f1c0e1a-1111-4222-8333-944445555666')).toThrow(
      expect.objectContaining({ kind: 'not_found', code: 'MASTER_KEY_ROTATION_NOT_FOUND' }),
    );
  });
});
