import type { MongoReadStore, MongoReadStoreOptions } from './mongodb-read-store';

/**
 * MongoReadStore.connect, with the adapter and the MongoDB driver loaded only now: a process on the embedded SQLite
 * store never loads them. A relative import, so that the compiled `dist` resolves it without the `@cards/...`
 * aliases (nest build rewrites only static imports).
 */
export async function connectMongoReadStore(url: string, options?: MongoReadStoreOptions): Promise<MongoReadStore> {
  const { MongoReadStore } = await import('./mongodb-read-store');
  return MongoReadStore.connect(url, options);
}
