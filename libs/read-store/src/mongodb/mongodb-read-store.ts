import { MongoClient, type ClientSession, type Collection, type Db, type MongoClientOptions, type TransactionOptions } from 'mongodb';
import { comparePositions } from '@cards/event-store';
import {
  assertBatchSize,
  assertCollectionName,
  assertDocumentId,
  assertEventsInBatch,
  assertFindOptions,
  assertPosition,
  assertProjectionName,
  assertWriteOps,
  CHECKPOINTS_COLLECTION,
  effectiveSort,
  parseFilter,
} from '../read-store-rules';
import {
  ReadStoreUnavailableError,
  type Checkpoint,
  type CollectionDefinition,
  type Filter,
  type FindOptions,
  type Position,
  type ReadDocument,
  type ReadStore,
  type WriteOp,
} from '../read-store.port';
import {
  checkpointUpdate,
  type CheckpointDocument,
  type CollectionWrites,
  defaultClientOptions,
  findFilter,
  indexDescriptions,
  mapMongoError,
  type StoredDocument,
  toCheckpoint,
  toCollectionWrites,
  toMongoFilter,
  toMongoSort,
} from './mongodb-translation';

export interface MongoReadStoreOptions extends MongoClientOptions {
  /** The database to use; default: the one named in the connection string's path. */
  readonly database?: string;
}

const DEFAULT_SCAN_BATCH_SIZE = 500;
/** NamespaceExists: createCollection of a collection that is already there. */
const NAMESPACE_EXISTS = 48;

/**
 * A commit must see the latest checkpoint and be durable on a majority before it counts as done; a write
 * conflict on the checkpoint document (two writers of one projection) aborts one of them, which the driver
 * retries, and which then finds the checkpoint moved and applies nothing.
 */
const TRANSACTION_OPTIONS: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};

/**
 * The production read store: a thin adapter over the MongoDB driver. Each collection of the port is a MongoDB
 * collection, documents keep their fields as they are with `_id` = id, and checkpoints live in the
 * `checkpoints` collection with Int64 positions. Commits and resets are transactions, which need a replica set
 * (one node is enough) or a sharded cluster.
 */
export class MongoReadStore implements ReadStore {
  readonly kind = 'mongodb';

  /**
   * Creates the client; it connects on first use, so a store made while the server is down starts, reports
   * itself unavailable (ping, queries), and works once the server is back (see `connected`).
   */
  static connect(url: string, options: MongoReadStoreOptions = {}): MongoReadStore {
    const { database, ...clientOptions } = options;
    const client = new MongoClient(url, { ...defaultClientOptions(url), ...clientOptions });
    return new MongoReadStore(client, client.db(database));
  }

  private isConnected = false;
  private connecting: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  async ensureCollections(definitions: readonly CollectionDefinition[]): Promise<void> {
    const specs = definitions.map((definition) => {
      assertCollectionName(definition.name);
      definition.indexes.forEach((keys) => effectiveSort(keys));
      return { name: definition.name, indexes: indexDescriptions(definition) };
    });
    await this.mapped('create collections and indexes', async () => {
      // Created up front, so no commit has to create a collection inside its transaction.
      const existing = new Set((await this.db.listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name));
      for (const { name, indexes } of specs) {
        if (!existing.has(name)) await this.createCollection(name);
        if (indexes.length > 0) await this.collection(name).createIndexes(indexes);
      }
      if (!existing.has(CHECKPOINTS_COLLECTION)) await this.createCollection(CHECKPOINTS_COLLECTION);
    });
  }

  async get(collection: string, id: string): Promise<ReadDocument | null> {
    assertCollectionName(collection);
    assertDocumentId(id);
    const document = await this.mapped('read', () => this.collection(collection).findOne({ _id: id }));
    return document as ReadDocument | null;
  }

  async find(collection: string, options: FindOptions): Promise<ReadDocument[]> {
    assertCollectionName(collection);
    const keys = assertFindOptions(options);
    const filter = findFilter(parseFilter(options.filter), keys, options.after);
    const documents = await this.mapped('read', () =>
      this.collection(collection).find(filter, { sort: toMongoSort(keys), limit: options.limit }).toArray(),
    );
    return documents as ReadDocument[];
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    assertCollectionName(collection);
    const mongoFilter = toMongoFilter(parseFilter(filter));
    return this.mapped('read', () => this.collection(collection).countDocuments(mongoFilter));
  }

  async *scan(collection: string, filter?: Filter, batchSize = DEFAULT_SCAN_BATCH_SIZE): AsyncIterable<ReadDocument> {
    assertCollectionName(collection);
    assertBatchSize(batchSize);
    const mongoFilter = toMongoFilter(parseFilter(filter));
    await this.mapped('read', () => this.connected());
    const cursor = this.collection(collection).find(mongoFilter, { sort: { _id: 1 }, batchSize });
    try {
      for await (const document of cursor) yield document as ReadDocument;
    } catch (error) {
      throw mapMongoError(error, 'read');
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  async commit(projection: string, position: Position, eventsInBatch: number, ops: readonly WriteOp[]): Promise<boolean> {
    assertProjectionName(projection);
    assertPosition(position);
    assertEventsInBatch(eventsInBatch);
    assertWriteOps(ops);
    const groups = toCollectionWrites(ops);
    const now = new Date().toISOString();
    // The group being written, to name the op behind a write error (read after the transaction has ended).
    let writing: CollectionWrites | undefined;
    try {
      await this.connected();
      return await this.inTransaction(async (session) => {
        const stored = await this.checkpoints().findOne({ _id: projection }, { session, useBigInt64: true });
        const storedPosition = stored === null ? null : toCheckpoint(stored).position;
        if (storedPosition !== null && comparePositions(storedPosition, position) >= 0) return false;
        for (const group of groups) {
          writing = group;
          await this.collection(group.collection).bulkWrite(group.operations, { session, ordered: true });
        }
        writing = undefined;
        await this.checkpoints().updateOne({ _id: projection }, checkpointUpdate(position, eventsInBatch, now), {
          session,
          upsert: true,
        });
        return true;
      });
    } catch (error) {
      throw mapMongoError(error, 'commit', writing);
    }
  }

  async checkpoint(projection: string): Promise<Checkpoint | null> {
    assertProjectionName(projection);
    const stored = await this.mapped('read', () => this.checkpoints().findOne({ _id: projection }, { useBigInt64: true }));
    return stored === null ? null : toCheckpoint(stored);
  }

  async reset(projection: string, collections: readonly string[]): Promise<void> {
    assertProjectionName(projection);
    collections.forEach(assertCollectionName);
    await this.mapped('reset', () =>
      this.inTransaction(async (session) => {
        for (const collection of collections) await this.collection(collection).deleteMany({}, { session });
        await this.checkpoints().deleteOne({ _id: projection }, { session });
      }),
    );
  }

  async ping(): Promise<void> {
    await this.mapped('answer', () => this.db.command({ ping: 1 }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    await this.client.close();
  }

  private collection(name: string): Collection<StoredDocument> {
    return this.db.collection<StoredDocument>(name);
  }

  private checkpoints(): Collection<CheckpointDocument> {
    return this.db.collection<CheckpointDocument>(CHECKPOINTS_COLLECTION);
  }

  private async createCollection(name: string): Promise<void> {
    try {
      await this.db.createCollection(name);
    } catch (error) {
      // Another process created it between our listing and now.
      if ((error as { code?: unknown }).code !== NAMESPACE_EXISTS) throw error;
    }
  }

  /**
   * Runs `work` in a transaction on a session of its own. `work` may run more than once (the driver retries
   * transient errors), so it only talks to the database, passing `session` to every call, and lets every
   * error propagate.
   */
  private inTransaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    return this.client.withSession((session) => session.withTransaction(work, TRANSACTION_OPTIONS));
  }

  /**
   * Connects the client once. The driver connects by itself on first use, but if that first attempt fails it
   * keeps the closed topology and answers every later call with "Topology is closed", so a store started
   * while the server was down would never recover. An explicit connect() builds a fresh topology each time it
   * is called after a failure; once connected, the driver itself rides out later outages.
   */
  private async connected(): Promise<void> {
    if (this.closed) throw new ReadStoreUnavailableError('MongoDB read store is closed');
    if (this.isConnected) return;
    this.connecting ??= this.client
      .connect()
      .then(() => {
        this.isConnected = true;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    await this.connecting;
  }

  private async mapped<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      await this.connected();
      return await work();
    } catch (error) {
      throw mapMongoError(error, what);
    }
  }
}
