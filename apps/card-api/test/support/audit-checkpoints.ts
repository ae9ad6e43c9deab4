import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import * as path from 'node:path';
import {
  AUDIT_STREAM,
  byStreamId,
  CHECKPOINT_EVENT_TYPE,
  formatPosition,
  GENESIS_HASH,
  parsePosition,
  signCheckpoint,
  type EventStore,
  type JsonObject,
  type Position,
  type SignedCheckpoint,
  type StreamHead,
} from '@cards/event-store';

/**
 * A new Ed25519 audit signing key: its seed in hex (what AUDIT_SIGNING_KEY takes), the key pair and the public key
 * as PEM (what docs/verify_audit_export.py takes).
 */
export function auditTestKey(): { seedHex: string; privateKey: KeyObject; publicKey: KeyObject; publicKeyPem: string } {
  const seedHex = randomBytes(32).toString('hex');
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return { seedHex, privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * What the test apps of the audit tests run with: the checkpoints are signed with the test's key (by the test,
 * and by the service itself should its own checkpointer sign one), and the service's checkpointer waits for far
 * more events than a test writes, so that the test decides where checkpoints fall.
 */
export function auditTestEnv(key: { seedHex: string }): Record<string, string> {
  return { AUDIT_SIGNING_KEY: key.seedHex, AUDIT_CHECKPOINT_EVERY: '10000000' };
}

/**
 * Signs and appends the next audit checkpoint the way docs/audit.md specifies it: the events after the previous
 * checkpoint's upToPosition, read from the log, outside AUDIT_STREAM; the head of every stream they belong to.
 * Returns null when no such event was written since. (The service's own checkpointer does this in production;
 * tests that need checkpoints at chosen places sign them here.)
 */
export async function appendCheckpoint(store: EventStore, privateKey: KeyObject, signedAt = new Date()): Promise<SignedCheckpoint | null> {
  const checkpoints = await store.readStream(AUDIT_STREAM);
  const previous = checkpoints.length > 0 ? (checkpoints[checkpoints.length - 1].data as unknown as SignedCheckpoint) : null;
  const heads = new Map<string, StreamHead>();
  let count = 0;
  let upTo: Position | null = null;
  let cursor: Position | 'start' = previous ? parsePosition(previous.upToPosition) : 'start';
  for (;;) {
    const page = await store.readAll({ from: cursor, maxCount: 1000 });
    if (page.length === 0) break;
    for (const event of page) {
      if (event.streamId === AUDIT_STREAM) continue;
      count += 1;
      upTo = event.position;
      heads.set(event.streamId, { streamId: event.streamId, revision: Number(event.revision), hash: event.metadata.hash as string });
    }
    cursor = page[page.length - 1].position;
  }
  if (upTo === null) return null;
  const signed = signCheckpoint(
    {
      checkpoint: (previous?.checkpoint ?? 0) + 1,
      previousCheckpointHash: previous?.checkpointHash ?? GENESIS_HASH,
      fromPosition: previous?.upToPosition ?? null,
      upToPosition: formatPosition(upTo),
      eventCount: count,
      streams: [...heads.values()].sort(byStreamId),
      signedAt: signedAt.toISOString(),
    },
    privateKey,
  );
  await store.appendToStream(
    AUDIT_STREAM,
    [{ id: randomUUID(), type: CHECKPOINT_EVENT_TYPE, data: signed as unknown as JsonObject, metadata: { schemaVersion: 1, actor: { id: 'e2e-checkpointer', role: 'system' } } }],
    { expectedRevision: checkpoints.length === 0 ? 'no_stream' : BigInt(checkpoints.length - 1) },
  );
  return signed;
}

export const VERIFIER_SCRIPT = path.join(__dirname, '../../../../docs/verify_audit_export.py');

/** The verifier's --json report. */
export interface VerifierReport {
  readonly ok: boolean;
  readonly usable: boolean;
  readonly error?: string;
  readonly lines: number;
  readonly seconds: number;
  readonly streams: number;
  readonly anchoredStreams: number;
  readonly events: number;
  readonly checkpointLines: number;
  readonly checkpoints: number;
  readonly validCheckpoints: number;
  readonly headsChecked: number;
  readonly headsOutsideExport: number;
  readonly notes: readonly string[];
  readonly problems: readonly { code: string; streamId: string | null; revision: number | null; line: number; message: string; checkpoint?: number }[];
}

let interpreter: string | undefined;

/**
 * A Python 3 that has the `cryptography` package: `python3` on PATH, else Debian's /usr/bin/python3 (where .ci/run
 * installs python3-cryptography). Throws, failing the test, when there is none: the verifier must run in CI.
 */
export function pythonWithCryptography(): string {
  if (interpreter) return interpreter;
  const tried: string[] = [];
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import sys, cryptography.hazmat.primitives.asymmetric.ed25519; print(sys.version.split()[0])'], { encoding: 'utf8' });
    if (probe.status === 0) {
      interpreter = candidate;
      return candidate;
    }
    tried.push(`${candidate}: ${probe.error ? (probe.error as NodeJS.ErrnoException).code : probe.stderr.trim().split('\n').pop()}`);
  }
  throw new Error(
    `docs/verify_audit_export.py needs Python 3 with the cryptography package, and none was found (${tried.join('; ')}). ` +
      'Install them: apt-get install -y python3 python3-cryptography (.ci/run does so).',
  );
}

/** Runs docs/verify_audit_export.py --json on a file with the given public key(s); its exit code and report. */
export function runVerifier(file: string, publicKeys: readonly string[], extra: readonly string[] = []): { status: number; report: VerifierReport; stderr: string } {
  const args = [VERIFIER_SCRIPT, '--json', ...publicKeys.flatMap((k) => ['--public-key', k]), ...extra, file];
  const run = spawnSync(pythonWithCryptography(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  let report: VerifierReport;
  try {
    report = JSON.parse(run.stdout) as VerifierReport;
  } catch {
    throw new Error(`The verifier printed no JSON report (exit ${String(run.status)}):\n${run.stdout}\n${run.stderr}`);
  }
  return { status: run.status ?? -1, report, stderr: run.stderr };
}
