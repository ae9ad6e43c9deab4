/** Who asked, and how the request is traced: everything that ends up in event metadata besides the event itself. */
export interface Actor {
  readonly id: string;
  readonly role: string;
}

export interface CommandContext {
  readonly actor: Actor;
  readonly correlationId: string;
  /** The id of what caused this command: the HTTP request id for API calls. */
  readonly causationId: string;
  readonly idempotencyKey?: string;
  /** The revision the caller expects the aggregate to be at (HTTP If-Match); a mismatch is a 412. */
  readonly expectedRevision?: bigint;
  /**
   * When the command happened, for history brought from another system (ISO-8601, UTC): used instead of the
   * clock as the command's `now`, so the events' own time fields say when it really happened.
   */
  readonly occurredAt?: string;
  /** The command replays history from another system: its events say so in their metadata (`imported: true`). */
  readonly imported?: boolean;
}

/** Version of the event shapes written by this code (ARCHITECTURE.md: bump with an upcaster after v1.0.0). */
export const EVENT_SCHEMA_VERSION = 1;
