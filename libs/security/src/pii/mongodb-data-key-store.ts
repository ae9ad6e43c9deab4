import { MongoClient, type Collection, type Db, type MongoClientOptions } from 'mongodb';
import { isMongoUnavailable } from '@cards/read-store';
import {
  assertErasure,
  assertListArguments,
  assertMasterKeyId,
  assertSubjectId,
  assertWrappedKey,
  sameWrappedKey,
} from './data-key-rules';
import { DataKeyConflictError, DataKeyStoreUnavailableError, PersonalDataErasedError } from './errors';
import type {
  CreateDataKeyOutcome,
  DataKeyStore,
  DestroyDataKeyOutcome,
  Erasure,
  RewrapOutcome,
  WrappedKey,
  WrappedKeyEntry,
} from './key-store.port';

export const DATA_KEYS_COLLECTION = 'pii_data_keys';

export interface MongoDataKeyStoreOptions extends MongoClientOptions {
  /** The database to use; default: the one named in the connection string's path. */
  readonly database?: string;
  /** Default `pii_data_keys`. */
  readonly collection?: string;
}

/**
 * One document per subject, `_id` = subject id (so one key per subject is the server's own guarantee).
 * 'active': the wrapped key, bytes as base64 strings. 'erased' (the tombstone): only the erasure's record.
 */
interface KeyDocument {
  _id: string;
  state: 'active' | 'erased';
  masterKeyId?: string;
  iv?: string;
  ciphertext?: string;
  tag?: string;
  createdAt?: string;
  rewrappedAt?: string;
  erasedAt?: string;
  erasedBy?: string;
  erasureReason?: string;
}

const APP_NAME = 'card-lifecycle';
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;
const DUPLICATE_KEY = 11000;
/** A racing writer can make a conditional write miss twice in a row at most; more means something is wrong. */
const MAX_ATTEMPTS = 3;

/**
 * The production key store: a thin adapter over the MongoDB driver, collection `pii_data_keys`.
 *
 * Losing a data key loses the subject's personal data, so every write waits for a majority of the replica set
 * and its journal, and every read is a majority read: a key is never used before it is safe from a rollback.
 *
 * destroy replaces the document with a tombstone. What MongoDB keeps of the old document afterwards is out of
 * the adapter's reach: the oplog entry of the insert (until the oplog window passes), WiredTiger's history and
 * free blocks (until reused or compacted) and backups. Those hold the key only wrapped under the master key;
 * bound the oplog window and backup retention, and rotate the master key after a leak.
 */
export class MongoDataKeyStore implements DataKeyStore {
  readonly kind = 'mongodb';

  /**
   * Creates the client; it connects on first use, so a store made while the server is down reports itself
   * unavailable and works once the server is back. The index for rotation is created on first connect.
   */
  static connect(url: string, options: MongoDataKeyStoreOptions = {}): MongoDataKeyStore {
    const { database, collection, ...clientOptions } = options;
    const client = new MongoClient(url, { ...defaultClientOptions(url), ...clientOptions });
    return new MongoDataKeyStore(client, client.db(database), collection ?? DATA_KEYS_COLLECTION);
  }

  private readonly keys: Collection<KeyDocument>;
  private ready = false;
  private connecting: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    collectionName: string,
  ) {
    this.keys = db.collection<KeyDocument>(collectionName, {
      writeConcern: { w: 'majority', journal: true },
      readConcern: { level: 'majority' },
      readPreference: 'primary',
    });
  }

  async create(subjectId: string, wrapped: WrappedKey): Promise<CreateDataKeyOutcome> {
    assertSubjectId(subjectId);
    assertWrappedKey(wrapped);
    return this.mapped('store a data key', async () => {
      try {
        await this.keys.insertOne({
          _id: subjectId,
          state: 'active',
          masterKeyId: wrapped.masterKeyId,
          iv: wrapped.iv,
          ciphertext: wrapped.ciphertext,
          tag: wrapped.tag,
          createdAt: wrapped.createdAt,
        });
        return 'created';
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const stored = await this.keys.findOne({ _id: subjectId });
      if (stored?.state === 'erased') throw new PersonalDataErasedError(subjectId);
      if (stored !== null && sameWrappedKey(toWrappedKey(stored), wrapped)) return 'unchanged';
      // Null here: a racing insert not yet on a majority. Either way the caller must use the other key.
      throw new DataKeyConflictError(subjectId);
    });
  }

  async get(subjectId: string): Promise<WrappedKey | null | 'erased'> {
    assertSubjectId(subjectId);
    const stored = await this.mapped('read', () => this.keys.findOne({ _id: subjectId }));
    if (stored === null) return null;
    return stored.state === 'erased' ? 'erased' : toWrappedKey(stored);
  }

  async destroy(subjectId: string, erasure: Erasure): Promise<DestroyDataKeyOutcome> {
    assertSubjectId(subjectId);
    assertErasure(erasure);
    const tombstone = { state: 'erased' as const, erasedAt: erasure.at, erasedBy: erasure.by, erasureReason: erasure.reason };
    return this.mapped('destroy a data key', async () => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          // Matches only an active key, so an earlier erasure's record is never overwritten: on a tombstone the
          // upsert's insert collides with the _id instead.
          const result = await this.keys.findOneAndReplace({ _id: subjectId, state: 'active' }, tombstone, {
            upsert: true,
            returnDocument: 'before',
            includeResultMetadata: true,
            projection: { _id: 1 },
          });
          return result.value !== null && result.value !== undefined ? 'destroyed' : 'no_key';
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
        const stored = await this.keys.findOne({ _id: subjectId }, { projection: { state: 1 } });
        if (stored?.state === 'erased') return 'already_erased';
        // A key was inserted between the two: replace it on the next round.
        if (attempt >= MAX_ATTEMPTS) throw new Error(`Destroying the data key of subject ${subjectId} keeps racing with writers; try again`);
      }
    });
  }

  async erasureOf(subjectId: string): Promise<Erasure | null> {
    assertSubjectId(subjectId);
    const stored = await this.mapped('read', () => this.keys.findOne({ _id: subjectId, state: 'erased' }));
    if (stored === null) return null;
    return { by: stored.erasedBy ?? '', reason: stored.erasureReason ?? '', at: stored.erasedAt ?? '' };
  }

  async listWrappedUnder(masterKeyId: string, limit: number, after?: string): Promise<WrappedKeyEntry[]> {
    assertListArguments(masterKeyId, limit, after);
    const filter = after === undefined ? { state: 'active' as const, masterKeyId } : { state: 'active' as const, masterKeyId, _id: { $gt: after } };
    const stored = await this.mapped('read', () => this.keys.find(filter).sort({ _id: 1 }).limit(limit).toArray());
    return stored.map((document) => ({ subjectId: document._id, wrapped: toWrappedKey(document) }));
  }

  async countWrappedUnder(masterKeyId: string): Promise<number> {
    assertMasterKeyId(masterKeyId);
    // The same filter as listWrappedUnder, so the partial index active_by_master_key answers it.
    return this.mapped('read', () => this.keys.countDocuments({ state: 'active', masterKeyId }));
  }

  async rewrap(subjectId: string, expectedOldMasterKeyId: string, newWrapped: WrappedKey): Promise<RewrapOutcome> {
    assertSubjectId(subjectId);
    assertMasterKeyId(expectedOldMasterKeyId);
    assertWrappedKey(newWrapped);
    return this.mapped('rewrap a data key', async () => {
      const result = await this.keys.updateOne(
        { _id: subjectId, state: 'active', masterKeyId: expectedOldMasterKeyId },
        {
          $set: {
            masterKeyId: newWrapped.masterKeyId,
            iv: newWrapped.iv,
            ciphertext: newWrapped.ciphertext,
            tag: newWrapped.tag,
            rewrappedAt: new Date().toISOString(),
          },
        },
      );
      if (result.matchedCount === 1) return 'rewrapped';
      const stored = await this.keys.findOne({ _id: subjectId }, { projection: { state: 1 } });
      if (stored === null) return 'missing';
      return stored.state === 'erased' ? 'erased' : 'conflict';
    });
  }

  async ping(): Promise<void> {
    await this.mapped('answer', () => this.db.command({ ping: 1 }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    await this.client.close();
  }

  /**
   * Connects once (and creates the rotation index). An explicit connect() after a failed one builds a fresh
   * topology, so a store started while its server was down recovers; the driver's implicit connect would not.
   */
  private async connected(): Promise<void> {
    if (this.closed) throw new DataKeyStoreUnavailableError('MongoDB data key store is closed');
    if (this.ready) return;
    this.connecting ??= (async () => {
      await this.client.connect();
      // Repeating an identical index spec does nothing.
      await this.keys.createIndexes([
        { key: { masterKeyId: 1, _id: 1 }, name: 'active_by_master_key', partialFilterExpression: { state: 'active' } },
      ]);
      this.ready = true;
    })().finally(() => {
      this.connecting = undefined;
    });
    await this.connecting;
  }

  private async mapped<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      await this.connected();
      return await work();
    } catch (error) {
      if (error instanceof DataKeyStoreUnavailableError) throw error;
      if (isMongoUnavailable(error)) {
        throw new DataKeyStoreUnavailableError(`MongoDB data key store cannot ${what} now: ${(error as Error).message}`, error);
      }
      throw error;
    }
  }
}

function toWrappedKey(document: KeyDocument): WrappedKey {
  return {
    masterKeyId: document.masterKeyId!,
    iv: document.iv!,
    ciphertext: document.ciphertext!,
    tag: document.tag!,
    createdAt: document.createdAt!,
  };
}

/** Options an operator may also set in the URL (`?appName=…`, `?serverSelectionTimeoutMS=…`): the URL wins. */
function defaultClientOptions(url: string): MongoClientOptions {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1).toLowerCase() : '';
  const named = (name: string): boolean => query.split('&').some((pair) => pair.split('=')[0] === name);
  const defaults: MongoClientOptions = {};
  if (!named('appname')) defaults.appName = APP_NAME;
  if (!named('serverselectiontimeoutms')) defaults.serverSelectionTimeoutMS = DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  return defaults;
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  errorLabels?: unknown;
}

function shapeOf(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
}

function isDuplicateKey(error: unknown): boolean {
  return shapeOf(error).code === DUPLICATE_KEY;
}

