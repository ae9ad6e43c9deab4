import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { dataKeyId, deriveMasterKeyId, generateMasterKeyHex, isEncryptedField, MasterKeyRing, openField, sealField, type EncryptedField } from './envelope';
import { DataKeyUnwrapError, MasterKeyConfigError, MasterKeyNotFoundError, PersonalDataDecryptionError } from './errors';

const K1 = '11'.repeat(32);
const K2 = '22'.repeat(32);
const K3 = 'aB'.repeat(32);
const subject = 'customer-1';

/** Every variant of `base64` with one bit of one decoded byte flipped, re-encoded. */
function bitFlips(base64: string): string[] {
  const bytes = Buffer.from(base64, 'base64');
  return Array.from({ length: bytes.length }, (_, i) => {
    const copy = Buffer.from(bytes);
    copy[i] ^= 1 << (i % 8);
    return copy.toString('base64');
  });
}

describe('MasterKeyRing.parse', () => {
  it('reads "id:hex" entries, the first being current', () => {
    const ring = MasterKeyRing.parse(`k2:${K2}, k1:${K1}`);
    expect(ring.currentId).toBe('k2');
    expect(ring.ids).toEqual(['k2', 'k1']);
    expect(ring.olderIds).toEqual(['k1']);
    expect(ring.has('k1')).toBe(true);
    expect(ring.has('k3')).toBe(false);
  });

  it('gives a bare key the first 8 hex digits of its SHA-256 as id, so it can stay in the ring under that id', () => {
    const expected = createHash('sha256').update(Buffer.from(K1, 'hex')).digest('hex').slice(0, 8);
    expect(deriveMasterKeyId(K1)).toBe(expected);
    expect(MasterKeyRing.parse(K1).ids).toEqual([expected]);
    expect(MasterKeyRing.parse(`k2:${K2},${K1}`).ids).toEqual(['k2', expected]);
    // Upper and lower case hex are the same key.
    expect(deriveMasterKeyId(K3)).toBe(deriveMasterKeyId(K3.toLowerCase()));
  });

  it.each([
    [undefined, /not set/],
    ['', /not set/],
    ['k1:abcd', /64 hexadecimal characters.*; got 4 characters/],
    [`k1:${K1},`, /entry 2 is empty/],
    [`k1:${K1}0`, /got 65 characters/],
    [`k 1:${K1}`, /id must be/],
    [`:${K1}`, /id must be/],
    [`k1:${K1},k1:${K2}`, /names master key 'k1' twice/],
    [`k1:${K1},k2:${K1.toUpperCase()}`, /'k1' and 'k2' the same key material/],
  ])('refuses %p with a clear message', (text, message) => {
    const error = (() => {
      try {
        MasterKeyRing.parse(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(MasterKeyConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('PII_MASTER_KEY');
    expect((error as Error).message).not.toContain(K1.slice(0, 16));
  });

  it('never shows key material when printed or serialised', () => {
    const ring = MasterKeyRing.parse(`k2:${K2},k1:${K1}`);
    const shown = [inspect(ring), JSON.stringify(ring), String(Object.keys(ring)), inspect(ring, { showHidden: true, depth: 5 })].join('\n');
    expect(shown).toContain('k2');
    expect(shown).not.toMatch(/2222|1111/);
  });

  it('generates 64-hex-digit keys', () => {
    expect(generateMasterKeyHex()).toMatch(/^[0-9a-f]{64}$/);
    expect(generateMasterKeyHex()).not.toBe(generateMasterKeyHex());
  });
});

describe('wrapping data keys', () => {
  const ring = MasterKeyRing.parse(`k2:${K2},k1:${K1}`);
  const dataKey = randomBytes(32);

  it('round-trips under the current master key', () => {
    const wrapped = ring.wrap(subject, dataKey, '2024-01-01T00:00:00.000Z');
    expect(wrapped).toMatchObject({ masterKeyId: 'k2', createdAt: '2024-01-01T00:00:00.000Z' });
    expect(Buffer.from(wrapped.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(wrapped.ciphertext, 'base64')).toHaveLength(32);
    expect(Buffer.from(wrapped.tag, 'base64')).toHaveLength(16);
    expect(ring.unwrap(subject, wrapped).equals(dataKey)).toBe(true);
    expect(ring.wrap(subject, dataKey, wrapped.createdAt).iv).not.toBe(wrapped.iv);
  });

  it('unwraps a key wrapped under an older master key of the ring', () => {
    const old = MasterKeyRing.parse(`k1:${K1}`).wrap(subject, dataKey, '2024-01-01T00:00:00.000Z');
    expect(ring.unwrap(subject, old).equals(dataKey)).toBe(true);
  });

  it('cannot be moved to another subject or relabelled with another master key id', () => {
    const wrapped = ring.wrap(subject, dataKey, '2024-01-01T00:00:00.000Z');
    expect(() => ring.unwrap('customer-2', wrapped)).toThrow(DataKeyUnwrapError);
    expect(() => ring.unwrap(subject, { ...wrapped, masterKeyId: 'k1' })).toThrow(DataKeyUnwrapError);
    for (const part of ['iv', 'ciphertext', 'tag'] as const) {
      for (const flipped of bitFlips(wrapped[part])) {
        expect(() => ring.unwrap(subject, { ...wrapped, [part]: flipped })).toThrow(DataKeyUnwrapError);
      }
    }
  });

  it('names the missing master key and the ones it has', () => {
    const wrapped = MasterKeyRing.parse(`k0:${K3}`).wrap(subject, dataKey, '2024-01-01T00:00:00.000Z');
    expect(() => ring.unwrap(subject, wrapped)).toThrow(MasterKeyNotFoundError);
    expect(() => ring.unwrap(subject, wrapped)).toThrow(/master key 'k0'.*holds: 'k2', 'k1'/);
  });

  it('says when the material under an id is not the key the data key was wrapped with', () => {
    const wrapped = MasterKeyRing.parse(`k1:${K3}`).wrap(subject, dataKey, '2024-01-01T00:00:00.000Z');
    expect(() => ring.unwrap(subject, wrapped)).toThrow(/cannot be unwrapped with master key 'k1'/);
  });
});

describe('encrypted fields', () => {
  const key = createSecretKey(randomBytes(32));

  it("names each data key by the first 12 bytes of HMAC-SHA256(key, 'pii-data-key-id'), the same on every call", () => {
    const secrets = [randomBytes(32), randomBytes(32)];
    const kidOf = (secret: Buffer) => createHmac('sha256', secret).update('pii-data-key-id').digest().subarray(0, 12).toString('base64url');
    const keys = secrets.map((secret) => createSecretKey(secret));
    for (let call = 0; call < 3; call++) keys.forEach((k, i) => expect(dataKeyId(k)).toBe(kidOf(secrets[i])));
    expect(dataKeyId(keys[0])).not.toBe(dataKeyId(keys[1]));
    // Another KeyObject of the same secret has the same kid: a field sealed under one opens under the other.
    expect(dataKeyId(createSecretKey(Buffer.from(secrets[1])))).toBe(dataKeyId(keys[1]));
    expect(openField(createSecretKey(Buffer.from(secrets[0])), subject, 'name', sealField(keys[0], subject, 'name', 'Li'))).toBe('Li');
  });

  it('round-trips text, with a fresh iv each time, in the documented shape', () => {
    const a = sealField(key, subject, 'name', '张三');
    const b = sealField(key, subject, 'name', '张三');
    expect(Object.keys(a).sort()).toEqual(['ct', 'enc', 'iv', 'kid', 'tag']);
    expect(a).toMatchObject({ enc: 'v1', kid: dataKeyId(key) });
    expect(a.kid).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(openField(key, subject, 'name', a)).toBe('张三');
    expect(openField(key, subject, 'name', sealField(key, subject, 'name', ''))).toBe('');
    expect(isEncryptedField(a)).toBe(true);
    expect(isEncryptedField(JSON.parse(JSON.stringify(a)))).toBe(true);
  });

  it('fails with a clear error, never garbage, when any byte of iv, ct or tag changes', () => {
    const sealed = sealField(key, subject, 'phone', '+8613800135678');
    for (const part of ['iv', 'ct', 'tag'] as const) {
      for (const flipped of bitFlips(sealed[part])) {
        const tampered: EncryptedField = { ...sealed, [part]: flipped };
        expect(() => openField(key, subject, 'phone', tampered)).toThrow(
          expect.objectContaining({ code: 'PERSONAL_DATA_UNREADABLE', reason: 'authentication_failed' }),
        );
      }
    }
  });

  it('binds the ciphertext to its subject, its field and its format', () => {
    const sealed = sealField(key, subject, 'phone', '+8613800135678');
    expect(() => openField(key, 'customer-2', 'phone', sealed)).toThrow(/fails authentication/);
    expect(() => openField(key, subject, 'idNumber', sealed)).toThrow(PersonalDataDecryptionError);
    expect(() => openField(key, subject, 'phone', { ...sealed, fmt: 'json' })).toThrow(/fails authentication/);
  });

  it('tells a field of another data key apart', () => {
    const other = createSecretKey(randomBytes(32));
    const sealed = sealField(other, 'customer-2', 'phone', '+8613800135678');
    expect(() => openField(key, subject, 'phone', sealed)).toThrow(expect.objectContaining({ reason: 'wrong_data_key' }));
  });

  it.each([
    ['a string', 'ciphertext'],
    ['null', null],
    ['another version', { enc: 'v2', kid: 'x', iv: 'AAAAAAAAAAAAAAAA', ct: '', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' }],
    ['an extra property', { enc: 'v1', kid: 'x', iv: 'AAAAAAAAAAAAAAAA', ct: '', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', plain: '张三' }],
    ['a short iv', { enc: 'v1', kid: 'x', iv: 'AAAA', ct: '', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' }],
    ['non-canonical base64', { enc: 'v1', kid: 'x', iv: 'AAAAAAAAAAAAAAAA', ct: 'AB', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' }],
  ])('refuses %s as malformed', (_what, value) => {
    expect(() => openField(key, subject, 'name', value)).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  it('refuses plaintexts that are not strings or too long, and bad field names', () => {
    expect(() => sealField(key, subject, 'name', 42 as unknown as string)).toThrow(TypeError);
    expect(() => sealField(key, subject, 'name', 'x'.repeat(64 * 1024 + 1))).toThrow(/longer than/);
    expect(() => sealField(key, subject, '', 'x')).toThrow(TypeError);
  });
});
