import { ConsoleLogger, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AUDIT_STREAM, eventHash, signedBytes, type JsonObject, type SignedCheckpoint } from '@cards/event-store';
import type { Clock } from '../../shared/clock';
import { auditKeysFrom, type AuditKeys } from '../audit-keys';
import { AuditCheckpointer } from '../checkpoints/audit-checkpointer';
import { InMemoryLog } from '../testing/in-memory-log';
import { verifyLog, type LogVerificationProgress, type LogVerificationReport, type VerificationProblem } from './log-verifier';

const keys = auditKeysFrom(randomBytes(32).toString('hex'));
const clock: Clock = { now: () => new Date('2026-11-23T09:00:00.000Z') };
const auditor = { actor: { id: 'alice', role: 'auditor' }, correlationId: 'corr-1', causationId: 'req-1' };

/**
 * positions  1-3 card-a@0..2 | 4-7 card-b@0..3 | 8-9 card-a@3..4 | 10 checkpoint 1 (audit@0)
 *            11-13 card-c@0..2 | 14 card-b@4 | 15 checkpoint 2 (audit@1) | 16 card-a@5 (no checkpoint yet)
 */
async function signedHistory(signingKeys: AuditKeys = keys): Promise<InMemoryLog> {
  const log = new InMemoryLog();
  const checkpointer = new AuditCheckpointer(log, signingKeys, clock, { pageSize: 4 });
  await log.write('card-a', 3);
  await log.write('card-b', 4);
  await log.write('card-a', 2);
  await checkpointer.signNow(auditor);
  await log.write('card-c', 3);
  await log.write('card-b', 1);
  await checkpointer.signNow(auditor);
  await log.write('card-a', 1);
  return log;
}

const verify = (log: InMemoryLog, options: { publicKeys?: AuditKeys['verificationKeys']; maxListedProblems?: number; onProgress?: (p: LogVerificationProgress) => void } = {}) =>
  verifyLog(log, { publicKeys: keys.verificationKeys, pageSize: 4, ...options });

/** Problems as `code stream@revision`, to compare at a glance. */
const found = (report: LogVerificationReport): string[] => report.problems.map((p: VerificationProblem) => `${p.code} ${p.streamId}@${p.revision}`);

const at = (log: InMemoryLog, streamId: string, revision: number) => log.stream(streamId).find((e) => e.revision === BigInt(revision))!;

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe('verifying the whole log (verifyLog)', () => {
  it('given an untouched log, then it is ok and counts what it checked', async () => {
    const log = await signedHistory();

    const report = await verify(log);

    expect(report).toEqual({
      ok: true,
      eventsChecked: 16,
      streamsChecked: 4,
      checkpointsChecked: 2,
      signedHeadsChecked: 3,
      lastCheckpoint: 2,
      eventsAfterLastCheckpoint: 1,
      upToPosition: '16',
      problemCount: 0,
      problems: [],
      problemCounts: {},
    });
  });

  it('given an empty log, then it is ok with nothing checked', async () => {
    expect(await verify(new InMemoryLog())).toMatchObject({ ok: true, eventsChecked: 0, checkpointsChecked: 0, lastCheckpoint: null, upToPosition: null });
  });

  it('given one byte of an event\'s data changed, then HASH_MISMATCH at that event', async () => {
    const log = await signedHistory();
    at(log, 'card-b', 2).data = { n: 3 }; // was { n: 2 }

    const report = await verify(log);

    expect(report.ok).toBe(false);
    expect(found(report)).toEqual(['HASH_MISMATCH card-b@2']);
    expect(report.problems[0]).toMatchObject({ position: '6', message: expect.stringMatching(/^card-b@2: the stored hash [0-9a-f]{64} is not the hash of the event's content/) });
  });

  it('given an event deleted in the middle of a stream, then REVISION_GAP at the missing revision, and the checkpoint over it counts one event too many', async () => {
    const log = await signedHistory();
    log.remove((e) => e.streamId === 'card-a' && e.revision === 1n);

    const report = await verify(log);

    expect(found(report)).toEqual(['REVISION_GAP card-a@1', `EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@0`]);
    expect(report.problems[1]).toMatchObject({ checkpoint: 1, message: expect.stringMatching(/it signed 9 events after the start of the log up to position 9, but the log holds 8 there: events were deleted/) });
  });

  it('given the newest events of a stream deleted after a checkpoint signed them, then STREAM_TRUNCATED at the first revision gone', async () => {
    const log = await signedHistory();
    log.remove((e) => e.streamId === 'card-b' && e.revision >= 3n);

    const report = await verify(log);

    expect(found(report)).toEqual([`EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@0`, `EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@1`, 'STREAM_TRUNCATED card-b@3']);
    expect(report.problems[2]).toMatchObject({
      checkpoint: 2,
      message: 'card-b: the stream ends at revision 2, but checkpoint 2 signed its head at revision 4: revisions 3 to 4 were deleted',
    });
  });

  it('given a whole stream deleted, then STREAM_MISSING for it', async () => {
    const log = await signedHistory();
    log.remove((e) => e.streamId === 'card-c');

    const report = await verify(log);

    expect(found(report)).toEqual([`EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@1`, 'STREAM_MISSING card-c@2']);
    expect(report.problems[1].message).toBe('card-c: the stream is gone, but checkpoint 2 signed its head at revision 2: revisions 0 to 2 were deleted');
  });

  it('given two events of a stream swapped, then PREV_HASH_MISMATCH at the first of them', async () => {
    const log = await signedHistory();
    const [one, two] = [at(log, 'card-a', 1), at(log, 'card-a', 2)];
    [one.data, one.metadata, two.data, two.metadata] = [two.data, two.metadata, one.data, one.metadata];

    expect(found(await verify(log))).toEqual(['PREV_HASH_MISMATCH card-a@1']);
  });

  it('given two events swapped by revision (each keeps its content, their places are exchanged), then REVISION_GAP where the order breaks', async () => {
    const log = await signedHistory();
    const [one, two] = [at(log, 'card-a', 1), at(log, 'card-a', 2)];
    [one.revision, two.revision] = [two.revision, one.revision];

    expect(found(await verify(log))).toEqual(['REVISION_GAP card-a@1']);
  });

  it('given a forged checkpoint (a head changed, its checkpointHash and chain hash recomputed, the signature kept), then BAD_SIGNATURE at it, and its heads count for nothing', async () => {
    const log = await signedHistory();
    const event = at(log, AUDIT_STREAM, 1);
    const forged = { ...(event.data as unknown as SignedCheckpoint) };
    const cardC = at(log, 'card-c', 1);
    forged.streams = forged.streams.map((s) => (s.streamId === 'card-c' ? { ...s, revision: 1, hash: cardC.metadata.hash as string } : s));
    const checkpointHash = createHash('sha256').update(signedBytes(forged)).digest('hex');
    event.data = { ...forged, checkpointHash } as unknown as JsonObject;
    event.metadata = { ...event.metadata, hash: eventHash({ streamId: AUDIT_STREAM, revision: 1n, type: event.type, data: event.data, metadata: event.metadata }) };
    log.remove((e) => e.streamId === 'card-c' && e.revision === 2n); // what the forgery was to hide

    const report = await verify(log);

    expect(found(report)).toEqual([`BAD_SIGNATURE ${AUDIT_STREAM}@1`, `EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@1`]);
    expect(report.problems[0]).toMatchObject({ checkpoint: 2, message: expect.stringMatching(/^Checkpoint 2 \(audit-checkpoints@1\): the Ed25519 signature does not verify under key [0-9a-f]{16}/) });
  });

  it('given a checkpoint changed without recomputing its hash, then BAD_CHECKPOINT_HASH and the audit stream\'s own HASH_MISMATCH', async () => {
    const log = await signedHistory();
    const event = at(log, AUDIT_STREAM, 0);
    event.data = { ...event.data, eventCount: 8 };

    expect(found(await verify(log))).toEqual([`HASH_MISMATCH ${AUDIT_STREAM}@0`, `BAD_CHECKPOINT_HASH ${AUDIT_STREAM}@0`, `EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@0`]);
  });

  it('given a checkpoint deleted, then the audit stream\'s chain and the next checkpoint\'s links say so', async () => {
    const log = await signedHistory();
    log.remove((e) => e.streamId === AUDIT_STREAM && e.revision === 0n);

    const report = await verify(log);

    expect(found(report)).toEqual([
      `FIRST_REVISION_NOT_ZERO ${AUDIT_STREAM}@0`,
      `CHECKPOINT_NUMBER_GAP ${AUDIT_STREAM}@1`,
      `CHECKPOINT_LINK_BROKEN ${AUDIT_STREAM}@1`,
      `CHECKPOINT_LINK_BROKEN ${AUDIT_STREAM}@1`,
      `EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@1`,
    ]);
  });

  it('given checkpoints signed with a former key, then they verify when AUDIT_PUBLIC_KEYS holds its public key, and are UNKNOWN_SIGNING_KEY otherwise', async () => {
    const former = auditKeysFrom(randomBytes(32).toString('hex'));
    const log = await signedHistory(former);
    const current = auditKeysFrom(randomBytes(32).toString('hex'), [former.publicKey.export({ type: 'spki', format: 'pem' }).toString()]);

    expect((await verify(log, { publicKeys: current.verificationKeys })).ok).toBe(true);
    const report = await verify(log, { publicKeys: keys.verificationKeys });
    expect(found(report)).toEqual([`UNKNOWN_SIGNING_KEY ${AUDIT_STREAM}@0`, `UNKNOWN_SIGNING_KEY ${AUDIT_STREAM}@1`]);
  });

  it('given events written while a checkpoint was being signed (after its range, before it), then they count towards the next one and all is ok', async () => {
    const log = new InMemoryLog();
    const checkpointer = new AuditCheckpointer(log, keys, clock, { pageSize: 4 });
    await log.write('card-a', 3);
    log.beforeAppend = async (streamId) => {
      if (streamId !== AUDIT_STREAM) return;
      log.beforeAppend = undefined;
      await log.write('card-b', 2);
    };
    await checkpointer.signNow(auditor);
    await checkpointer.signNow(auditor);

    const checkpoints = (await log.readStream(AUDIT_STREAM)).map((e) => e.data as unknown as SignedCheckpoint);
    expect(checkpoints.map((c) => [c.fromPosition, c.upToPosition, c.eventCount])).toEqual([[null, '3', 3], ['3', '5', 2]]);
    expect(found(await verify(log))).toEqual([]);
  });

  it('given many problems, then it lists the first ones and counts them all, by code', async () => {
    const log = new InMemoryLog();
    for (let i = 0; i < 5; i++) await log.write(`card-${i}`, 2);
    for (let i = 0; i < 5; i++) at(log, `card-${i}`, 1).data = { n: 7 };

    const report = await verify(log, { maxListedProblems: 2 });

    expect(report).toMatchObject({ ok: false, problemCount: 5, problemCounts: { HASH_MISMATCH: 5 } });
    expect(found(report)).toEqual(['HASH_MISMATCH card-0@1', 'HASH_MISMATCH card-1@1']);
  });

  it('reports its progress after each page, and stops when the progress callback throws', async () => {
    const log = await signedHistory();
    const progress: LogVerificationProgress[] = [];

    await verify(log, { onProgress: (p) => progress.push(p) });

    expect(progress.map((p) => p.eventsChecked)).toEqual([4, 8, 12, 16]);
    expect(progress[3]).toEqual({ eventsChecked: 16, streamsChecked: 4, checkpointsChecked: 2, problemCount: 0, position: { commit: 16n, prepare: 16n } });
    await expect(
      verify(log, {
        onProgress: () => {
          throw new Error('shutting down');
        },
      }),
    ).rejects.toThrow('shutting down');
  });
});
