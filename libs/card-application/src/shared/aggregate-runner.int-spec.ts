import { randomUUID } from 'node:crypto';
import { Logger, type LoggerService } from '@nestjs/common';
import { cardDecider, type CardCommand } from '@cards/domain';
import { GENESIS_HASH, SqliteEventStore, type EventStore, type JsonObject } from '@cards/event-store';
import { issueCard, linkCard, suspendCard } from '@cards/domain/testing/card-fixtures';
import { AggregateRunner, MAX_CONCURRENCY_ATTEMPTS } from './aggregate-runner';
import { ConcurrentModificationError, RevisionMismatchError } from './application-errors';
import type { CommandContext } from './command-context';

const fixedClock = { now: () => new Date('2026-01-15T10:00:00.000Z') };

function context(overrides: Partial<CommandContext> = {}): CommandContext {
  return {
    actor: { id: 'teller-7', role: 'issuer' },
    correlationId: 'corr-1',
    causationId: 'req-1',
    ...overrides,
  };
}

interface LogLine {
  readonly level: 'log' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** Every line Nest's Logger is given while a test runs (the runner logs through it). */
function captureLogs(): { lines: LogLine[]; raceLines(streamId: string): LogLine[] } {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (first: unknown, ...rest: unknown[]) => {
    const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
    const message = typeof first === 'string' ? first : String(rest[0] ?? '');
    lines.push({ level, fields, message });
  };
  const logger: LoggerService = { log: record('log'), warn: record('warn'), error: record('error'), debug: () => undefined, verbose: () => undefined };
  Logger.overrideLogger(logger);
  return { lines, raceLines: (streamId) => lines.filter((l) => l.fields.streamId === streamId) };
}

describe('AggregateRunner on a real (SQLite) event store', () => {
  let store: EventStore;
  let runner: AggregateRunner;
  let stream: string;
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    store = SqliteEventStore.open(':memory:');
    runner = new AggregateRunner(store, fixedClock);
    stream = `card-${randomUUID()}`;
    logs = captureLogs();
  });
  afterEach(async () => {
    Logger.overrideLogger(false);
    await store.close();
  });

  const issue = (ctx = context()) => runner.execute(stream, cardDecider, ctx, (_s, now) => issueCard({ now }));

  it('given a new stream, when a command is decided, then its events are appended with the full metadata', async () => {
    const result = await issue(context({ idempotencyKey: 'key-1' }));
    expect(result).toMatchObject({ revision: 0n, replayed: false });
    expect(result.state).toMatchObject({ exists: true, status: 'ISSUED' });
    const [event] = await store.readStream(stream);
    expect(event.type).toBe('CardIssued');
    expect(event.metadata).toEqual({
      schemaVersion: 1,
      actor: { id: 'teller-7', role: 'issuer' },
      channel: 'BRANCH',
      correlationId: 'corr-1',
      causationId: 'req-1',
      occurredAt: '2026-01-15T10:00:00.000Z',
      idempotencyKey: 'key-1',
      // Added by the event store: the stream's hash chain.
      prevHash: GENESIS_HASH,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((event.data as JsonObject).issuedAt).toBe('2026-01-15T10:00:00.000Z');
  });

  it('given a command already applied under an Idempotency-Key whose answer was lost, when it is retried, then the same result comes back and nothing is written', async () => {
    await issue();
    const ctx = context({ idempotencyKey: 'suspend-once' });
    const first = await runner.execute(stream, cardDecider, ctx, (_s, now) => suspendCard({ now }));
    const retry = await runner.execute(stream, cardDecider, ctx, (_s, now) => suspendCard({ now }));
    expect(retry).toMatchObject({ replayed: true, revision: first.revision, position: first.position });
    expect(retry.newEvents.map((e) => e.type)).toEqual(['CardSuspended']);
    expect(retry.state).toMatchObject({ status: 'SUSPENDED' });
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('given another writer wins the race, when the command is still valid on the new state, then it is decided again and appended', async () => {
    await issue();
    let attempts = 0;
    const result = await runner.execute(stream, cardDecider, context(), async (_state, now): Promise<CardCommand> => {
      attempts++;
      if (attempts === 1) {
        // Someone else appends between our read and our append.
        await store.appendToStream(stream, [{ id: randomUUID(), type: 'CardSuspended', data: { reason: 'other writer', suspendedAt: now }, metadata: {} }], { expectedRevision: 0n });
      }
      return { type: 'CancelCard', reason: 'Customer request', now };
    });
    expect(attempts).toBe(2);
    expect(result.revision).toBe(2n);
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['CardIssued', 'CardSuspended', 'CardCancelled']);
    // The log says which stream, which attempt, and what came of it: a retry, then the append.
    expect(logs.raceLines(stream)).toEqual([
      {
        level: 'warn',
        fields: { streamId: stream, attempt: 1, maxAttempts: MAX_CONCURRENCY_ATTEMPTS, outcome: 'retrying', correlationId: 'corr-1' },
        message: expect.stringMatching(new RegExp(`^Command on ${stream} lost an optimistic-concurrency race on attempt 1 of 4 \\(the stream is at 1\\); deciding again`)),
      },
      {
        level: 'log',
        fields: { streamId: stream, attempt: 2, maxAttempts: MAX_CONCURRENCY_ATTEMPTS, outcome: 'appended', correlationId: 'corr-1' },
        message: `Command on ${stream} appended on attempt 2 of 4, decided again on the new state`,
      },
    ]);
  });

  it('given another writer wins the race, when the command is no longer valid on the new state, then it is refused at once (409), not retried', async () => {
    await issue();
    let attempts = 0;
    const refused = runner.execute(stream, cardDecider, context(), async (_state, now): Promise<CardCommand> => {
      attempts++;
      if (attempts === 1) {
        // Someone else cancels the card between our read and our append: nothing may follow a cancellation.
        await store.appendToStream(stream, [{ id: randomUUID(), type: 'CardCancelled', data: { reason: 'other writer', cancelledAt: now }, metadata: {} }], { expectedRevision: 0n });
      }
      return { type: 'SuspendCard', reason: 'Lost', now };
    });
    await expect(refused).rejects.toMatchObject({ kind: 'conflict', code: 'TRANSITION_NOT_ALLOWED', details: expect.objectContaining({ currentStatus: 'CANCELLED' }) });
    expect(attempts).toBe(2);
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['CardIssued', 'CardCancelled']);
    expect(logs.raceLines(stream).map((l) => [l.level, l.fields.attempt, l.fields.outcome])).toEqual([
      ['warn', 1, 'retrying'],
      ['log', 2, 'refused'],
    ]);
    expect(logs.raceLines(stream)[1].message).toBe(`Command on ${stream} refused on attempt 2 of 4 on the new state: TRANSITION_NOT_ALLOWED`);
  });

  it('given a stale If-Match, when the command runs, then it is refused with the current revision and nothing is written', async () => {
    await issue();
    await runner.execute(stream, cardDecider, context(), (_s, now) => suspendCard({ now }));
    const stale = runner.execute(stream, cardDecider, context({ expectedRevision: 0n }), (_s, now): CardCommand => ({ type: 'CancelCard', reason: 'x', now }));
    await expect(stale).rejects.toBeInstanceOf(RevisionMismatchError);
    await expect(stale).rejects.toMatchObject({ expectedRevision: 0n, currentRevision: 1n });
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('given If-Match and a race lost after the check, then it is a revision mismatch, not a silent retry', async () => {
    await issue();
    const racing = runner.execute(stream, cardDecider, context({ expectedRevision: 0n }), async (_s, now): Promise<CardCommand> => {
      await store.appendToStream(stream, [{ id: randomUUID(), type: 'CardSuspended', data: { reason: 'other', suspendedAt: now }, metadata: {} }], { expectedRevision: 0n });
      return { type: 'CancelCard', reason: 'x', now };
    });
    await expect(racing).rejects.toBeInstanceOf(RevisionMismatchError);
  });

  it('given every attempt loses its race, then it gives up with a ConcurrentModificationError after a bounded number of tries', async () => {
    await issue();
    let attempts = 0;
    const endless = runner.execute(stream, cardDecider, context(), async (_state, now): Promise<CardCommand> => {
      attempts++;
      const revision = BigInt((await store.readStream(stream)).length - 1);
      await store.appendToStream(stream, [{ id: randomUUID(), type: 'CardLinked', data: { accountId: `acc-${attempts}`, linkedAt: now }, metadata: {} }], { expectedRevision: revision });
      return { type: 'CancelCard', reason: 'x', now };
    });
    await expect(endless).rejects.toBeInstanceOf(ConcurrentModificationError);
    await expect(endless).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION', attempts: MAX_CONCURRENCY_ATTEMPTS, streamId: stream });
    expect(attempts).toBe(MAX_CONCURRENCY_ATTEMPTS);
    // Only the other writer's events: the command itself wrote nothing.
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['CardIssued', ...Array<string>(MAX_CONCURRENCY_ATTEMPTS).fill('CardLinked')]);
    expect(logs.raceLines(stream).map((l) => [l.level, l.fields.attempt, l.fields.outcome])).toEqual([
      ['warn', 1, 'retrying'],
      ['warn', 2, 'retrying'],
      ['warn', 3, 'retrying'],
      ['warn', 4, 'gave-up'],
    ]);
    expect(logs.raceLines(stream)[3].message).toMatch(/attempt 4 of 4; giving up \(409 CONCURRENT_MODIFICATION\)/);
  });

  it('given a command that wins its first race, then nothing about races is logged', async () => {
    await issue();
    await runner.execute(stream, cardDecider, context(), (_s, now) => suspendCard({ now }));
    expect(logs.raceLines(stream)).toEqual([]);
  });

  it('given imported history, when a command runs, then its events take the time it happened and say they were imported', async () => {
    const ctx = context({ occurredAt: '2024-05-06T07:08:09.000Z', imported: true, idempotencyKey: 'import:abc' });
    await runner.execute(stream, cardDecider, ctx, (_s, now) => issueCard({ now }));
    const [event] = await store.readStream(stream);
    expect((event.data as JsonObject).issuedAt).toBe('2024-05-06T07:08:09.000Z');
    expect(event.metadata).toMatchObject({ occurredAt: '2024-05-06T07:08:09.000Z', imported: true, idempotencyKey: 'import:abc' });
    // The store keeps when it was recorded: now, not then.
    expect(event.recordedAt.getTime()).toBeGreaterThan(Date.parse('2025-01-01T00:00:00Z'));
  });

  it('given imported history, when a command is dated before the stream\'s last event, then it is refused and nothing is written', async () => {
    await runner.execute(stream, cardDecider, context({ occurredAt: '2024-05-06T07:00:00.000Z', imported: true }), (_s, now) => issueCard({ now }));
    const earlier = runner.execute(stream, cardDecider, context({ occurredAt: '2024-05-06T06:59:59.999Z', imported: true }), (_s, now) => suspendCard({ now }));
    await expect(earlier).rejects.toMatchObject({ kind: 'conflict', code: 'OCCURRED_BEFORE_LAST_EVENT' });
    await runner.execute(stream, cardDecider, context({ occurredAt: '2024-05-06T07:00:00.000Z', imported: true }), (_s, now) => suspendCard({ now }));
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('given a decider refusal, then nothing is appended', async () => {
    await issue();
    await expect(runner.execute(stream, cardDecider, context(), (_s, now) => linkCard({ now }))).rejects.toMatchObject({ code: 'TRANSITION_NOT_ALLOWED' });
    expect(await store.readStream(stream)).toHaveLength(1);
  });
});
