import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKeyRing, type EncryptedField } from './envelope';
import type { WrappedKey } from './key-store.port';
import { ERASED, PersonalDataCipher } from './personal-data-cipher';
import { SqliteDataKeyStore } from './sqlite-data-key-store';
import { newSubjectId } from './testing/data-key-store.contract';

const K1 = `k1:${'4d'.repeat(32)}`;
const K2 = `k2:${'7a'.repeat(32)}`;
const PERSONAL = ['name', 'idNumber', 'phone', 'email', 'address'] as const;

const directory = mkdtempSync(join(tmpdir(), 'pii-cipher-sqlite-'));
let files = 0;
const newFile = (): string => join(directory, `run-${++files}`, 'keys.db');

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function fileBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter((path) => existsSync(path)).map((path) => readFileSync(path)));
}

function customer(n: number) {
  return {
    name: `张三${n}`,
    idNumber: `1101051949123100${String(n).padStart(2, '0')}`,
    phone: `+86138001356${String(n).padStart(2, '0')}`,
    email: `zhang.san.${n}@example.com`,
    address: { line1: `建国路 ${n} 号`, city: '北京' },
  };
}

describe('PersonalDataCipher over the SQLite key store', () => {
  it('never writes personal data or an unwrapped data key into the key store file', async () => {
    const file = newFile();
    const store = SqliteDataKeyStore.open(file);
    const ring = MasterKeyRing.parse(K1);
    const cipher = new PersonalDataCipher({ store, ring });
    const subjects = Array.from({ length: 10 }, () => newSubjectId());
    for (const [n, subject] of subjects.entries()) await cipher.encryptFields(subject, customer(n), PERSONAL);

    for (const bytes of [fileBytes(file), (await store.close(), fileBytes(file))]) {
      for (const [n, subject] of subjects.entries()) {
        for (const value of Object.values(customer(n)).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v)))) {
          expect(bytes.includes(Buffer.from(value, 'utf8'))).toBe(false);
        }
        const reopened = SqliteDataKeyStore.open(file);
        const wrapped = (await reopened.get(subject)) as WrappedKey;
        await reopened.close();
        const dataKey = ring.unwrap(subject, wrapped);
        expect(bytes.includes(dataKey)).toBe(false);
        expect(bytes.includes(Buffer.from(dataKey.toString('base64')))).toBe(false);
        expect(bytes.includes(Buffer.from(dataKey.toString('hex')))).toBe(false);
        expect(bytes.includes(Buffer.from(wrapped.ciphertext, 'base64'))).toBe(true);
      }
    }
  });

  it('rotates k1 → k2 across restarts, decrypts with k2 alone, and erases leaving no wrapped form behind', async () => {
    const file = newFile();
    const subjects = Array.from({ length: 30 }, () => newSubjectId());
    const sealed: Array<Record<string, unknown>> = [];
    const wrappedUnderK1: WrappedKey[] = [];

    let store = SqliteDataKeyStore.open(file);
    const before = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K1) });
    for (const [n, subject] of subjects.entries()) sealed.push(await before.encryptFields(subject, customer(n), PERSONAL));
    for (const subject of subjects) wrappedUnderK1.push((await store.get(subject)) as WrappedKey);
    await store.close();

    store = SqliteDataKeyStore.open(file);
    const report = await new PersonalDataCipher({ store, ring: MasterKeyRing.parse(`${K2},${K1}`) }).rotateMasterKey(undefined, 7);
    expect(report).toMatchObject({ toMasterKeyId: 'k2', rewrapped: 30, failedCount: 0 });
    await store.close();

    store = SqliteDataKeyStore.open(file);
    const after = new PersonalDataCipher({ store, ring: MasterKeyRing.parse(K2) });
    for (const [n, subject] of subjects.entries()) {
      expect(await after.decryptFields(subject, sealed[n], PERSONAL)).toEqual(customer(n));
    }

    const erased = subjects[3];
    const wrappedUnderK2 = (await store.get(erased)) as WrappedKey;
    expect(wrappedUnderK2.masterKeyId).toBe('k2');
    expect(await after.erase(erased, 'admin-1', 'customer request')).toBe('destroyed');
    for (const field of PERSONAL) expect(await after.decryptField(erased, field, sealed[3][field] as EncryptedField)).toBe(ERASED);
    expect(await after.decryptFields(subjects[4], sealed[4], PERSONAL)).toEqual(customer(4));

    const bytes = fileBytes(file);
    for (const wrapped of [wrappedUnderK1[3], wrappedUnderK2]) {
      for (const part of ['iv', 'ciphertext', 'tag'] as const) {
        expect(bytes.includes(Buffer.from(wrapped[part], 'base64'))).toBe(false);
        expect(bytes.includes(Buffer.from(wrapped[part]))).toBe(false);
      }
    }
    await store.close();
  });

  it('ends with one data key when first encrypts race on two connections to one file', async () => {
    const file = newFile();
    const stores = [SqliteDataKeyStore.open(file), SqliteDataKeyStore.open(file)];
    const ring = MasterKeyRing.parse(K1);
    try {
      const ciphers = Array.from({ length: 20 }, (_, i) => new PersonalDataCipher({ store: stores[i % 2], ring }));
      const subject = newSubjectId();
      const sealed = await Promise.all(ciphers.map((cipher, i) => cipher.encryptField(subject, 'phone', `+8613800000${String(i).padStart(3, '0')}`)));
      expect(new Set(sealed.map((field) => field.kid)).size).toBe(1);
      const reader = new PersonalDataCipher({ store: stores[0], ring });
      for (const [i, field] of sealed.entries()) {
        expect(await reader.decryptField(subject, 'phone', field)).toBe(`+8613800000${String(i).padStart(3, '0')}`);
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
