import type { RecordedEvent } from '@cards/event-store';

const TIME_FIELDS = [
  'issuedAt', 'verifiedAt', 'failedAt', 'linkedAt', 'activatedAt', 'suspendedAt', 'reinstatedAt',
  'cancelledAt', 'openedAt', 'resolvedAt', 'registeredAt',
] as const;

/**
 * When the event happened in the business sense: its own time field, which for imported history is the time
 * of the original event. Falls back to the metadata's occurredAt, then to when the store recorded it.
 */
export function eventTime(event: RecordedEvent): string {
  for (const field of TIME_FIELDS) {
    const value = event.data[field];
    if (typeof value === 'string') return value;
  }
  const occurredAt = event.metadata.occurredAt;
  return typeof occurredAt === 'string' ? occurredAt : event.recordedAt.toISOString();
}

/** The aggregate id of a `card-<id>` / `customer-<id>` stream, or null for other streams. */
export function idOfStream(streamId: string, prefix: 'card' | 'customer'): string | null {
  return streamId.startsWith(`${prefix}-`) ? streamId.slice(prefix.length + 1) : null;
}
