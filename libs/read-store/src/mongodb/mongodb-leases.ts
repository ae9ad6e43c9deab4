import type { Collection, Document } from 'mongodb';
import type { Lease, LeaseAttempt } from '../read-store.port';

/** A lease as stored: `_id` is its name; times are BSON dates set from the server's clock (`$$NOW`). */
export interface LeaseDocument {
  _id: string;
  holder: string;
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date;
}

/** E11000: the upsert tried to insert a lease another holder has (its filter did not match the stored one). */
const DUPLICATE_KEY = 11000;

function toLease(document: Document): Lease {
  return {
    name: String(document._id),
    holder: String(document.holder),
    acquiredAt: (document.acquiredAt as Date).toISOString(),
    renewedAt: (document.renewedAt as Date).toISOString(),
    expiresAt: (document.expiresAt as Date).toISOString(),
  };
}

/**
 * Takes or renews a lease in one findOneAndUpdate: the filter matches the lease only when `holder` has it or it has
 * expired by the server's clock, and the update (a pipeline, so it can read `$$NOW` and the stored holder) sets the
 * new holder and expiry. `upsert` inserts a lease nobody has taken yet. When the lease exists but another holder has
 * it unexpired, the filter matches nothing and the upsert's insert fails on the duplicate `_id`: that failure is the
 * answer "not acquired". Two processes inserting a new lease at once: the unique `_id` lets one insert win, and the
 * other gets the duplicate key. Each attempt is one atomic single-document write, with majority write concern.
 */
export async function acquireMongoLease(leases: Collection<LeaseDocument>, name: string, holder: string, ttlMs: number): Promise<LeaseAttempt> {
  // A lease released between a refused attempt and the read of the holder is simply tried again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const taken = await leases.findOneAndUpdate(
        { _id: name, $or: [{ holder }, { $expr: { $lte: ['$expiresAt', '$$NOW'] } }] },
        [
          {
            $set: {
              acquiredAt: {
                $cond: [{ $and: [{ $eq: ['$holder', holder] }, { $gt: ['$expiresAt', '$$NOW'] }] }, '$acquiredAt', '$$NOW'],
              },
              holder: { $literal: holder },
              renewedAt: '$$NOW',
              expiresAt: { $add: ['$$NOW', ttlMs] },
            },
          },
        ],
        { upsert: true, returnDocument: 'after', includeResultMetadata: false, writeConcern: { w: 'majority' } },
      );
      if (taken !== null) return { acquired: taken.holder === holder, lease: toLease(taken) };
    } catch (error) {
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
    }
    const current = await leases.findOne({ _id: name }, { readPreference: 'primary' });
    if (current !== null) return { acquired: false, lease: toLease(current) };
  }
  throw new Error(`Lease ${name} kept being taken and released while ${holder} tried to take it`);
}

export async function releaseMongoLease(leases: Collection<LeaseDocument>, name: string, holder: string): Promise<boolean> {
  const result = await leases.deleteOne({ _id: name, holder }, { writeConcern: { w: 'majority' } });
  return result.deletedCount === 1;
}

export async function readMongoLease(leases: Collection<LeaseDocument>, name: string): Promise<Lease | null> {
  const document = await leases.findOne({ _id: name }, { readPreference: 'primary' });
  return document === null ? null : toLease(document);
}
