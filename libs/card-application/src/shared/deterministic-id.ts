import { createHash } from 'node:crypto';
import { formatUuid } from '@cards/event-store';

/**
 * A UUID (version 8, RFC 9562) derived from the given parts. Used for event ids and aggregate ids when the
 * caller sent an Idempotency-Key: a retry of the same request then produces the same ids, which lets the
 * event store recognise it as a retry instead of writing it twice.
 */
export function deterministicUuid(...parts: readonly string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return formatUuid(bytes);
}
