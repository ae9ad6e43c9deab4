import type Database from 'better-sqlite3';
import { errorAsMapped } from './sqlite-failures';

/** A write waiting for a group commit: settled once the transaction that wrote it has committed, or failed. */
export interface GroupCommitItem<R> {
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

/** What one item of a group came to inside the transaction: its value, or its own failure (the others go on). */
export type GroupCommitOutcome<R> = { readonly value: R } | { readonly error: unknown };

/**
 * Inside a group's transaction: writes each item, catching an item's own failure as its outcome so that the others
 * go on. A failure that rolled the whole transaction back (SQLITE_FULL, SQLITE_IOERR and the like) is thrown: the
 * items before it are gone too, and the ones after it must not be written outside the transaction.
 */
export function writeEachOf<I, R>(db: Database.Database, items: readonly I[], write: (item: I) => R): GroupCommitOutcome<R>[] {
  return items.map((item) => {
    try {
      return { value: write(item) };
    } catch (error) {
      if (!db.inTransaction) throw error;
      return { error };
    }
  });
}

/**
 * Writes a group commit and settles its items: one item alone through `writeOne` (a transaction of its own), several
 * through `writeAll` (one transaction, their own failures as outcomes: writeEachOf). `mapped` is the store's
 * mapSqliteFailures wrapper: a failure of the whole transaction rejects every item, an item's own failure only that
 * item, mapped as the store maps its failures.
 */
export function settleGroupCommit<I extends GroupCommitItem<R>, R>(
  items: readonly I[],
  mapped: <T>(work: () => T) => T,
  writeOne: (item: I) => R,
  writeAll: (items: readonly I[]) => GroupCommitOutcome<R>[],
): void {
  if (items.length === 0) return;
  if (items.length === 1) {
    const [item] = items;
    try {
      item.resolve(mapped(() => writeOne(item)));
    } catch (error) {
      item.reject(error);
    }
    return;
  }
  let outcomes: GroupCommitOutcome<R>[];
  try {
    outcomes = mapped(() => writeAll(items));
  } catch (error) {
    // BEGIN or COMMIT failed, or the transaction was rolled back: nothing of the group was written.
    for (const item of items) item.reject(error);
    return;
  }
  outcomes.forEach((outcome, index) => {
    if ('error' in outcome) items[index].reject(errorAsMapped(mapped, outcome.error));
    else items[index].resolve(outcome.value);
  });
}
