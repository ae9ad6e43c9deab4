import { MongoClient, type ClientSession, type Collection, type Db, type MongoClientOptions, type TransactionOptions } from 'mongodb';
import { comparePositions } from '@cards/event-store';
import {
  assertBatchSize,
  assertCollectionName,
  assertDocumentId,
  assertEventsInBatch,
  assertFindOptions,
  assertLeaseArguments,
  assertPosition,
  assertProjectionName,
  assertProjectionVersion,
  assertWriteOps,
  CHECKPOINTS_COLLECTION,
  effectiveSort,
  LEASES_COLLECTION,
  parseFilter,
  PROJECTION_VERSIONS_COLLECTION,
} from '../read-store-rules';
import {
  ReadStoreUnavailableError,
  type Checkpoint,
  type CollectionDefinition,
  type Filter,
  type FindOptions,
  type Lease,
  type LeaseAttempt,
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
import { acquireMongoLease, type LeaseDocument, readMongoLease, releaseMongoLease } from './mongodb-leases';

export interface MongoReadStoreOptions extends MongoClientOptions {
  /** The database to use; default: the one named in the connection string's path. */
  readonly database?: string;
}

/** A projection's recorded version, in `projection_versions`: `{ _id: projection, version, recordedAt }`. */
interface ProjectionVersionDocument {
  _id: string;
  version: number;
  recordedAt: string;
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
 * `checkpoints` collection with Int64 positions, projection versions in `projection_versions`. Commits and resets
 * are transactions, which need a replica set
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
      if (!existing.has(PROJECTION_VERSIONS_COLLECTION)) await this.createCollection(PROJECTION_VERSIONS_COLLECTION);
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

  /**
   * One transaction. The new version is written last: should these writes ever be split (a reset too big for one
   * transaction), a crash before it leaves the old version recorded, so the next start finds the versions differ
   * and resets again, and never a new version over old documents.
   */
  async reset(projection: string, collections: readonly string[], version?: number): Promise<void> {
    assertProjectionName(projection);
    collections.forEach(assertCollectionName);
    if (version !== undefined) assertProjectionVersion(version);
    const now = new Date().toISOString();
    await this.mapped('reset', () =>
      this.inTransaction(async (session) => {
        for (const collection of collections) await this.collection(collection).deleteMany({}, { session });
        await this.checkpoints().deleteOne({ _id: projection }, { session });
        if (version !== undefined) {
          await this.projectionVersions().updateOne({ _id: projection }, { $set: { version, recordedAt: now } }, { session, upsert: true });
        }
      }),
    );
  }

  async projectionVersion(projection: string): Promise<number | null> {
    assertProjectionName(projection);
    const stored = await this.mapped('read', () => this.projectionVersions().findOne({ _id: projection }));
    return stored === null ? null : Number(stored.version);
  }

  async recordProjectionVersion(projection: string, version: number): Promise<void> {
    assertProjectionName(projection);
    assertProjectionVersion(version);
    const now = new Date().toISOString();
    await this.mapped('record a projection version', () =>
      this.projectionVersions().updateOne({ _id: projection }, { $set: { version, recordedAt: now } }, { upsert: true, writeConcern: { w: 'majority' } }),
    );
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseAttempt> {
    assertLeaseArguments(name, holder, ttlMs);
    return this.mapped('take a lease', () => acquireMongoLease(this.leases(), name, holder, ttlMs));
  }

  async releaseLease(name: string, holder: string): Promise<boolean> {
    assertLeaseArguments(name, holder);
    return this.mapped('release a lease', () => releaseMongoLease(this.leases(), name, holder));
  }

  async lease(name: string): Promise<Lease | null> {
    assertLeaseArguments(name, 'any');
    return this.mapped('read', () => readMongoLease(this.leases(), name));
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

  private projectionVersions(): Collection<ProjectionVersionDocument> {
    return this.db.collection<ProjectionVersionDocument>(PROJECTION_VERSIONS_COLLECTION);
  }

  private leases(): Collection<LeaseDocument> {
    return this.db.collection<LeaseDocument>(LEASES_COLLECTION);
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
