import { createPublicKey, type KeyObject } from 'node:crypto';
import { publicKeyId, rawPublicKey } from '@cards/event-store';
import { auditPublicKeysFrom, auditSigningKeyFrom } from '@cards/security';

/** The keys of signed audit checkpoints: the one that signs now, and the public keys that verify old checkpoints. */
export interface AuditKeys {
  /** The Ed25519 private key new checkpoints are signed with (AUDIT_SIGNING_KEY). */
  readonly signingKey: KeyObject;
  /** Its public key. */
  readonly publicKey: KeyObject;
  /** publicKeyId(publicKey): the `keyId` of the checkpoints signed now. */
  readonly keyId: string;
  /** Public keys of former signing keys (AUDIT_PUBLIC_KEYS), so their checkpoints still verify. */
  readonly formerPublicKeys: readonly KeyObject[];
  /** Every key a checkpoint may have been signed with: the current one first, then the former ones. */
  readonly verificationKeys: readonly KeyObject[];
}

/** DI token for AuditKeys. */
export const AUDIT_KEYS = Symbol('AUDIT_KEYS');

/** AuditKeys from AUDIT_SIGNING_KEY's value and the PEM public keys of AUDIT_PUBLIC_KEYS. */
export function auditKeysFrom(signingKeyText: string, formerPublicKeysPem: readonly string[] = []): AuditKeys {
  const signingKey = auditSigningKeyFrom(signingKeyText);
  const publicKey = createPublicKey(signingKey);
  const keyId = publicKeyId(publicKey);
  const formerPublicKeys = formerPublicKeysPem.flatMap((pem) => auditPublicKeysFrom(pem)).filter((key) => publicKeyId(key) !== keyId);
  return { signingKey, publicKey, keyId, formerPublicKeys, verificationKeys: [publicKey, ...formerPublicKeys] };
}

/** A public key as GET /v1/audit/public-key publishes it. */
export interface PublishedPublicKey {
  readonly algorithm: 'Ed25519';
  readonly keyId: string;
  /** SubjectPublicKeyInfo PEM. */
  readonly publicKeyPem: string;
  /** The raw 32-byte public key, standard base64. */
  readonly publicKeyBase64: string;
}

export function publishedPublicKey(key: KeyObject): PublishedPublicKey {
  return {
    algorithm: 'Ed25519',
    keyId: publicKeyId(key),
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
    publicKeyBase64: rawPublicKey(key).toString('base64'),
  };
}

/** Settings of the checkpoint loop. */
export interface AuditCheckpointSettings {
  /** Sign a checkpoint every this many events outside the audit stream (AUDIT_CHECKPOINT_EVERY). */
  readonly every: number;
  /** Run the loop in this process: where the projections run (card-api with PROJECTIONS_IN_PROCESS, card-projector). */
  readonly runLoop: boolean;
}

export const AUDIT_CHECKPOINT_SETTINGS = Symbol('AUDIT_CHECKPOINT_SETTINGS');
