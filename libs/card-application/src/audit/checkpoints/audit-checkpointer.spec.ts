import { ConsoleLogger, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  AUDIT_STREAM,
  checkCheckpoint,
  CHECKPOINT_EVENT_TYPE,
  formatPosition,
  GENESIS_HASH,
  type RecordedEvent,
  type SignedCheckpoint,
} from '@cards/event-store';
import type { Clock } from '../../shared/clock';
import { auditKeysFrom } from '../audit-keys';
import { InMemoryLog } from '../testing/in-memory-log';
import { AUDIT_CHECKPOINTER_ACTOR, AuditCheckpointer, checkpointerContext, type AuditCheckpointerLimits } from './audit-checkpointer';
import { CheckpointRange } from './checkpoint-range';

const keys = auditKeysFrom(randomBytes(32).toString('hex'));
const clock: Clock = { now: () => new Date('2026-11-23T09:00:00.000Z') };
const auditor = { actor: { id: 'alice', role: 'auditor' }, correlationId: 'corr-1', causationId: 'req-1' };

function checkpointerOver(log: InMemoryLog, limits: AuditCheckpointerLimits = {}): AuditCheckpointer {
  return new AuditCheckpointer(log, keys, clock, { pageSize: 3, ...limits });
}

/** The checkpoints in the audit stream, as stored. */
async function checkpointsIn(log: InMemoryLog): Promise<RecordedEvent[]> {
  return log.readStream(AUDIT_STREAM);
}

const hashOf = (log: InMemoryLog, streamId: string, revision: number): string =>
  log.stream(streamId).find((e) => e.revision === BigInt(revision))!.metadata.hash as string;

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe('the heads a checkpoint covers (CheckpointRange)', () => {
  it('given events of two streams and a checkpoint between them, then it counts the others and keeps each stream\'s last revision and hash', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 2);
    await log.write('card-b', 1);
    await log.write(AUDIT_STREAM, 1, CHECKPOINT_EVENT_TYPE);
    await log.write('card-a', 1);

    const range = new CheckpointRange();
    for (const event of await log.readAll()) expect(range.add(event)).toBe(true);

    expect(range.eventCount).toBe(4);
    expect(range.upToPosition).toEqual({ commit: 5n, prepare: 5n });
    expect(range.streams()).toEqual([
      { streamId: 'card-a', revision: 2, hash: hashOf(log, 'card-a', 2) },
      { streamId: 'card-b', revision: 0, hash: hashOf(log, 'card-b', 0) },
    ]);
  });

  it('given more streams than one checkpoint may name, then it refuses the first event of one stream too many, and still takes events of the streams it has', async () => {
    const log = new InMemoryLog();
    await log.write('s-1', 1);
    await log.write('s-2', 1);
    await log.write('s-3', 1);
    await log.write('s-1', 1);
    const [one, two, three, oneAgain] = await log.readAll();

    const range = new CheckpointRange(2);

    expect([range.add(one), range.add(two), range.add(three), range.add(oneAgain)]).toEqual([true, true, false, true]);
    expect(range.streams().map((h) => `${h.streamId}@${h.revision}`)).toEqual(['s-1@1', 's-2@0']);
  });

  it('given no event outside the audit stream, then it covers nothing', async () => {
    const log = new InMemoryLog();
    await log.write(AUDIT_STREAM, 2, CHECKPOINT_EVENT_TYPE);
    const range = new CheckpointRange();
    for (const event of await log.readAll()) range.add(event);
    expect(range.eventCount).toBe(0);
    expect(range.upToPosition).toBeNull();
    expect(range.streams()).toEqual([]);
  });
});

describe('signing checkpoints (AuditCheckpointer.signNow)', () => {
  it('given an empty log, when asked to sign, then it signs nothing and says so', async () => {
    const log = new InMemoryLog();
    const outcome = await checkpointerOver(log).signNow(auditor);
    expect(outcome).toEqual({ signed: false, latest: null, message: 'Nothing to sign: the log holds no events yet' });
    expect(await checkpointsIn(log)).toEqual([]);
  });

  it('given events in three streams, when an auditor asks, then checkpoint 1 holds each head, covers the log from its start, and verifies under the public key', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 3);
    await log.write('customer-b', 1);
    await log.write('card-c', 2);

    const outcome = await checkpointerOver(log).signNow(auditor);

    expect(outcome.signed).toBe(true);
    const [event] = await checkpointsIn(log);
    const checkpoint = event.data as unknown as SignedCheckpoint;
    expect(checkpoint).toMatchObject({
      checkpoint: 1,
      previousCheckpointHash: GENESIS_HASH,
      fromPosition: null,
      upToPosition: '6',
      eventCount: 6,
      signedAt: '2026-11-23T09:00:00.000Z',
      keyId: keys.keyId,
      streams: [
        { streamId: 'card-a', revision: 2, hash: hashOf(log, 'card-a', 2) },
        { streamId: 'card-c', revision: 1, hash: hashOf(log, 'card-c', 1) },
        { streamId: 'customer-b', revision: 0, hash: hashOf(log, 'customer-b', 0) },
      ],
    });
    expect(checkCheckpoint(checkpoint, keys.verificationKeys)).toBeNull();
    expect(event.type).toBe(CHECKPOINT_EVENT_TYPE);
    expect(event.metadata).toMatchObject({ schemaVersion: 1, actor: { id: 'alice', role: 'auditor' }, correlationId: 'corr-1', causationId: 'req-1', occurredAt: '2026-11-23T09:00:00.000Z' });
    expect(outcome).toEqual({ signed: true, checkpoints: [{ checkpoint, revision: 0n, position: event.position }] });
  });

  it('given a checkpoint and nothing written since, when asked again, then it signs nothing and names the last checkpoint', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 2);
    const checkpointer = checkpointerOver(log);
    await checkpointer.signNow(auditor);

    const outcome = await checkpointer.signNow(auditor);

    expect(outcome).toMatchObject({ signed: false, message: 'Nothing to sign: no event was written after checkpoint 1 (up to position 2)' });
    expect(await checkpointsIn(log)).toHaveLength(1);
  });

  it('given a checkpoint and more events, when the service signs again, then checkpoint 2 links to 1 and names only the streams changed since', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 2);
    await log.write('card-b', 2);
    const checkpointer = checkpointerOver(log);
    await checkpointer.signNow(auditor);
    await log.write('card-b', 1);

    await checkpointer.signNow(checkpointerContext());

    const [first, second] = (await checkpointsIn(log)).map((e) => e.data as unknown as SignedCheckpoint);
    expect(second).toMatchObject({
      checkpoint: 2,
      previousCheckpointHash: first.checkpointHash,
      fromPosition: first.upToPosition,
      upToPosition: '6',
      eventCount: 1,
      streams: [{ streamId: 'card-b', revision: 2, hash: hashOf(log, 'card-b', 2) }],
    });
    expect((await checkpointsIn(log))[1].metadata.actor).toEqual(AUDIT_CHECKPOINTER_ACTOR);
  });

  it('given another signer appends first (a revision conflict), then it reads that checkpoint and signs the rest on top of it, keeping one chain', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 2);
    const ours = checkpointerOver(log);
    const theirs = checkpointerOver(log);
    await ours.signNow(auditor);
    await log.write('card-b', 1);
    // Theirs reads the log up to card-b and is held just before its append; card-c is written; ours reads up to
    // card-c, and theirs appends checkpoint 2 just before ours does.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let theirsWaiting: () => void = () => undefined;
    const theirsAtAppend = new Promise<void>((resolve) => (theirsWaiting = resolve));
    let auditAppends = 0;
    let theirsDone: Promise<unknown> = Promise.resolve();
    log.beforeAppend = async (streamId) => {
      if (streamId !== AUDIT_STREAM) return;
      auditAppends += 1;
      const call = auditAppends;
      if (call === 1) {
        theirsWaiting();
        await held;
      }
      if (call === 2) {
        release();
        await theirsDone;
      }
    };
    theirsDone = theirs.signNow(auditor);
    await theirsAtAppend;
    await log.write('card-c', 1);

    const outcome = await ours.signNow(auditor);

    const chain = (await checkpointsIn(log)).map((e) => e.data as unknown as SignedCheckpoint);
    expect(chain.map((c) => c.checkpoint)).toEqual([1, 2, 3]);
    expect(chain[1].streams.map((s) => s.streamId)).toEqual(['card-b']);
    expect(chain[2]).toMatchObject({ previousCheckpointHash: chain[1].checkpointHash, fromPosition: chain[1].upToPosition, eventCount: 1, streams: [{ streamId: 'card-c' }] });
    expect(outcome).toMatchObject({ signed: true, checkpoints: [{ checkpoint: { checkpoint: 3 }, revision: 2n }] });
  });

  it('given another signer covered everything meanwhile, then it signs nothing more and names that checkpoint', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 2);
    const ours = checkpointerOver(log);
    const theirs = checkpointerOver(log);
    log.beforeAppend = async (streamId) => {
      if (streamId !== AUDIT_STREAM) return;
      log.beforeAppend = undefined;
      await theirs.signNow(auditor);
    };

    const outcome = await ours.signNow(auditor);

    expect(outcome).toMatchObject({ signed: false, message: 'Nothing to sign: no event was written after checkpoint 1 (up to position 2)' });
    expect(await checkpointsIn(log)).toHaveLength(1);
  });

  it('given more changed streams than one checkpoint may name, then one request signs several checkpoints, each continuing the last', async () => {
    const log = new InMemoryLog();
    for (let i = 0; i < 5; i++) await log.write(`card-${i}`, 2);

    const outcome = await checkpointerOver(log, { maxStreamsPerCheckpoint: 2 }).signNow(auditor);

    const chain = (await checkpointsIn(log)).map((e) => e.data as unknown as SignedCheckpoint);
    expect(chain.map((c) => [c.checkpoint, c.eventCount, c.streams.map((s) => s.streamId)])).toEqual([
      [1, 4, ['card-0', 'card-1']],
      [2, 4, ['card-2', 'card-3']],
      [3, 2, ['card-4']],
    ]);
    expect(chain[1].fromPosition).toBe(chain[0].upToPosition);
    expect(outcome).toMatchObject({ signed: true });
    expect(outcome.signed && outcome.checkpoints.map((c) => c.checkpoint.checkpoint)).toEqual([1, 2, 3]);
  });

  it('given checkpoints signed by an earlier run of the service, then a new checkpointer goes on from the last one', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 1);
    await checkpointerOver(log).signNow(auditor);
    await log.write('card-a', 1);
    await checkpointerOver(log).signNow(auditor);
    await log.write('card-b', 1);

    const restarted = checkpointerOver(log);
    expect((await restarted.latest())?.checkpoint.checkpoint).toBe(2);
    await restarted.signNow(auditor);

    const chain = (await checkpointsIn(log)).map((e) => e.data as unknown as SignedCheckpoint);
    expect(chain.map((c) => c.checkpoint)).toEqual([1, 2, 3]);
    expect(chain[2]).toMatchObject({ previousCheckpointHash: chain[1].checkpointHash, eventCount: 1 });
    expect(chain[2].upToPosition).toBe(formatPosition((await log.readStream('card-b'))[0].position));
  });

  it('given requests at the same time in one process, then they sign one after the other: one checkpoint, and "nothing to sign"', async () => {
    const log = new InMemoryLog();
    await log.write('card-a', 3);
    const checkpointer = checkpointerOver(log);

    const outcomes = await Promise.all([checkpointer.signNow(auditor), checkpointer.signNow(auditor)]);

    expect(outcomes.map((o) => o.signed)).toEqual([true, false]);
    expect(await checkpointsIn(log)).toHaveLength(1);
  });
});
