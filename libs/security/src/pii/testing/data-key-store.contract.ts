/**
 * The one contract every DataKeyStore adapter passes: SQLite (temp file), MongoDB (when MONGODB_URL is set) and
 * the in-memory store used by unit tests. Every test uses subject ids and master key ids of its own (random),
 * so the suite also runs against a database other tests use.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { compareSubjectIds } from '../data-key-rules';
import { DataKeyConflictError, PersonalDataErasedError } from '../errors';
import type { DataKeyStore, Erasure, WrappedKey } from '../key-store.port';

export function newSubjectId(prefix = 'customer'): string {
  return `${prefix}-${randomUUID()}`;
}

export function newMasterKeyId(): string {
  return `mk-${randomBytes(4).toString('hex')}`;
}

/** Random bytes of the right lengths: a store never looks inside a wrapped key. */
export function randomWrappedKey(masterKeyId: string, createdAt = '2024-05-01T08:00:00.000Z'): WrappedKey {
  return {
    masterKeyId,
    iv: randomBytes(12).toString('base64'),
    ciphertext: randomBytes(32).toString('base64'),
    tag: randomBytes(16).toString('base64'),
    createdAt,
  };
}

export function anErasure(overrides: Partial<Erasure> = {}): Erasure {
  return { by: 'admin-1', reason: 'customer request (ticket 42)', at: '2024-06-01T10:00:00.000Z', ...overrides };
}

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export function describeDataKeyStoreContract(name: string, makeStore: () => Promise<DataKeyStore>): void {
  describe(`DataKeyStore contract: ${name}`, () => {
    let store: DataKeyStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it('knows nothing of a subject it never saw', async () => {
      const subject = newSubjectId();
      expect(await store.get(subject)).toBeNull();
      expect(await store.erasureOf(subject)).toBeNull();
    });

    it('stores a wrapped key and gives it back exactly', async () => {
      const subject = newSubjectId();
      const wrapped = randomWrappedKey(newMasterKeyId());
      expect(await store.create(subject, wrapped)).toBe('created');
      expect(await store.get(subject)).toEqual(wrapped);
      expect(await store.erasureOf(subject)).toBeNull();
    });

    it('treats the identical key again as a retry, and keeps the first key against a different one', async () => {
      const subject = newSubjectId();
      const masterKeyId = newMasterKeyId();
      const first = randomWrappedKey(masterKeyId);
      await store.create(subject, first);

      expect(await store.create(subject, { ...first })).toBe('unchanged');
      expect(await store.create(subject, { ...first, createdAt: '2030-01-01T00:00:00.000Z' })).toBe('unchanged');
      const error = await rejectionOf(store.create(subject, randomWrappedKey(masterKeyId)));
      expect(error).toBeInstanceOf(DataKeyConflictError);
      expect(error).toMatchObject({ code: 'DATA_KEY_CONFLICT', subjectId: subject });
      expect(await rejectionOf(store.create(subject, { ...first, tag: randomBytes(16).toString('base64') }))).toBeInstanceOf(
        DataKeyConflictError,
      );
      expect(await store.get(subject)).toEqual(first);
    });

    it('lets exactly one of many concurrent first keys win', async () => {
      const subject = newSubjectId();
      const masterKeyId = newMasterKeyId();
      const candidates = Array.from({ length: 20 }, () => randomWrappedKey(masterKeyId));
      const outcomes = await Promise.all(candidates.map((wrapped) => store.create(subject, wrapped).catch((error: unknown) => error)));

      const winners = outcomes.flatMap((outcome, index) => (outcome === 'created' ? [candidates[index]] : []));
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome instanceof DataKeyConflictError)).toHaveLength(19);
      expect(await store.get(subject)).toEqual(winners[0]);
    });

    it('destroys a key for good and keeps only the erasure in a tombstone', async () => {
      const subject = newSubjectId();
      const masterKeyId = newMasterKeyId();
      const wrapped = randomWrappedKey(masterKeyId);
      await store.create(subject, wrapped);

      expect(await store.destroy(subject, anErasure())).toBe('destroyed');

      expect(await store.get(subject)).toBe('erased');
      expect(await store.erasureOf(subject)).toEqual(anErasure());
      expect(await store.listWrappedUnder(masterKeyId, 10)).toEqual([]);
      // No key, old or new, ever again.
      expect(await rejectionOf(store.create(subject, wrapped))).toBeInstanceOf(PersonalDataErasedError);
      expect(await rejectionOf(store.create(subject, randomWrappedKey(masterKeyId)))).toMatchObject({ code: 'PERSONAL_DATA_ERASED' });
      expect(await store.rewrap(subject, masterKeyId, randomWrappedKey(newMasterKeyId()))).toBe('erased');
      expect(await store.get(subject)).toBe('erased');
    });

    it('is idempotent on destroy and keeps the first erasure’s record', async () => {
      const subject = newSubjectId();
      await store.create(subject, randomWrappedKey(newMasterKeyId()));
      await store.destroy(subject, anErasure());

      expect(await store.destroy(subject, anErasure({ by: 'admin-2', reason: 'again', at: '2024-07-01T00:00:00.000Z' }))).toBe('already_erased');
      expect(await store.erasureOf(subject)).toEqual(anErasure());
    });

    it('writes a tombstone for a subject that never had a key, so none is created later', async () => {
      const subject = newSubjectId();
      expect(await store.destroy(subject, anErasure())).toBe('no_key');
      expect(await store.get(subject)).toBe('erased');
      expect(await store.erasureOf(subject)).toEqual(anErasure());
      expect(await rejectionOf(store.create(subject, randomWrappedKey(newMasterKeyId())))).toBeInstanceOf(PersonalDataErasedError);
      expect(await store.rewrap(subject, newMasterKeyId(), randomWrappedKey(newMasterKeyId()))).toBe('erased');
    });

    it('destroys once when destroys race', async () => {
      const subject = newSubjectId();
      await store.create(subject, randomWrappedKey(newMasterKeyId()));
      const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => store.destroy(subject, anErasure({ by: `admin-${i}` }))));
      expect(outcomes.filter((outcome) => outcome === 'destroyed')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'already_erased')).toHaveLength(4);
      const winner = outcomes.indexOf('destroyed');
      expect(await store.erasureOf(subject)).toEqual(anErasure({ by: `admin-${winner}` }));
    });

    it('lists the keys wrapped under one master key in subject order, page by page, without tombstones', async () => {
      const masterKeyId = newMasterKeyId();
      const other = newMasterKeyId();
      const prefix = newSubjectId('batch');
      const subjects = ['07', '03', '10', '01', '05', '09', '02'].map((n) => `${prefix}-${n}`);
      const keys = new Map<string, WrappedKey>();
      for (const subject of subjects) {
        const wrapped = randomWrappedKey(masterKeyId);
        keys.set(subject, wrapped);
        await store.create(subject, wrapped);
      }
      for (const n of ['04', '06']) await store.create(`${prefix}-${n}`, randomWrappedKey(other));
      const erased = `${prefix}-08`;
      await store.create(erased, randomWrappedKey(masterKeyId));
      await store.destroy(erased, anErasure());

      const expected = [...subjects].sort(compareSubjectIds);
      const first = await store.listWrappedUnder(masterKeyId, 3);
      expect(first.map((entry) => entry.subjectId)).toEqual(expected.slice(0, 3));
      expect(first[0].wrapped).toEqual(keys.get(expected[0]));
      const second = await store.listWrappedUnder(masterKeyId, 3, first[2].subjectId);
      expect(second.map((entry) => entry.subjectId)).toEqual(expected.slice(3, 6));
      const third = await store.listWrappedUnder(masterKeyId, 3, second[2].subjectId);
      expect(third.map((entry) => entry.subjectId)).toEqual(expected.slice(6));
      expect(await store.listWrappedUnder(masterKeyId, 3, third[0].subjectId)).toEqual([]);
      // A cursor need not be a listed subject.
      expect((await store.listWrappedUnder(masterKeyId, 100, `${prefix}-05x`)).map((entry) => entry.subjectId)).toEqual(
        expected.filter((subject) => compareSubjectIds(subject, `${prefix}-05x`) > 0),
      );
      expect((await store.listWrappedUnder(other, 100)).map((entry) => entry.subjectId)).toEqual([`${prefix}-04`, `${prefix}-06`]);
      expect(await store.listWrappedUnder(newMasterKeyId(), 100)).toEqual([]);
    });

    it('counts the keys wrapped under one master key, never tombstones, following creates, rewraps and destroys', async () => {
      const masterKeyId = newMasterKeyId();
      const other = newMasterKeyId();
      expect(await store.countWrappedUnder(masterKeyId)).toBe(0);

      const subjects = Array.from({ length: 5 }, () => newSubjectId());
      for (const subject of subjects) await store.create(subject, randomWrappedKey(masterKeyId));
      await store.create(newSubjectId(), randomWrappedKey(other));
      await store.destroy(newSubjectId(), anErasure()); // a tombstone that never had a key
      expect(await store.countWrappedUnder(masterKeyId)).toBe(5);
      expect(await store.countWrappedUnder(other)).toBe(1);

      await store.destroy(subjects[0], anErasure());
      expect(await store.rewrap(subjects[1], masterKeyId, randomWrappedKey(other))).toBe('rewrapped');
      expect(await store.countWrappedUnder(masterKeyId)).toBe(3);
      expect(await store.countWrappedUnder(other)).toBe(2);
      // The count is what listing page after page finds.
      expect((await store.listWrappedUnder(masterKeyId, 100)).map((entry) => entry.subjectId).sort(compareSubjectIds)).toEqual(
        subjects.slice(2).sort(compareSubjectIds),
      );
      expect(await store.countWrappedUnder(newMasterKeyId())).toBe(0);
    });

    it('rewraps only a key still under the expected master key, keeping its createdAt', async () => {
      const subject = newSubjectId();
      const oldId = newMasterKeyId();
      const newId = newMasterKeyId();
      const original = randomWrappedKey(oldId, '2024-01-02T03:04:05.000Z');
      await store.create(subject, original);
      const replacement = randomWrappedKey(newId, '2099-01-01T00:00:00.000Z');

      expect(await store.rewrap(subject, oldId, replacement)).toBe('rewrapped');

      expect(await store.get(subject)).toEqual({ ...replacement, createdAt: '2024-01-02T03:04:05.000Z' });
      expect(await store.listWrappedUnder(oldId, 10)).toEqual([]);
      expect(await store.listWrappedUnder(newId, 10)).toEqual([{ subjectId: subject, wrapped: { ...replacement, createdAt: original.createdAt } }]);
      // Already moved on: a second rotation run (or a stale one) changes nothing.
      expect(await store.rewrap(subject, oldId, randomWrappedKey(newId))).toBe('conflict');
      expect(await store.get(subject)).toEqual({ ...replacement, createdAt: original.createdAt });
      expect(await store.rewrap(newSubjectId(), oldId, replacement)).toBe('missing');
    });

    it('lets one of concurrent rewraps of a key win', async () => {
      const subject = newSubjectId();
      const oldId = newMasterKeyId();
      const newId = newMasterKeyId();
      await store.create(subject, randomWrappedKey(oldId));
      const candidates = Array.from({ length: 5 }, () => randomWrappedKey(newId));
      const outcomes = await Promise.all(candidates.map((wrapped) => store.rewrap(subject, oldId, wrapped)));
      expect(outcomes.filter((outcome) => outcome === 'rewrapped')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'conflict')).toHaveLength(4);
      const stored = await store.get(subject);
      expect(candidates.map((c) => c.ciphertext)).toContain((stored as WrappedKey).ciphertext);
    });

    it('keeps subject ids of any printable text apart', async () => {
      const subjects = [newSubjectId('客户'), `${newSubjectId()} with spaces/and:colons`, `${newSubjectId()}-Ünïcödé-😀`];
      const keys = subjects.map(() => randomWrappedKey(newMasterKeyId()));
      for (const [index, subject] of subjects.entries()) await store.create(subject, keys[index]);
      for (const [index, subject] of subjects.entries()) expect(await store.get(subject)).toEqual(keys[index]);
    });

    it('refuses malformed arguments before storing anything', async () => {
      const subject = newSubjectId();
      const good = randomWrappedKey(newMasterKeyId());
      const bad: Array<[string, () => Promise<unknown>]> = [
        ['empty subject', () => store.create('', good)],
        ['control character', () => store.create(`${subject}\n`, good)],
        ['bad master key id', () => store.create(subject, { ...good, masterKeyId: 'k1:x' })],
        ['iv of 16 bytes', () => store.create(subject, { ...good, iv: randomBytes(16).toString('base64') })],
        ['non-canonical base64', () => store.create(subject, { ...good, tag: good.tag.replace(/=*$/, '') + '\n' })],
        ['short ciphertext', () => store.create(subject, { ...good, ciphertext: randomBytes(31).toString('base64') })],
        ['bad createdAt', () => store.create(subject, { ...good, createdAt: 'yesterday' })],
        ['blank erasure reason', () => store.destroy(subject, anErasure({ reason: '  ' }))],
        ['bad erasure time', () => store.destroy(subject, anErasure({ at: 'now' }))],
        ['limit 0', () => store.listWrappedUnder(good.masterKeyId, 0)],
        ['bad master key id to count', () => store.countWrappedUnder('k1:x')],
        ['bad expected master key', () => store.rewrap(subject, '', good)],
      ];
      for (const [what, call] of bad) {
        const error = await rejectionOf(call());
        expect({ what, error }).toEqual({ what, error: expect.any(TypeError) });
      }
      expect(await store.get(subject)).toBeNull();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
