import { randomFillSync } from 'node:crypto';

/**
 * A new event id: a UUID version 7 (RFC 9562 §5.7), its first 48 bits the Unix time in milliseconds, then a 12-bit
 * counter (§6.2, method 1) and 62 random bits. Ids made by one process sort, as text and as bytes, in the order
 * they were made.
 *
 * Why not version 4: every store keeps an index of event ids (SQLite's `event_id` UNIQUE, to recognise a retried
 * append). Random ids land on a random leaf page of that index, and SQLite writes each page an append touches into
 * the write-ahead log, 4 KiB each, before the fsync: a commit of 32 appends wrote some 32 pages for that index alone.
 * Ids that grow with time land on the index's last page, and the commit writes that page once (docs/performance.md,
 * row 2). The time in an id is the time the event was made, which the event's `recordedAt` holds anyway.
 *
 * Ids derived from an Idempotency-Key (deterministicUuid) stay as they are: a retry must make the same ids.
 */
export const newEventId: () => string = eventIdGenerator(Date.now);

/**
 * A generator of version 7 ids on the given clock (milliseconds since the epoch), with its own counter: each id it
 * returns sorts after the one before, even when the clock stands still or steps back.
 */
export function eventIdGenerator(nowMs: () => number): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    const bytes = randomBytes16();
    const now = nowMs();
    if (now > lastMs) {
      lastMs = now;
      // A random start within the millisecond: ids of two processes in the same millisecond rarely share a counter.
      counter = ((bytes[6] << 8) | bytes[7]) % COUNTER_START_RANGE;
    } else if (counter < MAX_COUNTER) {
      // The same millisecond (or a clock that stepped back): the counter keeps the order.
      counter += 1;
    } else {
      // 4,096 ids in one millisecond: take the next one (RFC 9562 §6.2 lets the timestamp run ahead of the clock).
      lastMs += 1;
      counter = 0;
    }
    bytes.writeUIntBE(lastMs, 0, 6);
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    return formatUuid(bytes);
  };
}

/** The first 16 bytes written as a UUID: lower-case hex in groups of 8-4-4-4-12. */
export function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The largest value of the 12-bit counter; past it, an id takes the next millisecond. */
const MAX_COUNTER = 0xfff;
/** A fresh millisecond starts its counter below this, so that thousands of ids fit in it before it runs out. */
const COUNTER_START_RANGE = 0x400;

const RANDOM_POOL_IDS = 256;
const randomPool = Buffer.alloc(16 * RANDOM_POOL_IDS);
let poolOffset = randomPool.length;

/** 16 random bytes, from a pool refilled 4 KiB at a time (one call into the CSPRNG per 256 ids, as randomUUID does). */
function randomBytes16(): Buffer {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(randomPool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return bytes;
}
