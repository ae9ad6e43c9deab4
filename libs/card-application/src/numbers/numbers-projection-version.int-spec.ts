import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '@cards/event-store';
import { ProjectionRunner, SqliteReadStore, waitForProjections, type Projection, type ReadDocument, type RunnerLogger } from '@cards/read-store';
import { NUMBERS_IMPORTED, type NumbersImportedData } from './number-inventory';
import { NUMBERS, numbersProjection } from './numbers.projection';

/**
 * The `numbers` projection as the build before version 2 ran it: no version, documents without `shape`, and an
 * index on (region, availableFrom) instead of the one on shape.
 */
const numbersVersion1: Projection = {
  name: numbersProjection.name,
  collections: [
    {
      name: NUMBERS,
      indexes: [
        ...numbersProjection.collections[0].indexes.filter((keys) => keys[0].field !== 'shape'),
        [{ field: 'region', direction: 'asc' }, { field: 'availableFrom', direction: 'asc' }],
      ],
    },
    numbersProjection.collections[1],
  ],
  async project(event, view) {
    const ops = await numbersProjection.project(event, view);
    return ops.map((op) => {
      if (op.kind !== 'upsert' || !('shape' in op.set)) return op;
      const { shape: _shape, ...set } = op.set;
      return { ...op, set };
    });
  },
};

describe('numbers projection, current version (2: shape; 3: block regions, tier indexes) on a store projected by version 1', () => {
  let dir: string;
  let events: SqliteEventStore;
  let readStore: SqliteReadStore;
  const readStoreFile = () => path.join(dir, 'read-models.db');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'numbers-version-'));
    events = SqliteEventStore.open(path.join(dir, 'events.db'));
    readStore = SqliteReadStore.open(readStoreFile());
  });
  afterEach(async () => {
    await readStore.close();
    await events.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runToHead(projection: Projection, logger?: RunnerLogger): Promise<void> {
    const runner = new ProjectionRunner(events, readStore, [projection], logger ? { logger } : {});
    await runner.start();
    try {
      const head = await events.headPosition();
      expect(head).not.toBeNull();
      expect(await waitForProjections(readStore, head!, [projection.name], 20_000)).toBe(true);
    } finally {
      await runner.stop();
    }
  }

  const numberIndexes = (): string[] => {
    const db = new Database(readStoreFile(), { readonly: true });
    try {
      return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_numbers_%' ORDER BY name").pluck().all() as string[];
    } finally {
      db.close();
    }
  };

  it('rebuilds the read model when the current version starts: every number gets its shape, blocks their regions, the old index goes', async () => {
    const msisdns = ['13800138888', '13800131234', '13800131122', '13800135806'];
    const data: NumbersImportedData = {
      importId: 'import-1',
      numbers: msisdns.map((msisdn) => ({ msisdn, region: '010', tier: 'STANDARD', tierSource: 'RULES' })),
      importedAt: '2026-11-01T00:00:00.000Z',
    };
    await events.appendToStream('number-block-1380013', [{ id: randomUUID(), type: NUMBERS_IMPORTED, data: data as never, metadata: {} }], {
      expectedRevision: 'no_stream',
    });

    await runToHead(numbersVersion1);
    // A file exactly as the build before versions left it: checkpoints, and no projection_versions table.
    await readStore.close();
    const raw = new Database(readStoreFile());
    raw.exec('DROP TABLE projection_versions');
    raw.close();
    readStore = SqliteReadStore.open(readStoreFile());
    const before = (await readStore.find(NUMBERS, { limit: 10 })) as ReadDocument[];
    expect(before).toHaveLength(4);
    for (const document of before) expect(document).not.toHaveProperty('shape');
    expect(numberIndexes().some((name) => name.includes('availableFrom'))).toBe(true);
    expect(await readStore.projectionVersion('numbers')).toBeNull();

    const warnings: string[] = [];
    await runToHead(numbersProjection, { log: () => undefined, warn: (message) => warnings.push(message), error: () => undefined });

    expect(numbersProjection.version).toBe(3);
    expect(warnings).toEqual(['projection numbers changed (version 1 → 3): rebuilding from zero']);
    expect(await readStore.projectionVersion('numbers')).toBe(3);
    const after = await readStore.find(NUMBERS, { sort: [{ field: 'msisdn', direction: 'asc' }], limit: 10 });
    expect(after.map((document) => [document.msisdn, document.shape, document.slot])).toEqual([
      ['13800131122', 'AABB', 2],
      ['13800131234', 'ABCD', 1],
      ['13800135806', null, 3],
      ['13800138888', 'AAAA', 0],
    ]);
    expect(await readStore.checkpoint('numbers')).toMatchObject({ eventsApplied: 1 });
    expect(await readStore.get('number_buckets', '010|STANDARD')).toMatchObject({ size: 4 });
    expect(await readStore.get('number_blocks', '1380013')).toEqual({ _id: '1380013', numbers: 4, regions: ['010'] });
    const indexes = numberIndexes();
    expect(indexes.some((name) => name.includes('availableFrom'))).toBe(false);
    expect(indexes.some((name) => name.includes('shape'))).toBe(true);
    expect(indexes.some((name) => name.includes('tierRank'))).toBe(false);
  });
});
