import { ConsoleLogger, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DomainError } from '@cards/domain';
import type { ReadAllOptions } from '@cards/event-store';
import type { Clock } from '../../shared/clock';
import type { CommandContext } from '../../shared/command-context';
import { auditKeysFrom } from '../audit-keys';
import { AuditCheckpointer } from '../checkpoints/audit-checkpointer';
import { InMemoryLog } from '../testing/in-memory-log';
import { AUDIT_VERIFICATION_COMPLETED, AUDIT_VERIFICATIONS_STREAM, AuditVerifications, type AuditVerification } from './audit-verifications';

const keys = auditKeysFrom(randomBytes(32).toString('hex'));
const auditor: CommandContext = { actor: { id: 'audit-1', role: 'auditor' }, correlationId: 'corr-1', causationId: 'req-1' };

/** A clock that moves one second on each reading, so start and finish times differ. */
function steppingClock(): Clock {
  let t = Date.parse('2026-03-01T09:00:00.000Z');
  return { now: () => new Date((t += 1000)) };
}

async function signedLog(): Promise<InMemoryLog> {
  const log = new InMemoryLog();
  const checkpointer = new AuditCheckpointer(log, keys, steppingClock());
  for (let i = 0; i < 4; i++) await log.write(`card-${i}`, 3);
  await checkpointer.signNow(auditor);
  await log.write('card-0', 1);
  return log;
}

/** Holds every readAll until the test opens the gate, so the job can be looked at between pages. */
function gated(log: InMemoryLog): { open(): void } {
  let release: () => void = () => undefined;
  const close = () => new Promise<void>((resolve) => (release = resolve));
  let gate = close();
  const readAll = log.readAll.bind(log);
  log.readAll = async (options?: ReadAllOptions) => {
    await gate;
    gate = close();
    return readAll(options);
  };
  return { open: () => release() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function untilFinished(verifications: AuditVerifications, id: string, gate?: { open(): void }): Promise<AuditVerification> {
  for (let i = 0; i < 10_000; i++) {
    const job = verifications.get(id);
    if (job.state !== 'running') return job;
    gate?.open();
    await tick();
  }
  throw new Error('the verification did not finish');
}

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe('the full verification as a job', () => {
  it('given an untouched log, when an auditor starts it, then it answers running, ends ok with its counts, and records who ran it', async () => {
    const log = await signedLog();
    const verifications = new AuditVerifications(log, keys, steppingClock(), 4);

    const started = await verifications.start(auditor);

    expect(started).toMatchObject({
      verificationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      state: 'running',
      ok: null,
      eventsChecked: 0,
      finishedAt: null,
      startedBy: { id: 'audit-1', role: 'auditor' },
    });
    const finished = await untilFinished(verifications, started.verificationId);
    expect(finished).toMatchObject({
      state: 'succeeded',
      ok: true,
      eventsChecked: 14,
      eventsTotal: 14,
      eventsTotalIsEstimate: false,
      streamsChecked: 5,
      checkpointsChecked: 1,
      signedHeadsChecked: 4,
      lastCheckpoint: 1,
      eventsAfterLastCheckpoint: 1,
      upToPosition: '14',
      problemCount: 0,
      problems: [],
      error: null,
    });
    expect(finished.message).toMatch(/^No problem found in 14 events in 5 streams and 1 checkpoint \(up to position 14\)\. 1 event is after checkpoint 1/);

    const [recorded] = await log.readStream(AUDIT_VERIFICATIONS_STREAM);
    expect(recorded).toMatchObject({
      id: started.verificationId,
      type: AUDIT_VERIFICATION_COMPLETED,
      data: { verificationId: started.verificationId, outcome: 'succeeded', ok: true, eventsChecked: 14, streamsChecked: 5, checkpointsChecked: 1, problemCount: 0, upToPosition: '14' },
      metadata: { actor: { id: 'audit-1', role: 'auditor' }, correlationId: 'corr-1', causationId: 'req-1', occurredAt: finished.finishedAt },
    });
  });

  it('given a tampered log, then it succeeds with ok false, listing each problem and counting them by code', async () => {
    const log = await signedLog();
    log.stream('card-2')[1].data = { n: 9 };
    log.remove((e) => e.streamId === 'card-3');
    const verifications = new AuditVerifications(log, keys, steppingClock(), 4);

    const finished = await untilFinished(verifications, (await verifications.start(auditor)).verificationId);

    expect(finished).toMatchObject({ state: 'succeeded', ok: false, problemCount: 3, problemCounts: { HASH_MISMATCH: 1, EVENT_COUNT_MISMATCH: 1, STREAM_MISSING: 1 } });
    expect(finished.problems.map((p) => `${p.code} ${p.streamId}@${p.revision}`)).toEqual(['HASH_MISMATCH card-2@1', 'EVENT_COUNT_MISMATCH audit-checkpoints@0', 'STREAM_MISSING card-3@2']);
    expect(finished.message).toBe('3 problems found in 11 events in 4 streams and 1 checkpoint: HASH_MISMATCH 1, EVENT_COUNT_MISMATCH 1, STREAM_MISSING 1. 1 event is after checkpoint 1, protected by their hash chains until the next one.');
    expect((await log.readStream(AUDIT_VERIFICATIONS_STREAM))[0].data).toMatchObject({ ok: false, problemCount: 3, problemCounts: { HASH_MISMATCH: 1, EVENT_COUNT_MISMATCH: 1, STREAM_MISSING: 1 } });
  });

  it('given one running, when another is started in the same instance, then 409 naming the running one; once it ends, another may start', async () => {
    const log = await signedLog();
    const gate = gated(log);
    const verifications = new AuditVerifications(log, keys, steppingClock(), 4);
    const first = await verifications.start(auditor);

    const refusal = await verifications.start(auditor).catch((e: unknown) => e);

    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ kind: 'conflict', code: 'AUDIT_VERIFICATION_RUNNING', details: { verificationId: first.verificationId } });
    expect(verifications.current()?.verificationId).toBe(first.verificationId);
    gate.open();
    await tick();
    expect(verifications.get(first.verificationId)).toMatchObject({ state: 'running', eventsChecked: 4 });
    await untilFinished(verifications, first.verificationId, gate);
    const second = await verifications.start(auditor);
    expect(second.verificationId).not.toBe(first.verificationId);
    expect((await untilFinished(verifications, second.verificationId, gate)).ok).toBe(true);
  });

  it('given an id it does not know, then not found', () => {
    const verifications = new AuditVerifications(new InMemoryLog(), keys, steppingClock());
    expect(() => verifications.get('6a0a5d0e-93b6-4c77-9b0c-7d8a4a1f2b3c')).toThrow(expect.objectContaining({ kind: 'not_found', code: 'AUDIT_VERIFICATION_NOT_FOUND' }));
  });

  it('given the store fails during the walk, then it fails with the reason, and still records that it failed', async () => {
    const log = await signedLog();
    const readAll = log.readAll.bind(log);
    let reads = 0;
    log.readAll = async (options?: ReadAllOptions) => {
      if (++reads === 2) throw Object.assign(new Error('event store down'), { code: 'EVENT_STORE_UNAVAILABLE' });
      return readAll(options);
    };
    const verifications = new AuditVerifications(log, keys, steppingClock(), 4);

    const finished = await untilFinished(verifications, (await verifications.start(auditor)).verificationId);

    expect(finished).toMatchObject({ state: 'failed', ok: null, eventsChecked: 4, error: 'EVENT_STORE_UNAVAILABLE: event store down' });
    expect(finished.message).toBe('The verification stopped after 4 events in 2 streams and 0 checkpoints: EVENT_STORE_UNAVAILABLE: event store down. Start it again.');
    expect((await log.readStream(AUDIT_VERIFICATIONS_STREAM))[0].data).toMatchObject({ outcome: 'failed', ok: null, error: 'EVENT_STORE_UNAVAILABLE: event store down' });
  });

  it('given the service shuts down during a run, then the run stops after its page and is recorded as failed', async () => {
    const log = await signedLog();
    const gate = gated(log);
    const verifications = new AuditVerifications(log, keys, steppingClock(), 4);
    const started = await verifications.start(auditor);

    const shutdown = verifications.beforeApplicationShutdown();
    gate.open();
    await tick();
    gate.open();
    await shutdown;

    expect(verifications.get(started.verificationId)).toMatchObject({ state: 'failed', error: expect.stringMatching(/^VERIFICATION_INTERRUPTED: The service shut down/) });
  });
});
