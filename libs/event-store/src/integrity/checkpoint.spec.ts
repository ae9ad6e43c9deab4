import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { canonicalize } from './jcs';
import { checkCheckpoint, GENESIS_HASH, publicKeyId, rawPublicKey, signCheckpoint, signedBytes, type SignedCheckpoint } from './checkpoint';

const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const H = (c: string) => c.repeat(64);

const body = {
  checkpoint: 1,
  previousCheckpointHash: GENESIS_HASH,
  fromPosition: null,
  upToPosition: '42',
  eventCount: 3,
  streams: [
    { streamId: 'card-b', revision: 1, hash: H('b') },
    { streamId: 'card-a', revision: 0, hash: H('a') },
  ],
  signedAt: '2026-11-23T09:00:00.000Z',
};

describe('audit checkpoints', () => {
  it('given a body, when signed, then its streams are sorted, its hash is SHA-256 of the canonical body, and the signature verifies', () => {
    const signed = signCheckpoint(body, keys.privateKey);
    expect(signed.streams.map((s) => s.streamId)).toEqual(['card-a', 'card-b']);
    expect(signed.keyId).toBe(createHash('sha256').update(rawPublicKey(keys.publicKey)).digest('hex').slice(0, 16));
    const expectedBytes = canonicalize({
      checkpoint: 1,
      eventCount: 3,
      fromPosition: null,
      keyId: signed.keyId,
      previousCheckpointHash: GENESIS_HASH,
      signedAt: body.signedAt,
      streams: [
        { hash: H('a'), revision: 0, streamId: 'card-a' },
        { hash: H('b'), revision: 1, streamId: 'card-b' },
      ],
      upToPosition: '42',
    });
    expect(signedBytes(signed).toString('utf8')).toBe(expectedBytes);
    expect(signed.checkpointHash).toBe(createHash('sha256').update(expectedBytes, 'utf8').digest('hex'));
    expect(verify(null, Buffer.from(expectedBytes), keys.publicKey, Buffer.from(signed.signature, 'base64'))).toBe(true);
    expect(checkCheckpoint(signed, [other.publicKey, keys.publicKey])).toBeNull();
  });

  it('given a signed checkpoint, when any signed member changes, then the hash no longer matches', () => {
    const signed = signCheckpoint(body, keys.privateKey);
    const forged: SignedCheckpoint = { ...signed, streams: [{ ...signed.streams[0], revision: 5 }, signed.streams[1]] };
    expect(checkCheckpoint(forged, [keys.publicKey])?.code).toBe('BAD_CHECKPOINT_HASH');
  });

  it('given a forger who recomputes the hash, then the signature fails; signed with another key, the key is unknown', () => {
    const signed = signCheckpoint(body, keys.privateKey);
    const changed = { ...signed, eventCount: 2 };
    const rehashed = { ...changed, checkpointHash: createHash('sha256').update(signedBytes(changed)).digest('hex') };
    expect(checkCheckpoint(rehashed, [keys.publicKey])?.code).toBe('BAD_SIGNATURE');
    const byOther = signCheckpoint(body, other.privateKey);
    expect(checkCheckpoint(byOther, [keys.publicKey])?.code).toBe('UNKNOWN_SIGNING_KEY');
    expect(publicKeyId(other.publicKey)).not.toBe(publicKeyId(keys.publicKey));
  });

  it('reports a malformed checkpoint instead of throwing', () => {
    expect(checkCheckpoint(null, [keys.publicKey])?.code).toBe('MALFORMED_CHECKPOINT');
    const signed = signCheckpoint(body, keys.privateKey);
    expect(checkCheckpoint({ ...signed, streams: [{ streamId: 'x' }] }, [keys.publicKey])?.code).toBe('MALFORMED_CHECKPOINT');
    expect(checkCheckpoint({ ...signed, checkpoint: 0 }, [keys.publicKey])?.code).toBe('MALFORMED_CHECKPOINT');
  });

  it('refuses to sign with anything but an Ed25519 private key', () => {
    expect(() => signCheckpoint(body, keys.publicKey)).toThrow(TypeError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => signCheckpoint(body, rsa.privateKey)).toThrow(TypeError);
  });
});
