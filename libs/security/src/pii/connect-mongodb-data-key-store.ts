import type { MongoDataKeyStore, MongoDataKeyStoreOptions } from './mongodb-data-key-store';

/**
 * MongoDataKeyStore.connect, with the adapter and the MongoDB driver loaded only now: a process whose keys are in
 * the embedded SQLite file never loads them. A relative import, so that the compiled `dist` resolves it without the
 * `@cards/...` aliases (nest build rewrites only static imports).
 */
export async function connectMongoDataKeyStore(url: string, options?: MongoDataKeyStoreOptions): Promise<MongoDataKeyStore> {
  const { MongoDataKeyStore } = await import('./mongodb-data-key-store');
  return MongoDataKeyStore.connect(url, options);
}
