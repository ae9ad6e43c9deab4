import { Inject, Injectable } from '@nestjs/common';
import { numberBlockOf, type InventoryEntry, type NumberTier } from '@cards/domain';
import { EVENT_STORE, StreamRevisionConflictError, type EventStore, type EventToAppend, type JsonObject, type Position } from '@cards/event-store';
import { ConcurrentModificationError } from '../shared/application-errors';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { eventMetadata } from '../shared/event-metadata';
import { numberBlockStream } from '../shared/streams';

export const NUMBERS_IMPORTED = 'NumbersImported';
/** Numbers per NumbersImported event: keeps each event far under EventStoreDB's 1 MiB append limit. */
export const NUMBERS_PER_IMPORT_EVENT = 1000;
/** Blocks whose contents are kept in memory (each at most 10,000 numbers). */
const CACHED_BLOCKS = 256;
const MAX_BLOCK_ATTEMPTS = 20;

/** A number as an import records it in its block. */
export interface ImportedNumber {
  readonly msisdn: string;
  readonly region: string;
  readonly tier: NumberTier;
  /** Whether the file set the tier or the rules gave it. */
  readonly tierSource: 'FILE' | 'RULES';
}

export interface NumbersImportedData {
  readonly importId: string;
  readonly numbers: readonly ImportedNumber[];
  readonly importedAt: string;
}

interface Block {
  /** Revision of the last event folded in; null while the stream does not exist. */
  revision: bigint | null;
  readonly entries: Map<string, InventoryEntry>;
}

/**
 * The inventory on the write side: which numbers exist, in which region and tier. Imports append batch events to
 * one stream per block (`number-block-<first 7 digits>`), expecting the revision read, so a number is recorded
 * once whatever runs at the same time (docs/numbers.md, "Streams"). Blocks only grow: they are cached and caught
 * up from their last revision on each use.
 */
@Injectable()
export class NumberInventory {
  private readonly blocks = new Map<string, Block>();

  constructor(@Inject(EVENT_STORE) private readonly eventStore: EventStore) {}

  /** The number's entry, or null when it is not in the inventory. */
  async entryOf(msisdn: string): Promise<InventoryEntry | null> {
    const block = await this.block(numberBlockOf(msisdn));
    return block.entries.get(msisdn) ?? null;
  }

  /**
   * Records the numbers not yet in the inventory (one event per block and up to 1,000 numbers), and says which
   * were added and which were there already.
   */
  async add(numbers: readonly ImportedNumber[], ctx: CommandContext, importId: string, now: string): Promise<{ added: number; alreadyThere: string[]; position: Position | null }> {
    const byBlock = new Map<string, ImportedNumber[]>();
    for (const number of numbers) {
      const block = numberBlockOf(number.msisdn);
      const list = byBlock.get(block) ?? [];
      list.push(number);
      byBlock.set(block, list);
    }
    let added = 0;
    const alreadyThere: string[] = [];
    let position: Position | null = null;
    for (const [blockId, candidates] of byBlock) {
      const outcome = await this.addToBlock(blockId, candidates, ctx, importId, now);
      added += outcome.added;
      alreadyThere.push(...outcome.alreadyThere);
      if (outcome.position && (position === null || outcome.position.commit > position.commit)) position = outcome.position;
    }
    return { added, alreadyThere, position };
  }

  private async addToBlock(blockId: string, candidates: readonly ImportedNumber[], ctx: CommandContext, importId: string, now: string) {
    const stream = numberBlockStream(blockId);
    for (let attempt = 1; attempt <= MAX_BLOCK_ATTEMPTS; attempt++) {
      const block = await this.block(blockId);
      const fresh = candidates.filter((n) => !block.entries.has(n.msisdn));
      const alreadyThere = candidates.filter((n) => block.entries.has(n.msisdn)).map((n) => n.msisdn);
      if (fresh.length === 0) return { added: 0, alreadyThere, position: null };
      const expected = block.revision ?? 'no_stream';
      const metadata = eventMetadata(ctx, now, 'API');
      const events: EventToAppend[] = [];
      for (let i = 0; i < fresh.length; i += NUMBERS_PER_IMPORT_EVENT) {
        const data: NumbersImportedData = { importId, numbers: fresh.slice(i, i + NUMBERS_PER_IMPORT_EVENT), importedAt: now };
        events.push({
          id: deterministicUuid('numbers-imported', stream, String(expected), importId, String(i), fresh[i].msisdn),
          type: NUMBERS_IMPORTED,
          data: data as unknown as JsonObject,
          metadata,
        });
      }
      try {
        const appended = await this.eventStore.appendToStream(stream, events, { expectedRevision: expected });
        return { added: fresh.length, alreadyThere, position: appended.position };
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError)) throw error;
        // Another import wrote to this block first: read what it added and try again with the rest.
      }
    }
    throw new ConcurrentModificationError(stream, MAX_BLOCK_ATTEMPTS);
  }

  private async block(blockId: string): Promise<Block> {
    const stream = numberBlockStream(blockId);
    let block = this.blocks.get(stream);
    if (block) this.blocks.delete(stream); // re-inserted below: most recently used last
    block ??= { revision: null, entries: new Map() };
    const events = await this.eventStore.readStream(stream, block.revision === null ? {} : { fromRevision: block.revision + 1n });
    for (const event of events) {
      if (block.revision !== null && event.revision <= block.revision) continue;
      if (event.type === NUMBERS_IMPORTED) {
        for (const n of (event.data as unknown as NumbersImportedData).numbers) block.entries.set(n.msisdn, { region: n.region, tier: n.tier });
      }
      block.revision = event.revision;
    }
    this.blocks.set(stream, block);
    if (this.blocks.size > CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as string);
    return block;
  }
}
