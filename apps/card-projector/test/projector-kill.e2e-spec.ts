import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, type EventToAppend } from '@cards/event-store';
import { ALL_PROJECTIONS, ProjectionRunner, SqliteReadStore, waitForProjections, type ReadDocument, type ReadStore } from '@cards/read-store';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const CARDS = 1_500;
const EVENTS_PER_CARD = 40;

/** A card issued, then suspended and reinstated over and over, and finally disputed: order matters for its state. */
function history(cardId: string, index: number): EventToAppend[] {
  const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + index * 60_000 + n * 1000).toISOString();
  const events: EventToAppend[] = [
    {
      id: randomUUID(),
      type: 'CardIssued',
      data: { cardId, customerId: `c-${index % 97}`, product: 'LOYALTY', panBin: '900001', panLast4: String(index % 10_000).padStart(4, '0'), panFingerprint: 'f', panLength: 16, channel: 'WEB', issuedAt: at(0) },
      metadata: {},
    },
  ];
  for (let n = 1; events.length < EVENTS_PER_CARD - 1; n++) {
    events.push(
      n % 2 === 1
        ? { id: randomUUID(), type: 'CardSuspended', data: { reason: `r${n}`, suspendedAt: at(n) }, metadata: {} }
        : { id: randomUUID(), type: 'CardReinstated', data: { reinstatedAt: at(n) }, metadata: {} },
    );
  }
  events.push({ id: randomUUID(), type: 'CardDisputed', data: { disputeId: `d-${cardId}`, reason: 'FRAUD', description: 'x', openedAt: at(99) }, metadata: {} });
  return events;
}

/** card-projector as its own process, from the TypeScript sources (no build needed). */
function startProjector(dataDir: string): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/card-projector/src/main.ts'], {
    cwd: ROOT,
    // No audit checkpoint (the projector signs one every AUDIT_CHECKPOINT_EVERY events): the log must stay exactly the cards' events.
    // A short projections lease: the restarted projector takes over soon after the killed one's lease expires.
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', AUDIT_CHECKPOINT_EVERY: '10000000', PROJECTION_LEASE_TTL_MS: '2000', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function dump(store: ReadStore, collection: string): Promise<ReadDocument[]> {
  const docs: ReadDocument[] = [];
  for await (const doc of store.scan(collection)) docs.push(doc);
  return docs;
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe('card-projector killed with SIGKILL mid-stream, then restarted', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'projector-kill-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('ends with exactly the read models of an uninterrupted run: nothing lost, nothing counted twice', async () => {
    const events = SqliteEventStore.open(path.join(dataDir, 'events.db'));
    for (let i = 0; i < CARDS; i++) {
      const cardId = randomUUID();
      await events.appendToStream(`card-${cardId}`, history(cardId, i), { expectedRevision: 'no_stream' });
    }
    const head = await events.headPosition();
    const total = CARDS * EVENTS_PER_CARD;
    expect(head?.commit).toBe(BigInt(total));

    // First run: killed as soon as it has committed something, well before the end.
    const first = startProjector(dataDir);
    let stderr = '';
    first.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    const watcher = SqliteReadStore.open(path.join(dataDir, 'read-models.db'));
    let appliedAtKill = 0;
    for (let i = 0; i < 6000; i++) {
      const checkpoint = await watcher.checkpoint('cards').catch(() => null);
      appliedAtKill = checkpoint?.eventsApplied ?? 0;
      if (appliedAtKill > 0) break;
      if (first.exitCode !== null) throw new Error(`card-projector exited early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    first.kill('SIGKILL');
    await exited(first);
    const afterKill = (await watcher.checkpoint('cards'))?.eventsApplied ?? 0;
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(total);

    // Second run: picks up from the checkpoints and finishes.
    const second = startProjector(dataDir);
    try {
      expect(await waitForProjections(watcher, head!, ALL_PROJECTIONS.map((p) => p.name), 90_000)).toBe(true);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    for (const projection of ALL_PROJECTIONS) {
      expect({ projection: projection.name, applied: (await watcher.checkpoint(projection.name))?.eventsApplied }).toEqual({ projection: projection.name, applied: total });
    }

    // An uninterrupted run in this process, into a fresh store, is the reference.
    const reference = SqliteReadStore.open(':memory:');
    const runner = new ProjectionRunner(events, reference, ALL_PROJECTIONS);
    await runner.start();
    expect(await waitForProjections(reference, head!, ALL_PROJECTIONS.map((p) => p.name), 60_000)).toBe(true);
    await runner.stop();
    for (const collection of ['cards', 'disputes', 'verification_failures']) {
      expect(await dump(watcher, collection)).toEqual(await dump(reference, collection));
    }
    expect(await watcher.count('cards', { disputeCount: 1, status: 'DISPUTED' })).toBe(CARDS);

    await reference.close();
    await watcher.close();
    await events.close();
  });
});
