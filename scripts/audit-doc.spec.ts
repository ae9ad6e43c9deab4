import { createHash, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AUDIT_STREAM,
  canonicalize,
  eventHash,
  GENESIS_HASH,
  publicKeyId,
  rawPublicKey,
  signedBytes,
  type JsonObject,
  type SignedCheckpoint,
} from '../libs/event-store/src';
import { auditExample, testKeyFromSeed } from './audit-example';

const DOC = readFileSync(path.join(__dirname, '../docs/audit.md'), 'utf8');

/** The text of the fenced block that follows `<!-- example: name -->` in docs/audit.md. */
function block(name: string): string {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(DOC);
  if (!match) throw new Error(`docs/audit.md has no example block "${name}"`);
  return match[1];
}

interface Line {
  kind: string;
  position: string;
  streamId: string;
  revision: number;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const line = (name: string) => JSON.parse(block(name)) as Line;
const hashOf = (l: Line) => eventHash({ streamId: l.streamId, revision: BigInt(l.revision), type: l.type, data: l.data, metadata: l.metadata });

describe('docs/audit.md: the worked example, recomputed from the text of the document', () => {
  it('the TEST key: its seed is the SHA-256 of the sentence shown, its public key, PEM and keyId follow from it', () => {
    expect(block('test-key-seed')).toBe(sha256(block('test-key-seed-text')));
    const { publicKey } = testKeyFromSeed(block('test-key-seed'));
    expect(block('test-public-key')).toBe(rawPublicKey(publicKey).toString('base64'));
    expect(`${block('test-public-key-pem')}\n`).toBe(publicKey.export({ type: 'spki', format: 'pem' }));
    expect(block('test-key-id')).toBe(sha256(Buffer.from(block('test-public-key'), 'base64')).slice(0, 16));
    expect(block('test-key-id')).toBe(publicKeyId(publicKey));
    expect(DOC).toMatch(/TEST key published here, which signs nothing real/);
  });

  it('the event: its canonical text, the SHA-256 of that text as its hash, and the next event\'s prevHash', () => {
    const event = line('event-line');
    const { hash, ...withoutHash } = event.metadata;
    const canonical = block('event-canonical');
    expect(canonical).toBe(canonicalize({ streamId: event.streamId, revision: event.revision, type: event.type, data: event.data, metadata: withoutHash }));
    // Independently of canonicalize: the members in the order the document says, no whitespace.
    expect(canonical.startsWith(`{"data":${JSON.stringify(event.data)},"metadata":{"actor":`)).toBe(true);
    expect(canonical.endsWith(`"revision":${event.revision},"streamId":"${event.streamId}","type":"${event.type}"}`)).toBe(true);
    expect(block('event-hash')).toBe(sha256(Buffer.from(canonical, 'utf8')));
    expect(hash).toBe(block('event-hash'));
    expect(hashOf(event)).toBe(block('event-hash'));

    const next = line('next-event-line');
    expect([next.streamId, next.revision]).toEqual([event.streamId, event.revision + 1]);
    expect(next.metadata.prevHash).toBe(block('event-hash'));
    expect(next.metadata.hash).toBe(hashOf(next));
  });

  it('the checkpoint: its signed bytes, their hash, the signature under the TEST key, and its heads', () => {
    const data = JSON.parse(block('checkpoint-data')) as SignedCheckpoint;
    const bytes = block('checkpoint-signed-bytes');
    expect(bytes).toBe(signedBytes(data).toString('utf8'));
    expect(JSON.parse(bytes)).toEqual({
      checkpoint: data.checkpoint,
      previousCheckpointHash: data.previousCheckpointHash,
      fromPosition: data.fromPosition,
      upToPosition: data.upToPosition,
      eventCount: data.eventCount,
      streams: data.streams,
      signedAt: data.signedAt,
      keyId: data.keyId,
    });
    expect(block('checkpoint-hash')).toBe(sha256(Buffer.from(bytes, 'utf8')));
    expect(data.checkpointHash).toBe(block('checkpoint-hash'));
    const { privateKey, publicKey } = testKeyFromSeed(block('test-key-seed'));
    expect(block('checkpoint-signature')).toBe(sign(null, Buffer.from(bytes, 'utf8'), privateKey).toString('base64'));
    expect(data.signature).toBe(block('checkpoint-signature'));
    expect(verify(null, Buffer.from(bytes, 'utf8'), publicKey, Buffer.from(data.signature, 'base64'))).toBe(true);
    expect(data.keyId).toBe(block('test-key-id'));

    const next = line('next-event-line');
    expect(data.streams).toEqual([{ streamId: next.streamId, revision: next.revision, hash: next.metadata.hash }]);
    expect([data.fromPosition, data.upToPosition, data.eventCount]).toEqual(['40', next.position, 2]);
    expect(data.previousCheckpointHash).not.toBe(GENESIS_HASH);

    const event = line('checkpoint-line');
    expect([event.streamId, event.type]).toEqual([AUDIT_STREAM, 'AuditCheckpointSigned']);
    expect(event.data).toEqual(data);
    expect(event.metadata.hash).toBe(hashOf(event));
  });

  it('the whole export is the header, those three lines in position order and the footer', () => {
    const lines = block('export').split('\n');
    expect(lines.slice(1, 4)).toEqual([block('event-line'), block('next-event-line'), block('checkpoint-line')]);
    expect(JSON.parse(lines[0])).toMatchObject({ kind: 'header', format: 'cards-audit-export', version: 1, fromPosition: '40' });
    expect(lines.slice(1, 4).map((l) => (JSON.parse(l) as Line).position)).toEqual(['41', '42', '43']);
    expect(JSON.parse(lines[4])).toEqual({ kind: 'footer', events: 3, checkpoints: 0 });
  });

  it('is what scripts/audit-example.ts makes (run it and paste its blocks when the example changes)', () => {
    for (const [name, value] of Object.entries(auditExample())) expect({ name, value: block(name) }).toEqual({ name, value });
  });
});
