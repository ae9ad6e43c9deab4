import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, type EventToAppend } from '@cards/event-store';
import { ALL_PROJECTIONS, SqliteReadStore, waitForProjections } from '@cards/read-store';
import { startService } from '../../card-api/test/support/service-process';

jest.setTimeout(240_000);

const CARDS = 600;
const EVENTS_PER_CARD = 30;

/** A card issued, then suspended and reinstated over and over. */
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
  for (let n = 1; events.length < EVENTS_PER_CARD; n++) {
    events.push(
      n % 2 === 1
        ? { id: randomUUID(), type: 'CardSuspended', data: { reason: `r${n}`, suspendedAt: at(n) }, metadata: {} }
        : { id: randomUUID(), type: 'CardReinstated', data: { reinstatedAt: at(n) }, metadata: {} },
    );
  }
  return events;
}

describe('card-projector stops gracefully on SIGTERM mid-stream', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'projector-sigterm-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('commits its last batch and checkpoint, closes the stores and exits 0; restarted, it applies every event exactly once', async () => {
    const events = SqliteEventStore.open(path.join(dataDir, 'events.db'));
    for (let i = 0; i < CARDS; i++) {
      const cardId = randomUUID();
      await events.appendToStream(`card-${cardId}`, history(cardId, i), { expectedRevision: 'no_stream' });
    }
    const head = (await events.headPosition())!;
    await events.close();
    const total = CARDS * EVENTS_PER_CARD;
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info', AUDIT_CHECKPOINT_EVERY: '10000000' };
    const projections = ALL_PROJECTIONS.map((p) => p.name);

    const first = await startService('apps/card-projector/src/main.ts', env, path.join(dataDir, 'first.out'));
    // Signal as soon as it has committed something, while it is still catching up. (The test's own connection is
    // closed first: SQLite removes a WAL only when the last connection to the file closes.)
    const peek = SqliteReadStore.open(path.join(dataDir, 'read-models.db'));
    for (let i = 0; i < 3000 && ((await peek.checkpoint('cards').catch(() => null))?.eventsApplied ?? 0) === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await peek.close();
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const log = first.log();
    expect(log).toMatch(/card-projector received SIGTERM: stopping/);
    expect(log).toMatch(/Stores closed/);
    expect(log).toMatch(/card-projector stopped cleanly in \d+ ms/);
    for (const file of ['events.db', 'read-models.db']) {
      const wal = path.join(dataDir, `${file}-wal`);
      expect({ file, walBytes: fs.existsSync(wal) ? fs.statSync(wal).size : 0 }).toEqual({ file, walBytes: 0 });
    }
    const watcher = SqliteReadStore.open(path.join(dataDir, 'read-models.db'));
    const atStop = (await watcher.checkpoint('cards'))?.eventsApplied ?? 0;
    expect(atStop).toBeGreaterThan(0);
    // eslint-disable-next-line no-console
    console.log(`cards projection had applied ${atStop} of ${total} events when it stopped`);

    // Restarted: it goes on from the checkpoints it committed at the stop.
    const second = await startService('apps/card-projector/src/main.ts', env, path.join(dataDir, 'second.out'));
    try {
      expect(await waitForProjections(watcher, head, projections, 120_000)).toBe(true);
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toEqual({ code: 0, signal: null });
    for (const name of projections) {
      expect({ name, applied: (await watcher.checkpoint(name))?.eventsApplied }).toEqual({ name, applied: total });
    }
    // Suspended and reinstated in turn, ending suspended: each event applied once, in order.
    expect(await watcher.count('cards')).toBe(CARDS);
    expect(await watcher.count('cards', { status: 'SUSPENDED' })).toBe(CARDS);
    await watcher.close();
  });
});
