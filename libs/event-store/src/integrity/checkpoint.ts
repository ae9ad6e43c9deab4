/**
 * Signed audit checkpoints. A per-stream hash chain shows any change inside a stream, but not that its newest
 * events, or the whole stream, were deleted. So every so often the service signs a checkpoint: the head (last
 * revision and hash) of every stream changed since the previous checkpoint, linked to that previous checkpoint
 * by its hash, signed with Ed25519. A stream that is shorter than a signed head, or missing, or whose event at
 * that revision has another hash, was tampered with.
 *
 * Checkpoints are events themselves (type AuditCheckpointSigned, stream AUDIT_STREAM), so they are chained and
 * exported like any other. The format is specified byte for byte in docs/audit.md; keep the two in step.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { GENESIS_HASH, isEventHash } from './hash-chain';
import { canonicalize } from './jcs';

/** The stream checkpoints are appended to. Its own events are not listed in checkpoints: they chain each other. */
export const AUDIT_STREAM = 'audit-checkpoints';
export const CHECKPOINT_EVENT_TYPE = 'AuditCheckpointSigned';

/** The head of one stream when a checkpoint was signed: its last revision and that event's hash. */
export interface StreamHead {
  readonly streamId: string;
  readonly revision: number;
  readonly hash: string;
}

/** What is signed. Every member is always present (null where there is nothing), so the bytes are unambiguous. */
export interface CheckpointBody {
  /** 1 for the first checkpoint, then one more each time. */
  readonly checkpoint: number;
  /** `checkpointHash` of the previous checkpoint; GENESIS_HASH for the first. */
  readonly previousCheckpointHash: string;
  /** The previous checkpoint's `upToPosition` (events after it are covered), null for the first. */
  readonly fromPosition: string | null;
  /** The global position of the last event covered (inclusive), as formatPosition writes it. */
  readonly upToPosition: string;
  /** How many events (outside AUDIT_STREAM) the checkpoint covers: those after fromPosition up to upToPosition. */
  readonly eventCount: number;
  /** The streams those events belong to, each with its head at upToPosition, sorted by streamId (UTF-16 code units). */
  readonly streams: readonly StreamHead[];
  /** ISO-8601, when it was signed. */
  readonly signedAt: string;
  /** publicKeyId() of the key that signed it. */
  readonly keyId: string;
}

/** The event data of AuditCheckpointSigned: the body, its hash and its signature. */
export interface SignedCheckpoint extends CheckpointBody {
  /** Lower-case hex SHA-256 of signedBytes(body). */
  readonly checkpointHash: string;
  /** Standard base64 of the Ed25519 signature of signedBytes(body). */
  readonly signature: string;
}

const BODY_FIELDS: readonly (keyof CheckpointBody)[] = [
  'checkpoint',
  'previousCheckpointHash',
  'fromPosition',
  'upToPosition',
  'eventCount',
  'streams',
  'signedAt',
  'keyId',
];

/** The exact bytes that are hashed and signed: the UTF-8 of the RFC 8785 canonical JSON of the body alone. */
export function signedBytes(body: CheckpointBody): Buffer {
  const only: Record<string, unknown> = {};
  for (const field of BODY_FIELDS) only[field] = body[field];
  only.streams = body.streams.map(({ streamId, revision, hash }) => ({ streamId, revision, hash }));
  return Buffer.from(canonicalize(only), 'utf8');
}

/** Compares as RFC 8785 sorts object members: by UTF-16 code units (what `<` does on JS strings). */
export function byStreamId(a: { streamId: string }, b: { streamId: string }): number {
  return a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0;
}

/** The raw 32-byte Ed25519 public key. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('An audit signing key must be an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

/** A key's id: the first 16 hex characters of SHA-256 over its raw 32-byte public key. */
export function publicKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

/** Signs a checkpoint body with the Ed25519 private key. */
export function signCheckpoint(body: Omit<CheckpointBody, 'keyId'>, privateKey: KeyObject): SignedCheckpoint {
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') {
    throw new TypeError('Checkpoints are signed with an Ed25519 private key');
  }
  const streams = [...body.streams].sort(byStreamId);
  const full: CheckpointBody = { ...body, streams, keyId: publicKeyId(createPublicKey(privateKey)) };
  const bytes = signedBytes(full);
  return {
    ...full,
    checkpointHash: createHash('sha256').update(bytes).digest('hex'),
    signature: sign(null, bytes, privateKey).toString('base64'),
  };
}

export type CheckpointProblemCode = 'MALFORMED_CHECKPOINT' | 'UNKNOWN_SIGNING_KEY' | 'BAD_CHECKPOINT_HASH' | 'BAD_SIGNATURE';

export interface CheckpointProblem {
  readonly code: CheckpointProblemCode;
  readonly message: string;
}

/**
 * Checks one checkpoint on its own: its shape, that its hash is the hash of its body, and that the signature is
 * valid under the public key its keyId names (among `publicKeys`). Links between checkpoints and the heads
 * against the streams are checked by whoever walks them. Returns null when it holds.
 */
export function checkCheckpoint(data: unknown, publicKeys: readonly KeyObject[]): CheckpointProblem | null {
  const shapeProblem = malformation(data);
  if (shapeProblem !== null) return { code: 'MALFORMED_CHECKPOINT', message: shapeProblem };
  const checkpoint = data as SignedCheckpoint;
  const key = publicKeys.find((k) => publicKeyId(k) === checkpoint.keyId);
  if (key === undefined) {
    return { code: 'UNKNOWN_SIGNING_KEY', message: `Checkpoint ${checkpoint.checkpoint} was signed with key ${checkpoint.keyId}, which is not among the audit public keys` };
  }
  const bytes = signedBytes(checkpoint);
  if (createHash('sha256').update(bytes).digest('hex') !== checkpoint.checkpointHash) {
    return { code: 'BAD_CHECKPOINT_HASH', message: `Checkpoint ${checkpoint.checkpoint}: checkpointHash is not the hash of its contents` };
  }
  if (!verify(null, bytes, key, Buffer.from(checkpoint.signature, 'base64'))) {
    return { code: 'BAD_SIGNATURE', message: `Checkpoint ${checkpoint.checkpoint}: the Ed25519 signature does not verify` };
  }
  return null;
}

/** What is wrong with the shape of a checkpoint, or null. */
function malformation(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return 'not an object';
  const c = data as Record<string, unknown>;
  if (!Number.isSafeInteger(c.checkpoint) || (c.checkpoint as number) < 1) return 'checkpoint must be a positive integer';
  if (!isEventHash(c.previousCheckpointHash)) return 'previousCheckpointHash must be 64 lower-case hex characters';
  if (c.fromPosition !== null && typeof c.fromPosition !== 'string') return 'fromPosition must be a position or null';
  if (typeof c.upToPosition !== 'string') return 'upToPosition must be a position';
  if (!Number.isSafeInteger(c.eventCount) || (c.eventCount as number) < 0) return 'eventCount must be a count';
  if (typeof c.signedAt !== 'string' || typeof c.keyId !== 'string') return 'signedAt and keyId must be strings';
  if (!isEventHash(c.checkpointHash)) return 'checkpointHash must be 64 lower-case hex characters';
  if (typeof c.signature !== 'string') return 'signature must be base64';
  if (!Array.isArray(c.streams)) return 'streams must be an array';
  for (const head of c.streams as unknown[]) {
    const h = head as Record<string, unknown>;
    if (typeof h !== 'object' || h === null || typeof h.streamId !== 'string' || !Number.isSafeInteger(h.revision) || !isEventHash(h.hash)) {
      return 'each of streams must be { streamId, revision, hash }';
    }
  }
  return null;
}

export { GENESIS_HASH };
