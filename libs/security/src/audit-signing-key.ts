import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';

/**
 * The key that signs audit checkpoints (AUDIT_SIGNING_KEY) and the public keys of former ones (AUDIT_PUBLIC_KEYS).
 * Errors say what is wrong with a value, never the value itself.
 */

/** DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410): the seed follows. */
const ED25519_PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SEED_HEX = /^[0-9a-fA-F]{64}$/;
const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** Env files often hold PEM on one line, its newlines written `\n`. */
function withNewlines(text: string): string {
  return text.trim().replace(/\\n/g, '\n');
}

/**
 * The Ed25519 private key AUDIT_SIGNING_KEY names: PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`, newlines may be
 * written `\n`) or 64 hexadecimal characters, the key's 32-byte seed. Throws a TypeError otherwise.
 */
export function auditSigningKeyFrom(text: string): KeyObject {
  const value = withNewlines(text);
  let key: KeyObject;
  if (SEED_HEX.test(value)) {
    key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_SEED_PREFIX, Buffer.from(value, 'hex')]), format: 'der', type: 'pkcs8' });
  } else if (value.startsWith('-----BEGIN PRIVATE KEY-----')) {
    try {
      key = createPrivateKey({ key: value, format: 'pem' });
    } catch {
      throw new TypeError('is not a readable PKCS#8 PEM private key');
    }
  } else {
    throw new TypeError('must be an Ed25519 private key: PKCS#8 PEM text or 64 hexadecimal characters');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`is a ${key.asymmetricKeyType ?? 'unknown'} key, not an Ed25519 key`);
  return key;
}

/** Whether `text` is a usable AUDIT_SIGNING_KEY. */
export function isAuditSigningKey(text: string): boolean {
  try {
    auditSigningKeyFrom(text);
    return true;
  } catch {
    return false;
  }
}

/** A new development signing key: its seed as 64 hexadecimal characters. */
export function generateAuditSigningKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The public keys in AUDIT_PUBLIC_KEYS: one or more PEM public keys (`-----BEGIN PUBLIC KEY-----`), one after the
 * other, newlines possibly written `\n`; each must be an Ed25519 key. Throws a TypeError naming what is wrong.
 */
export function auditPublicKeysFrom(text: string): KeyObject[] {
  const value = withNewlines(text);
  const blocks = value.match(PUBLIC_KEY_PEM) ?? [];
  if (blocks.length === 0) throw new TypeError('must hold one or more PEM public keys (-----BEGIN PUBLIC KEY-----)');
  if (value.replace(PUBLIC_KEY_PEM, '').replace(/[\s,]/g, '') !== '') {
    throw new TypeError('must hold PEM public keys only, one after the other');
  }
  return blocks.map((pem, index) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pem, format: 'pem' });
    } catch {
      throw new TypeError(`key ${index + 1} is not a readable PEM public key`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`key ${index + 1} is a ${key.asymmetricKeyType ?? 'unknown'} key, not an Ed25519 key`);
    return key;
  });
}
