import { ConsoleLogger, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { AUDIT_STREAM, SqliteEventStore, type EventStore, type SignedCheckpoint } from '@cards/event-store';
import type { Clock } from '../../shared/clock';
import { auditKeysFrom } from '../audit-keys';
import { verifyLog } from '../verification/log-verifier';
import { AuditCheckpointLoop } from './audit-checkpoint-loop';
import { AuditCheckpointer, type SignOutcome } from './audit-checkpointer';

const keys = auditKeysFrom(randomBytes(32).toString('hex'));
const clock: Clock = { now: () => new Date() };

async function write(store: EventStore, streamId: string, count: number): Promise<void> {
  const events = Array.from({ length: count }, (_, n) => ({ id: randomUUID(), type: 'SomethingHappened', data: { n }, metadata: { schemaVersion: 1 } }));
  await store.appendToStream(streamId, events);
}

async function checkpoints(store: EventStore): Promise<SignedCheckpoint[]> {
  return (await store.readStream(AUDIT_STREAM)).map((e) => e.data as unknown as SignedCheckpoint);
}

/** Polls until `check` holds (or fails the test after 5 s). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('the checkpoint loop: a checkpoint every AUDIT_CHECKPOINT_EVERY events', () => {
  let store: SqliteEventStore;
  let loop: AuditCheckpointLoop | undefined;
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));
  beforeEach(() => {
    store = SqliteEventStore.open(':memory:', { pollIntervalMs: 10 });
  });
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
    await store.close();
  });

  function startLoop(every: number, checkpointer = new AuditCheckpointer(store, keys, clock)): AuditCheckpointLoop {
    loop = new AuditCheckpointLoop(checkpointer, store, { every, runLoop: true }, [10, 40]);
    loop.onApplicationBootstrap();
    return loop;
  }

  it('given every 5, when 5 events are written, then it signs a checkpoint over them; 3 more sign nothing, 2 more a second one', async () => {
    startLoop(5);
    await write(store, 'card-a', 5);
    await eventually(async () => (await checkpoints(store)).length === 1);

    await write(store, 'card-b', 3);
    await settle();
    expect(await checkpoints(store)).toHaveLength(1);

    await write(store, 'card-a', 2);
    await eventually(async () => (await checkpoints(store)).length === 2);
    const [first, second] = await checkpoints(store);
    expect([first.eventCount, second.eventCount]).toEqual([5, 5]);
    expect(second.streams.map((s) => `${s.streamId}@${s.revision}`)).toEqual(['card-a@6', 'card-b@2']);
    expect((await verifyLog(store, { publicKeys: keys.verificationKeys })).ok).toBe(true);
  });

  it('given events written before it started, then it counts from the last checkpoint and signs them when there are enough', async () => {
    const checkpointer = new AuditCheckpointer(store, keys, clock);
    await write(store, 'card-a', 4);
    await checkpointer.signNow();
    await write(store, 'card-b', 7);

    startLoop(5, checkpointer);

    await eventually(async () => (await checkpoints(store)).length === 2);
    expect((await checkpoints(store))[1]).toMatchObject({ checkpoint: 2, eventCount: 7 });
  });

  it('given a checkpoint signed elsewhere (an auditor\'s request), then the count starts again after it', async () => {
    const checkpointer = new AuditCheckpointer(store, keys, clock);
    startLoop(5, checkpointer);
    await write(store, 'card-a', 4);
    await new AuditCheckpointer(store, keys, clock).signNow();
    await write(store, 'card-a', 4);
    await settle();
    expect(await checkpoints(store)).toHaveLength(1);

    await write(store, 'card-a', 1);
    await eventually(async () => (await checkpoints(store)).length === 2);
  });

  it('given signing fails, then it logs, waits and tries again, and goes on following the log', async () => {
    const real = new AuditCheckpointer(store, keys, clock);
    let failures = 2;
    const flaky = Object.create(real) as AuditCheckpointer;
    flaky.signNow = async (...args): Promise<SignOutcome> => {
      if (failures > 0) {
        failures -= 1;
        throw Object.assign(new Error('event store down'), { code: 'EVENT_STORE_UNAVAILABLE' });
      }
      return real.signNow(...args);
    };
    startLoop(3, flaky);

    await write(store, 'card-a', 3);
    await eventually(async () => (await checkpoints(store)).length === 1);
    expect(failures).toBe(0);
    await write(store, 'card-b', 3);
    await eventually(async () => (await checkpoints(store)).length === 2);
  });

  it('stops promptly, whether it is following the log or waiting to try again', async () => {
    const following = startLoop(5);
    await write(store, 'card-a', 1);
    const started = Date.now();
    await following.stop();

    const failing = Object.create(new AuditCheckpointer(store, keys, clock)) as AuditCheckpointer;
    failing.latest = async () => {
      throw new Error('unreachable');
    };
    loop = new AuditCheckpointLoop(failing, store, { every: 5, runLoop: true }, [60_000, 60_000]);
    loop.onApplicationBootstrap();
    await settle();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('does not run where the projections do not (runLoop false)', async () => {
    loop = new AuditCheckpointLoop(new AuditCheckpointer(store, keys, clock), store, { every: 1, runLoop: false });
    loop.onApplicationBootstrap();
    await write(store, 'card-a', 3);
    await settle();
    expect(await checkpoints(store)).toEqual([]);
  });
});
