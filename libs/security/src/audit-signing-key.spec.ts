import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { auditPublicKeysFrom, auditSigningKeyFrom, generateAuditSigningKey, isAuditSigningKey } from './audit-signing-key';

const pem = (key: { export(options: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer }, type: 'pkcs8' | 'spki') => key.export({ type, format: 'pem' }).toString();

describe('the audit signing key (AUDIT_SIGNING_KEY)', () => {
  it('given 64 hex characters, reads them as the seed of an Ed25519 key: the same seed, the same key', () => {
    const seed = generateAuditSigningKey();
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    const key = auditSigningKeyFrom(seed);
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(key.type).toBe('private');
    const again = auditSigningKeyFrom(seed.toUpperCase());
    const signature = sign(null, Buffer.from('checkpoint'), key);
    expect(verify(null, Buffer.from('checkpoint'), createPublicKey(again), signature)).toBe(true);
  });

  it('given PKCS#8 PEM text, with real newlines or written \\n, reads the same key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const text = pem(privateKey, 'pkcs8');
    for (const given of [text, text.trim().replace(/\n/g, '\\n')]) {
      const key = auditSigningKeyFrom(given);
      expect(createPublicKey(key).export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
    }
  });

  it('refuses anything else without quoting it: a short seed, an RSA key, a public key, garbage', () => {
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'pkcs8');
    const edPublic = pem(generateKeyPairSync('ed25519').publicKey, 'spki');
    const cases: [string, RegExp][] = [
      ['ab'.repeat(31), /must be an Ed25519 private key/],
      [rsa, /is a rsa key, not an Ed25519 key/],
      [edPublic, /must be an Ed25519 private key/],
      ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', /is not a readable PKCS#8 PEM private key/],
    ];
    for (const [given, message] of cases) {
      expect(() => auditSigningKeyFrom(given)).toThrow(message);
      expect(isAuditSigningKey(given)).toBe(false);
    }
  });
});

describe('former public keys (AUDIT_PUBLIC_KEYS)', () => {
  it('given one or more PEM public keys, one after the other (newlines possibly \\n), reads each', () => {
    const a = generateKeyPairSync('ed25519').publicKey;
    const b = generateKeyPairSync('ed25519').publicKey;
    const text = `${pem(a, 'spki')}${pem(b, 'spki')}`;
    for (const given of [text, text.trim().replace(/\n/g, '\\n')]) {
      const keys = auditPublicKeysFrom(given);
      expect(keys.map((k) => k.export({ format: 'jwk' }))).toEqual([a.export({ format: 'jwk' }), b.export({ format: 'jwk' })]);
    }
  });

  it('refuses text that is not only Ed25519 public keys', () => {
    const ed = pem(generateKeyPairSync('ed25519').publicKey, 'spki');
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, 'spki');
    expect(() => auditPublicKeysFrom('nothing')).toThrow(/one or more PEM public keys/);
    expect(() => auditPublicKeysFrom(`${ed}and more`)).toThrow(/PEM public keys only/);
    expect(() => auditPublicKeysFrom(`${ed}${rsa}`)).toThrow(/key 2 is a rsa key, not an Ed25519 key/);
    expect(() => auditPublicKeysFrom('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(/key 1 is not a readable PEM public key/);
  });
});
