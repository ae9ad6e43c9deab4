import type { JsonObject } from '@cards/event-store';
import { EVENT_SCHEMA_VERSION, type CommandContext } from './command-context';

/** The metadata every event carries (ARCHITECTURE.md, Events). */
export function eventMetadata(ctx: CommandContext, occurredAt: string, channel: string): JsonObject {
  const metadata: JsonObject = {
    schemaVersion: EVENT_SCHEMA_VERSION,
    actor: { id: ctx.actor.id, role: ctx.actor.role },
    channel,
    correlationId: ctx.correlationId,
    causationId: ctx.causationId,
    occurredAt,
  };
  if (ctx.idempotencyKey !== undefined) metadata.idempotencyKey = ctx.idempotencyKey;
  if (ctx.imported === true) metadata.imported = true;
  return metadata;
}
