import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * card-api on the embedded SQLite stores loads neither the MongoDB driver nor the EventStoreDB client: together they
 * cost it some 10 MiB of live heap and 13 MiB of resident memory at rest (docs/performance.md, row 9). They are
 * loaded when a store of theirs is configured. Jest calls a module's factory when something first requires it; the
 * service's modules are imported inside the tests, once the factories can record.
 */
const mockLoaded = new Set<string>();
jest.mock('mongodb', () => {
  mockLoaded.add('mongodb');
  return jest.requireActual('mongodb');
});
jest.mock('@eventstore/db-client', () => {
  mockLoaded.add('@eventstore/db-client');
  return jest.requireActual('@eventstore/db-client');
});

describe('the drivers of the external stores are loaded on demand', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-drivers-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('card-api on SQLite starts, answers and stops without loading them', async () => {
    const { startTestApp } = await import('./support/test-app');
    const app = await startTestApp(dataDir);
    try {
      await app.http().get('/health/ready').expect(200);
    } finally {
      await app.close();
    }
    expect([...mockLoaded]).toEqual([]);
  });

  it('connecting a MongoDB or EventStoreDB store loads its driver', async () => {
    const { connectEventStoreDb } = await import('@cards/event-store');
    const { connectMongoReadStore } = await import('@cards/read-store');
    const { connectMongoDataKeyStore } = await import('@cards/security');
    // Nothing listens there: the clients connect on first use, and nothing here uses them.
    const reads = await connectMongoReadStore('mongodb://127.0.0.1:9/cards?serverSelectionTimeoutMS=200');
    const keys = await connectMongoDataKeyStore('mongodb://127.0.0.1:9/cards?serverSelectionTimeoutMS=200');
    const events = await connectEventStoreDb('esdb://127.0.0.1:9?tls=false');
    try {
      expect([...mockLoaded].sort()).toEqual(['@eventstore/db-client', 'mongodb']);
      expect([reads.kind, keys.kind, events.kind]).toEqual(['mongodb', 'mongodb', 'eventstoredb']);
    } finally {
      await reads.close();
      await keys.close();
      await events.close();
    }
  });
});
