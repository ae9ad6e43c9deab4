/**
 * The worked example of docs/audit.md: a small export (two events of a card, the checkpoint that covers them),
 * made with the service's own code and a published TEST key. `npx ts-node --transpile-only scripts/audit-example.ts`
 * prints the blocks the document shows; scripts/audit-doc.spec.ts recomputes every value from the document's text.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  AUDIT_STREAM,
  CHECKPOINT_EVENT_TYPE,
  canonicalize,
  chainEvents,
  publicKeyId,
  rawPublicKey,
  signCheckpoint,
  signedBytes,
  type EventToAppend,
  type JsonObject,
} from '../libs/event-store/src';

/** DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The TEST key's seed: SHA-256 of a sentence, so that anyone can see it was chosen, not generated in secret. */
export const TEST_KEY_SEED_TEXT = 'cards audit export: TEST signing key, published in docs/audit.md, never to sign real checkpoints';

export function testKeyFromSeed(seedHex: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

const CARD_STREAM = 'card-3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e';

function exportLine(position: string, streamId: string, revision: number, recordedAt: string, event: EventToAppend): string {
  return JSON.stringify({ kind: 'event', position, streamId, revision, id: event.id, type: event.type, recordedAt, data: event.data, metadata: event.metadata });
}

export function auditExample() {
  const seed = sha256(TEST_KEY_SEED_TEXT);
  const { privateKey, publicKey } = testKeyFromSeed(seed);
  const teller = { schemaVersion: 1, actor: { id: 'teller-0042', role: 'issuer' }, channel: 'API' };
  // The hash of revision 1 (IdentityVerified, not shown): the example starts after it, as an export from position 40 would.
  const hashOfRevision1 = sha256('example: card-3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e revision 1');
  const [linked, activated] = chainEvents(CARD_STREAM, 2n, hashOfRevision1, [
    {
      id: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
      type: 'CardLinked',
      data: { accountId: 'ACC-1001', linkedAt: '2026-11-23T09:15:00.000Z' },
      metadata: { ...teller, correlationId: 'c0ffee00-1111-4222-8333-444455556666', causationId: 'c0ffee00-1111-4222-8333-444455556666', occurredAt: '2026-11-23T09:15:00.000Z' },
    },
    {
      id: '7a2d3e4f-5c6b-4d7e-9f80-ab1c2d3e4f50',
      type: 'CardActivated',
      data: { channel: 'APP', activatedAt: '2026-11-23T09:17:30.000Z' },
      metadata: { ...teller, actor: { id: 'mobile-app', role: 'issuer' }, channel: 'APP', correlationId: 'd00dfeed-2222-4333-8444-555566667777', causationId: 'd00dfeed-2222-4333-8444-555566667777', occurredAt: '2026-11-23T09:17:30.000Z' },
    },
  ]);
  const checkpoint = signCheckpoint(
    {
      checkpoint: 7,
      previousCheckpointHash: sha256('example: checkpoint 6'),
      fromPosition: '40',
      upToPosition: '42',
      eventCount: 2,
      streams: [{ streamId: CARD_STREAM, revision: 3, hash: activated.metadata.hash as string }],
      signedAt: '2026-11-23T09:20:00.000Z',
    },
    privateKey,
  );
  const [checkpointEvent] = chainEvents(AUDIT_STREAM, 6n, sha256('example: audit-checkpoints revision 5'), [
    {
      id: '8b3e4f50-6d7c-4e8f-a091-bc2d3e4f5061',
      type: CHECKPOINT_EVENT_TYPE,
      data: checkpoint as unknown as JsonObject,
      metadata: { schemaVersion: 1, actor: { id: 'audit-checkpointer', role: 'system' } },
    },
  ]);
  const { hash: _hash, ...linkedWithoutHash } = linked.metadata;
  const lines = {
    linked: exportLine('41', CARD_STREAM, 2, '2026-11-23T09:15:00.012Z', linked),
    activated: exportLine('42', CARD_STREAM, 3, '2026-11-23T09:17:30.009Z', activated),
    checkpoint: exportLine('43', AUDIT_STREAM, 6, '2026-11-23T09:20:00.031Z', checkpointEvent),
  };
  const header = {
    kind: 'header',
    format: 'cards-audit-export',
    version: 1,
    generatedAt: '2026-11-23T10:00:00.000Z',
    from: null,
    to: null,
    fromPosition: '40',
    toPosition: null,
    headPosition: '43',
  };
  return {
    'test-key-seed-text': TEST_KEY_SEED_TEXT,
    'test-key-seed': seed,
    'test-public-key': rawPublicKey(publicKey).toString('base64'),
    'test-public-key-pem': publicKey.export({ type: 'spki', format: 'pem' }).toString().trim(),
    'test-key-id': publicKeyId(publicKey),
    'event-line': lines.linked,
    'event-canonical': canonicalize({ streamId: CARD_STREAM, revision: 2, type: linked.type, data: linked.data, metadata: linkedWithoutHash }),
    'event-hash': linked.metadata.hash as string,
    'next-event-line': lines.activated,
    'checkpoint-data': JSON.stringify(checkpoint, null, 2),
    'checkpoint-signed-bytes': signedBytes(checkpoint).toString('utf8'),
    'checkpoint-hash': checkpoint.checkpointHash,
    'checkpoint-signature': checkpoint.signature,
    'checkpoint-line': lines.checkpoint,
    export: [JSON.stringify(header), lines.linked, lines.activated, lines.checkpoint, JSON.stringify({ kind: 'footer', events: 3, checkpoints: 0 })].join('\n'),
  };
}

if (require.main === module) {
  for (const [name, value] of Object.entries(auditExample())) {
    process.stdout.write(`<!-- example: ${name} -->\n\`\`\`\n${value}\n\`\`\`\n\n`);
  }
}
