import { DataKeyStoreUnavailableError, MasterKeyNotFoundError, PersonalDataDecryptionError, PersonalDataErasedError } from './errors';
import { MasterKeyRing, type EncryptedField } from './envelope';
import { ERASED, PersonalDataCipher, type RotationProgress } from './personal-data-cipher';
import { newSubjectId } from './testing/data-key-store.contract';
import { InMemoryDataKeyStore } from './testing/in-memory-data-key-store';

const K1 = `k1:${'1f'.repeat(32)}`;
const K2 = `k2:${'2e'.repeat(32)}`;

const customer = {
  name: '张三',
  idNumber: '11010519491231002X',
  birthDate: '1949-12-31',
  phone: '+8613800135678',
  email: 'zhang.san@example.com',
  address: { line1: '朝阳区建国路 88 号', city: '北京', postcode: '100022', country: 'CN' },
  segment: 'RETAIL',
};
const PERSONAL = ['name', 'idNumber', 'birthDate', 'phone', 'email', 'address'] as const;

function setUp(ringText = K1, options: { cacheTtlMs?: number; now?: () => Date } = {}) {
  const store = new InMemoryDataKeyStore();
  const cipher = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(ringText), ...options });
  return { store, cipher };
}

describe('PersonalDataCipher', () => {
  it('round-trips a field, creating the subject’s data key on first use only', async () => {
    const { store, cipher } = setUp();
    const subject = newSubjectId();
    const name = await cipher.encryptField(subject, 'name', '张三');
    const phone = await cipher.encryptField(subject, 'phone', '+8613800135678');

    expect(JSON.stringify(name)).not.toContain('张三');
    expect(await cipher.decryptField(subject, 'name', name)).toBe('张三');
    expect(await cipher.decryptField(subject, 'phone', phone)).toBe('+8613800135678');
    expect(store.calls.create).toBe(1);
    expect(await store.get(subject)).toMatchObject({ masterKeyId: 'k1' });
  });

  it('decrypts in another cipher (another process) sharing the store', async () => {
    const { store, cipher } = setUp();
    const subject = newSubjectId();
    const encrypted = await cipher.encryptField(subject, 'email', 'zhang.san@example.com');
    const elsewhere = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1) });
    expect(await elsewhere.decryptField(subject, 'email', encrypted)).toBe('zhang.san@example.com');
  });

  it('encrypts and decrypts the listed fields of an object, an address as JSON', async () => {
    const { cipher } = setUp();
    const subject = newSubjectId();
    const encrypted = await cipher.encryptFields(subject, { ...customer, middleName: null, nickname: undefined }, [
      ...PERSONAL,
      'middleName',
      'nickname',
    ]);

    expect(encrypted.segment).toBe('RETAIL');
    expect(encrypted.middleName).toBeNull();
    expect(encrypted.nickname).toBeUndefined();
    expect((encrypted.address as EncryptedField).fmt).toBe('json');
    expect((encrypted.name as EncryptedField).fmt).toBeUndefined();
    const json = JSON.stringify(encrypted);
    for (const value of ['张三', '11010519491231002X', '1949-12-31', '13800135678', 'zhang.san', '建国路', '100022']) {
      expect(json).not.toContain(value);
    }

    const decrypted = await cipher.decryptFields(subject, JSON.parse(json) as typeof encrypted, PERSONAL);
    expect(decrypted).toEqual({ ...customer, middleName: null });
  });

  it('refuses to encrypt a field twice', async () => {
    const { cipher } = setUp();
    const subject = newSubjectId();
    const once = await cipher.encryptFields(subject, { name: '张三' }, ['name']);
    await expect(cipher.encryptFields(subject, once, ['name'])).rejects.toThrow(/already encrypted/);
  });

  describe('tampering and swapping', () => {
    it('fails with PersonalDataDecryptionError for any changed byte of iv, ct or tag', async () => {
      const { cipher } = setUp();
      const subject = newSubjectId();
      const sealed = await cipher.encryptField(subject, 'idNumber', '11010519491231002X');
      for (const part of ['iv', 'ct', 'tag'] as const) {
        const bytes = Buffer.from(sealed[part], 'base64');
        for (let i = 0; i < bytes.length; i += 1) {
          for (const bit of [0x01, 0x80]) {
            const copy = Buffer.from(bytes);
            copy[i] ^= bit;
            const error = await cipher.decryptField(subject, 'idNumber', { ...sealed, [part]: copy.toString('base64') }).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(PersonalDataDecryptionError);
            expect(error).toMatchObject({ reason: 'authentication_failed', field: 'idNumber', subjectId: subject });
          }
        }
      }
    });

    it('fails when a field is moved to another subject or another field', async () => {
      const { cipher } = setUp();
      const alice = newSubjectId();
      const bob = newSubjectId();
      const alicePhone = await cipher.encryptField(alice, 'phone', '+8613800000001');
      await cipher.encryptField(bob, 'phone', '+8613800000002');

      await expect(cipher.decryptField(bob, 'phone', alicePhone)).rejects.toMatchObject({ reason: 'wrong_data_key' });
      await expect(cipher.decryptField(alice, 'idNumber', alicePhone)).rejects.toMatchObject({ reason: 'authentication_failed' });
      // Even with the kid forged to look like Bob's key.
      const bobName = await cipher.encryptField(bob, 'name', '李四');
      await expect(cipher.decryptField(bob, 'phone', { ...alicePhone, kid: bobName.kid })).rejects.toMatchObject({
        reason: 'authentication_failed',
      });
      await expect(cipher.decryptField(alice, 'phone', alicePhone)).resolves.toBe('+8613800000001');
    });

    it('says when the subject has no data key at all', async () => {
      const { cipher } = setUp();
      const sealed = await cipher.encryptField(newSubjectId(), 'name', '张三');
      await expect(cipher.decryptField(newSubjectId(), 'name', sealed)).rejects.toMatchObject({ reason: 'no_data_key' });
    });

    it('says a field that is not encrypted is malformed', async () => {
      const { cipher } = setUp();
      const subject = newSubjectId();
      await cipher.encryptField(subject, 'name', '张三');
      await expect(cipher.decryptFields(subject, { name: '张三' }, ['name'])).rejects.toMatchObject({ reason: 'malformed' });
    });
  });

  describe('erasure', () => {
    it('makes every field of the subject read as [erased], and leaves other subjects alone', async () => {
      const { store, cipher } = setUp();
      const erased = newSubjectId();
      const kept = newSubjectId();
      const erasedFields = await cipher.encryptFields(erased, customer, PERSONAL);
      const keptFields = await cipher.encryptFields(kept, customer, PERSONAL);

      expect(await cipher.erase(erased, 'admin-1', 'customer request')).toBe('destroyed');

      expect(await cipher.decryptFields(erased, erasedFields, PERSONAL)).toEqual({
        name: ERASED,
        idNumber: ERASED,
        birthDate: ERASED,
        phone: ERASED,
        email: ERASED,
        address: ERASED,
        segment: 'RETAIL',
      });
      expect(await cipher.decryptField(erased, 'name', erasedFields.name as EncryptedField)).toBe('[erased]');
      expect(await cipher.decryptFields(kept, keptFields, PERSONAL)).toEqual(customer);
      expect(await cipher.isErased(erased)).toBe(true);
      expect(await cipher.isErased(kept)).toBe(false);
      expect(await store.erasureOf(erased)).toMatchObject({ by: 'admin-1', reason: 'customer request' });
    });

    it('takes effect in another process at once after forget(), else after the cache TTL', async () => {
      let now = Date.parse('2024-06-01T00:00:00Z');
      const clock = () => new Date(now);
      const { store, cipher } = setUp(K1, { now: clock });
      const other = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1), now: clock, cacheTtlMs: 60_000 });
      const third = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1), now: clock, cacheTtlMs: 60_000 });
      const subject = newSubjectId();
      const name = await cipher.encryptField(subject, 'name', '张三');
      expect(await other.decryptField(subject, 'name', name)).toBe('张三');
      expect(await third.decryptField(subject, 'name', name)).toBe('张三');

      await cipher.erase(subject, 'admin-1', 'customer request');
      other.forget(subject);
      expect(await other.decryptField(subject, 'name', name)).toBe(ERASED);

      expect(await third.decryptField(subject, 'name', name)).toBe('张三'); // still cached
      now += 60_001;
      expect(await third.decryptField(subject, 'name', name)).toBe(ERASED);
    });

    it('never makes a new key for an erased subject', async () => {
      const { store, cipher } = setUp();
      const subject = newSubjectId();
      await cipher.encryptField(subject, 'name', '张三');
      await cipher.erase(subject, 'admin-1', 'customer request');

      await expect(cipher.encryptField(subject, 'name', '张三')).rejects.toBeInstanceOf(PersonalDataErasedError);
      const fresh = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1) });
      await expect(fresh.encryptField(subject, 'name', '张三')).rejects.toMatchObject({ code: 'PERSONAL_DATA_ERASED' });
      expect(await store.get(subject)).toBe('erased');
    });

    it('is idempotent, and erases a subject that never had a key', async () => {
      const { cipher } = setUp();
      const subject = newSubjectId();
      await cipher.encryptField(subject, 'name', '张三');
      expect(await cipher.erase(subject, 'admin-1', 'first')).toBe('destroyed');
      expect(await cipher.erase(subject, 'admin-2', 'second')).toBe('already_erased');
      const never = newSubjectId();
      expect(await cipher.erase(never, 'admin-1', 'no data')).toBe('no_key');
      expect(await cipher.isErased(never)).toBe(true);
    });

    it('does not let a decrypt started before the erase put the key back into the cache', async () => {
      const { cipher } = setUp();
      const subject = newSubjectId();
      const name = await cipher.encryptField(subject, 'name', '张三');
      cipher.forget(subject);
      const racing = cipher.decryptField(subject, 'name', name);
      await cipher.erase(subject, 'admin-1', 'customer request');
      await racing; // whatever it saw, the cache must now say erased
      expect(await cipher.decryptField(subject, 'name', name)).toBe(ERASED);
    });
  });

  describe('master key rotation', () => {
    it('rewraps every data key under k1 with k2, after which k1 can leave the ring', async () => {
      const { store, cipher } = setUp(K1);
      const subjects = Array.from({ length: 23 }, () => newSubjectId());
      const sealed = await Promise.all(subjects.map((subject) => cipher.encryptFields(subject, customer, PERSONAL)));
      const erased = subjects[5];
      await cipher.erase(erased, 'admin-1', 'customer request');

      const rotating = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(`${K2},${K1}`) });
      const progress: RotationProgress[] = [];
      const report = await rotating.rotateMasterKey((p) => progress.push(p), 5);

      expect(report).toEqual({ toMasterKeyId: 'k2', total: 22, rewrapped: 22, skipped: { erased: 0, conflict: 0, missing: 0 }, failed: [], failedCount: 0 });
      expect(progress.map((p) => p.rewrapped)).toEqual([5, 10, 15, 20, 22]);
      // Counted once at the start (the erased subject is not), so a progress bar knows where 100% is.
      expect(progress.map((p) => p.total)).toEqual([22, 22, 22, 22, 22]);
      expect(progress.every((p) => p.fromMasterKeyId === 'k1' && p.toMasterKeyId === 'k2')).toBe(true);
      expect(await store.listWrappedUnder('k1', 100)).toEqual([]);
      expect(await rotating.countKeysToRotate()).toBe(0);
      // Idempotent: nothing left to do.
      expect(await rotating.rotateMasterKey()).toMatchObject({ total: 0, rewrapped: 0 });

      const k2Only = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K2) });
      for (const [index, subject] of subjects.entries()) {
        const expected = subject === erased ? Object.fromEntries(Object.entries(customer).map(([k, v]) => [k, k === 'segment' ? v : ERASED])) : customer;
        expect(await k2Only.decryptFields(subject, sealed[index], PERSONAL)).toEqual(expected);
      }
      // The events were not touched: the same ciphertexts decrypt before and after.
      expect(await cipher.decryptField(subjects[0], 'name', sealed[0].name as EncryptedField)).toBe('张三');
    });

    it('counts the keys to rotate over every older master key of the ring, and names the ids but never the keys', async () => {
      const { store, cipher } = setUp(K1);
      for (let i = 0; i < 3; i++) await cipher.encryptField(newSubjectId(), 'name', '张三');
      const k0 = MasterKeyRing.parse(`k0:${'0d'.repeat(32)}`);
      for (let i = 0; i < 2; i++) {
        const subject = newSubjectId();
        await store.create(subject, k0.wrap(subject, Buffer.alloc(32, i + 1), '2023-01-01T00:00:00.000Z'));
      }
      const erased = newSubjectId();
      await cipher.encryptField(erased, 'name', '李四');
      await cipher.erase(erased, 'admin-1', 'customer request');

      const rotating = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(`${K2},${K1},k0:${'0d'.repeat(32)}`) });
      expect(rotating.masterKeyIds).toEqual({ current: 'k2', older: ['k1', 'k0'] });
      expect(JSON.stringify(rotating.masterKeyIds)).not.toContain('1f1f');
      expect(await rotating.countKeysToRotate()).toBe(5);
      expect(cipher.masterKeyIds).toEqual({ current: 'k1', older: [] });
      expect(await cipher.countKeysToRotate()).toBe(0);

      const progress: RotationProgress[] = [];
      const report = await rotating.rotateMasterKey((p) => progress.push(p), 2);
      expect(report).toMatchObject({ total: 5, rewrapped: 5 });
      expect(progress.map((p) => [p.fromMasterKeyId, p.rewrapped, p.total])).toEqual([
        ['k1', 2, 5],
        ['k1', 3, 5],
        ['k0', 5, 5],
      ]);
    });

    it('resumes after an interruption and lets concurrent runs share the work', async () => {
      const { store, cipher } = setUp(K1);
      const subjects = Array.from({ length: 12 }, () => newSubjectId());
      for (const subject of subjects) await cipher.encryptField(subject, 'name', '张三');
      const ring = MasterKeyRing.parse(`${K2},${K1}`);

      const interrupted = new PersonalDataCipher({ store, ring });
      await expect(
        interrupted.rotateMasterKey(() => {
          throw new Error('power cut');
        }, 4),
      ).rejects.toThrow('power cut');
      expect(await store.listWrappedUnder('k1', 100)).toHaveLength(8);

      const [a, b] = await Promise.all([
        new PersonalDataCipher({ store, ring }).rotateMasterKey(undefined, 3),
        new PersonalDataCipher({ store, ring }).rotateMasterKey(undefined, 3),
      ]);
      expect(a.rewrapped + b.rewrapped).toBe(8);
      expect(a.rewrapped + b.rewrapped + a.skipped.conflict + b.skipped.conflict).toBeGreaterThanOrEqual(8);
      expect(await store.listWrappedUnder('k1', 100)).toEqual([]);
      expect(await store.listWrappedUnder('k2', 100)).toHaveLength(12);
    });

    it('reports keys it cannot unwrap and goes on with the others', async () => {
      const { store, cipher } = setUp(K1);
      const good = newSubjectId();
      await cipher.encryptField(good, 'name', '张三');
      const bad = newSubjectId();
      const foreign = MasterKeyRing.parse(`k1:${'99'.repeat(32)}`).wrap(bad, Buffer.alloc(32, 7), '2024-01-01T00:00:00.000Z');
      await store.create(bad, foreign);

      const report = await new PersonalDataCipher({ store, ring: MasterKeyRing.parse(`${K2},${K1}`) }).rotateMasterKey();
      expect(report.rewrapped).toBe(1);
      expect(report.failedCount).toBe(1);
      expect(report.failed).toEqual([{ subjectId: bad, masterKeyId: 'k1', error: expect.stringMatching(/^DATA_KEY_UNWRAP_FAILED: /) }]);
    });

    it('names the master key a ring lacks', async () => {
      const { store, cipher } = setUp(K1);
      const subject = newSubjectId();
      const name = await cipher.encryptField(subject, 'name', '张三');
      const withoutK1 = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K2) });

      const error = await withoutK1.decryptField(subject, 'name', name).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MasterKeyNotFoundError);
      expect(error).toMatchObject({ code: 'MASTER_KEY_NOT_FOUND', masterKeyId: 'k1', available: ['k2'] });
      expect((error as Error).message).toMatch(/master key 'k1'.*holds: 'k2'/);
      await expect(withoutK1.encryptField(subject, 'phone', '+8613800135678')).rejects.toBeInstanceOf(MasterKeyNotFoundError);
    });

    it('wraps new keys under the current master key', async () => {
      const { store, cipher } = setUp(`${K2},${K1}`);
      const subject = newSubjectId();
      await cipher.encryptField(subject, 'name', '张三');
      expect(await store.get(subject)).toMatchObject({ masterKeyId: 'k2' });
    });
  });

  describe('concurrency', () => {
    it('ends 20 parallel first encrypts of one subject with one stored key, all decrypting', async () => {
      const { store, cipher } = setUp();
      const subject = newSubjectId();
      const values = Array.from({ length: 20 }, (_, i) => `+86138000000${String(i).padStart(2, '0')}`);
      const sealed = await Promise.all(values.map((value) => cipher.encryptField(subject, 'phone', value)));

      expect(store.calls.create).toBe(1);
      expect(new Set(sealed.map((field) => field.kid)).size).toBe(1);
      expect(await Promise.all(sealed.map((field) => cipher.decryptField(subject, 'phone', field)))).toEqual(values);
    });

    it('ends with one key when first encrypts race in separate processes (separate caches)', async () => {
      const store = new InMemoryDataKeyStore();
      const ring = MasterKeyRing.parse(K1);
      const ciphers = Array.from({ length: 20 }, () => new PersonalDataCipher({ store, ring }));
      const subject = newSubjectId();
      const sealed = await Promise.all(ciphers.map((cipher, i) => cipher.encryptField(subject, 'name', `name ${i}`)));

      expect(store.size).toBe(1);
      expect(new Set(sealed.map((field) => field.kid)).size).toBe(1);
      const reader = new PersonalDataCipher({ store, ring });
      expect(await Promise.all(sealed.map((field) => reader.decryptField(subject, 'name', field)))).toEqual(ciphers.map((_, i) => `name ${i}`));
    });

    it('shares one store read between concurrent decrypts of one subject', async () => {
      const { store, cipher } = setUp();
      const subject = newSubjectId();
      const sealed = await cipher.encryptField(subject, 'name', '张三');
      const reader = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1) });
      const before = store.calls.get ?? 0;
      await Promise.all(Array.from({ length: 10 }, () => reader.decryptField(subject, 'name', sealed)));
      expect((store.calls.get ?? 0) - before).toBe(1);
    });
  });

  describe('the cache', () => {
    it('keeps at most cacheSize keys, evicting the least recently used', async () => {
      const store = new InMemoryDataKeyStore();
      const cipher = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1), cacheSize: 2 });
      const [a, b, c] = [newSubjectId(), newSubjectId(), newSubjectId()];
      const fields = [await cipher.encryptField(a, 'n', 'a'), await cipher.encryptField(b, 'n', 'b')];
      await cipher.decryptField(a, 'n', fields[0]); // a is now the most recent
      await cipher.encryptField(c, 'n', 'c'); // evicts b
      const gets = store.calls.get ?? 0;
      await cipher.decryptField(a, 'n', fields[0]);
      expect(store.calls.get ?? 0).toBe(gets);
      await cipher.decryptField(b, 'n', fields[1]);
      expect(store.calls.get ?? 0).toBe(gets + 1);
    });
  });

  it('passes the store being unavailable on, and works again once it is back', async () => {
    const { store, cipher } = setUp();
    const subject = newSubjectId();
    store.failing = true;
    await expect(cipher.encryptField(subject, 'name', '张三')).rejects.toBeInstanceOf(DataKeyStoreUnavailableError);
    store.failing = false;
    const sealed = await cipher.encryptField(subject, 'name', '张三');
    expect(await cipher.decryptField(subject, 'name', sealed)).toBe('张三');
  });

  it('refuses bad arguments', async () => {
    const { cipher } = setUp();
    await expect(cipher.encryptField('', 'name', 'x')).rejects.toThrow(TypeError);
    await expect(cipher.encryptField(newSubjectId(), '', 'x')).rejects.toThrow(TypeError);
    await expect(cipher.encryptField(newSubjectId(), 'name', 7 as unknown as string)).rejects.toThrow(TypeError);
    await expect(cipher.encryptFields(newSubjectId(), { n: 1n }, ['n'])).rejects.toThrow(TypeError);
    await expect(cipher.erase(newSubjectId(), '', 'why')).rejects.toThrow(TypeError);
  });
});
