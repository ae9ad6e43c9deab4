import type Database from 'better-sqlite3';
import type { Lease, LeaseAttempt } from '../read-store.port';

/**
 * The leases table. Added beside the documents and checkpoints of schema version 1 without changing the version:
 * it is created when missing, and a build without leases simply never reads it.
 */
const LEASES_TABLE = `
  CREATE TABLE IF NOT EXISTS leases (
    name           TEXT    PRIMARY KEY,
    holder         TEXT    NOT NULL,
    acquired_at_ms INTEGER NOT NULL,
    renewed_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL
  );
`;

interface LeaseRow {
  name: string;
  holder: string;
  acquired_at_ms: bigint;
  renewed_at_ms: bigint;
  expires_at_ms: bigint;
}

const iso = (ms: bigint): string => new Date(Number(ms)).toISOString();

function toLease(row: LeaseRow): Lease {
  return {
    name: row.name,
    holder: row.holder,
    acquiredAt: iso(row.acquired_at_ms),
    renewedAt: iso(row.renewed_at_ms),
    expiresAt: iso(row.expires_at_ms),
  };
}

/**
 * Leases in the embedded read store. One conditional UPSERT takes or renews a lease: it inserts the row, or updates
 * it only when this holder already has it or it has expired; the number of changed rows says whether it did. It runs
 * in an IMMEDIATE transaction with the read that follows, so two processes on one file are serialised by SQLite's
 * write lock and exactly one of them gets a free lease. Expiry is judged by this machine's clock, which is every
 * process's clock: they share the file.
 */
export class SqliteLeases {
  private readonly acquireInTransaction: (name: string, holder: string, ttlMs: number, nowMs: number) => LeaseAttempt;
  private readonly releaseStatement: Database.Statement<[string, string]>;
  private readonly readStatement: Database.Statement<[string], LeaseRow>;

  constructor(private readonly db: Database.Database) {
    db.exec(LEASES_TABLE);
    const upsert = db.prepare(
      `INSERT INTO leases (name, holder, acquired_at_ms, renewed_at_ms, expires_at_ms) VALUES (@name, @holder, @now, @now, @expires)
       ON CONFLICT (name) DO UPDATE SET
         acquired_at_ms = CASE WHEN leases.holder = excluded.holder AND leases.expires_at_ms > @now THEN leases.acquired_at_ms ELSE excluded.acquired_at_ms END,
         holder = excluded.holder,
         renewed_at_ms = excluded.renewed_at_ms,
         expires_at_ms = excluded.expires_at_ms
       WHERE leases.holder = excluded.holder OR leases.expires_at_ms <= @now`,
    );
    const read = db.prepare<[string], LeaseRow>('SELECT name, holder, acquired_at_ms, renewed_at_ms, expires_at_ms FROM leases WHERE name = ?');
    const acquire = db.transaction((name: string, holder: string, ttlMs: number, nowMs: number): LeaseAttempt => {
      const changed = upsert.run({ name, holder, now: nowMs, expires: nowMs + ttlMs }).changes;
      const row = read.get(name);
      if (row === undefined) throw new Error(`Lease ${name} vanished inside its own transaction`);
      return { acquired: changed === 1 && row.holder === holder, lease: toLease(row) };
    });
    this.acquireInTransaction = (...args) => acquire.immediate(...args);
    this.releaseStatement = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
    this.readStatement = read;
  }

  acquire(name: string, holder: string, ttlMs: number): LeaseAttempt {
    return this.acquireInTransaction(name, holder, ttlMs, Date.now());
  }

  release(name: string, holder: string): boolean {
    return this.releaseStatement.run(name, holder).changes === 1;
  }

  get(name: string): Lease | null {
    const row = this.readStatement.get(name);
    return row === undefined ? null : toLease(row);
  }
}
