import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** The signature algorithms the service can be configured with: exactly one of them at a time. */
export type TokenAlgorithm = 'HS256' | 'RS256' | 'EdDSA';

/** What verifies tokens: a shared secret (HS256) or the identity provider's public key (RS256 or EdDSA). */
export type TokenVerificationKey =
  | { readonly algorithm: 'HS256'; readonly secret: string }
  | { readonly algorithm: 'RS256' | 'EdDSA'; readonly publicKeyPem: string };

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
export const MIN_HS256_SECRET_BYTES = 32;
const MIN_RSA_BITS = 2048;

/** Why a secret cannot sign HS256 tokens, or undefined when it can. Never quotes the secret. */
export function hs256SecretProblem(secret: string): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  return bytes >= MIN_HS256_SECRET_BYTES ? undefined : `must be at least ${MIN_HS256_SECRET_BYTES} bytes (e.g. 64 hexadecimal characters); got ${bytes}`;
}

/** The algorithm a key pair of this type signs with: RS256 for RSA (≥ 2048 bits), EdDSA for Ed25519. */
function algorithmOf(key: KeyObject): 'RS256' | 'EdDSA' {
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new Error(`is an RSA key of ${bits} bits; RS256 needs at least ${MIN_RSA_BITS}`);
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new Error(`is a key of type ${key.asymmetricKeyType ?? 'unknown'}; use an RSA key (RS256) or an Ed25519 key (EdDSA)`);
}

/**
 * Reads a PEM public key (SPKI, "-----BEGIN PUBLIC KEY-----", or PKCS#1 "BEGIN RSA PUBLIC KEY") and says which
 * algorithm it verifies. Refuses private keys: the service only ever needs the public half. Errors say what is
 * wrong without quoting the key.
 */
export function publicKeyAlgorithm(pem: string): 'RS256' | 'EdDSA' {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new Error('holds a private key; give the service only the public key (openssl pkey -pubout)');
  }
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) {
    throw new Error('must be a PEM public key ("-----BEGIN PUBLIC KEY-----"), or the path of a file holding one');
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error('is not a readable PEM public key');
  }
  return algorithmOf(key);
}

/** The algorithm a PEM private key signs with (for minting tokens in tests and tools). */
export function privateKeyAlgorithm(pem: string): 'RS256' | 'EdDSA' {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error('is not a readable PEM private key');
  }
  return algorithmOf(key);
}

/** The SPKI PEM of a public key, whatever PEM form it was given in (jose imports SPKI only). */
export function toSpkiPem(pem: string): string {
  return createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
}

/** The PKCS#8 PEM of a private key, whatever PEM form it was given in (jose imports PKCS#8 only). */
export function toPkcs8Pem(pem: string): string {
  return createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();
}
