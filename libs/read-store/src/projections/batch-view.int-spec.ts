import { SqliteReadStore } from '../sqlite/sqlite-read-store';
import type { ReadDocument, WriteOp } from '../read-store.port';
import { applyOp, BatchView } from './batch-view';

describe('BatchView', () => {
  let store: SqliteReadStore;
  let reads: string[];
  let view: BatchView;

  beforeEach(async () => {
    store = SqliteReadStore.open(':memory:');
    await store.ensureCollections([{ name: 'things', indexes: [] }]);
    await store.commit('p', { commit: 1n, prepare: 1n }, 1, [
      { kind: 'upsert', collection: 'things', id: 'a', set: { n: 1, label: 'stored' } },
      { kind: 'upsert', collection: 'things', id: 'gone', set: { n: 9 } },
    ]);
    reads = [];
    // The real store, counting what the view reads from it.
    view = new BatchView({ get: (collection, id) => (reads.push(id), store.get(collection, id)) });
  });

  afterEach(() => store.close());

  it('given writes to documents nobody reads back, when they are recorded, then the store is not read', async () => {
    await view.apply([
      { kind: 'upsert', collection: 'things', id: 'new-1', set: { n: 1 } },
      { kind: 'upsert', collection: 'things', id: 'new-2', set: { n: 2 } },
      { kind: 'increment', collection: 'things', id: 'a', by: { n: 1 } },
    ]);
    expect(reads).toEqual([]);
  });

  it('given a batch of ops, when each document is read, then it equals the stored document with the ops applied in order', async () => {
    const ops: WriteOp[] = [
      { kind: 'increment', collection: 'things', id: 'a', by: { n: 2 } },
      { kind: 'upsert', collection: 'things', id: 'a', set: { label: 'changed' }, unset: ['missing'] },
      { kind: 'delete', collection: 'things', id: 'gone' },
      { kind: 'upsert', collection: 'things', id: 'gone', set: { n: 1 } },
      { kind: 'increment', collection: 'things', id: 'fresh', by: { n: 5 } },
    ];
    await view.apply(ops.slice(0, 2));
    expect(await view.get('things', 'a')).toEqual({ _id: 'a', n: 3, label: 'changed' });
    await view.apply(ops.slice(2));
    await view.apply([{ kind: 'increment', collection: 'things', id: 'a', by: { n: 10 } }]);

    const expected = async (id: string): Promise<ReadDocument | null> => {
      let doc = await store.get('things', id);
      for (const op of [...ops, { kind: 'increment', collection: 'things', id: 'a', by: { n: 10 } } as WriteOp].filter((o) => o.id === id)) doc = applyOp(doc, op);
      return doc;
    };
    for (const id of ['a', 'gone', 'fresh', 'untouched']) expect([id, await view.get('things', id)]).toEqual([id, await expected(id)]);
    // 'gone' was deleted before it was read: the store was never asked for it.
    expect(reads.sort()).toEqual(['a', 'fresh', 'untouched']);
  });

  it('given a document read once, when a projection changes what it was given, then the view is not changed', async () => {
    const first = await view.get('things', 'a');
    (first as unknown as { n: number }).n = 100;
    expect(await view.get('things', 'a')).toEqual({ _id: 'a', n: 1, label: 'stored' });
    expect(reads).toEqual(['a']);
  });
});
