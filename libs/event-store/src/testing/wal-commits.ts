import { readFileSync } from 'node:fs';

/**
 * Commit frames in a SQLite database's write-ahead log (`<file>-wal`): one per transaction that wrote something since
 * the log last started over (a checkpoint that restarts it). Test-only: how group commits prove they wrote one
 * transaction. Each frame is a 24-byte header and a page; the header's second word is non-zero on a commit frame.
 */
export function commitsInWal(file: string): number {
  const wal = readFileSync(`${file}-wal`);
  const pageSize = wal.readUInt32BE(8);
  let commits = 0;
  for (let frame = 32; frame + 24 <= wal.length; frame += 24 + pageSize) if (wal.readUInt32BE(frame + 4) !== 0) commits += 1;
  return commits;
}
