import {
  assertErasure,
  assertListArguments,
  assertMasterKeyId,
  assertSubjectId,
  assertWrappedKey,
  compareSubjectIds,
  pickWrappedKey,
  sameWrappedKey,
} from '../data-key-rules';
import { DataKeyConflictError, DataKeyStoreUnavailableError, PersonalDataErasedError } from '../errors';
import type {
  CreateDataKeyOutcome,
  DataKeyStore,
  DestroyDataKeyOutcome,
  Erasure,
  RewrapOutcome,
  WrappedKey,
  WrappedKeyEntry,
} from '../key-store.port';

type Slot = { readonly state: 'active'; readonly wrapped: WrappedKey } | { readonly state: 'erased'; readonly erasure: Erasure };

/**
 * A DataKeyStore in a Map, for unit tests of what uses the port. It passes the same contract suite as the real
 * adapters. `calls` counts the calls by method; `failing` makes every call fail as unavailable.
 */
export class InMemoryDataKeyStore implements DataKeyStore {
  readonly kind = 'memory';
  readonly calls: Record<string, number> = {};
  failing = false;
  private readonly slots = new Map<string, Slot>();

  async create(subjectId: string, wrapped: WrappedKey): Promise<CreateDataKeyOutcome> {
    this.enter('create');
    assertSubjectId(subjectId);
    assertWrappedKey(wrapped);
    await tick();
    const slot = this.slots.get(subjectId);
    if (slot === undefined) {
      this.slots.set(subjectId, { state: 'active', wrapped: pickWrappedKey(wrapped) });
      return 'created';
    }
    if (slot.state === 'erased') throw new PersonalDataErasedError(subjectId);
    if (sameWrappedKey(slot.wrapped, wrapped)) return 'unchanged';
    throw new DataKeyConflictError(subjectId);
  }

  async get(subjectId: string): Promise<WrappedKey | null | 'erased'> {
    this.enter('get');
    assertSubjectId(subjectId);
    await tick();
    const slot = this.slots.get(subjectId);
    if (slot === undefined) return null;
    return slot.state === 'erased' ? 'erased' : { ...slot.wrapped };
  }

  async destroy(subjectId: string, erasure: Erasure): Promise<DestroyDataKeyOutcome> {
    this.enter('destroy');
    assertSubjectId(subjectId);
    assertErasure(erasure);
    await tick();
    const slot = this.slots.get(subjectId);
    if (slot?.state === 'erased') return 'already_erased';
    this.slots.set(subjectId, { state: 'erased', erasure: { by: erasure.by, reason: erasure.reason, at: erasure.at } });
    return slot === undefined ? 'no_key' : 'destroyed';
  }

  async erasureOf(subjectId: string): Promise<Erasure | null> {
    this.enter('erasureOf');
    assertSubjectId(subjectId);
    const slot = this.slots.get(subjectId);
    return slot?.state === 'erased' ? { ...slot.erasure } : null;
  }

  async listWrappedUnder(masterKeyId: string, limit: number, after?: string): Promise<WrappedKeyEntry[]> {
    this.enter('listWrappedUnder');
    assertListArguments(masterKeyId, limit, after);
    await tick();
    const entries: WrappedKeyEntry[] = [];
    for (const [subjectId, slot] of this.slots) {
      if (slot.state !== 'active' || slot.wrapped.masterKeyId !== masterKeyId) continue;
      if (after !== undefined && compareSubjectIds(subjectId, after) <= 0) continue;
      entries.push({ subjectId, wrapped: { ...slot.wrapped } });
    }
    return entries.sort((a, b) => compareSubjectIds(a.subjectId, b.subjectId)).slice(0, limit);
  }

  async countWrappedUnder(masterKeyId: string): Promise<number> {
    this.enter('countWrappedUnder');
    assertMasterKeyId(masterKeyId);
    await tick();
    let count = 0;
    for (const slot of this.slots.values()) if (slot.state === 'active' && slot.wrapped.masterKeyId === masterKeyId) count += 1;
    return count;
  }

  async rewrap(subjectId: string, expectedOldMasterKeyId: string, newWrapped: WrappedKey): Promise<RewrapOutcome> {
    this.enter('rewrap');
    assertSubjectId(subjectId);
    assertMasterKeyId(expectedOldMasterKeyId);
    assertWrappedKey(newWrapped);
    await tick();
    const slot = this.slots.get(subjectId);
    if (slot === undefined) return 'missing';
    if (slot.state === 'erased') return 'erased';
    if (slot.wrapped.masterKeyId !== expectedOldMasterKeyId) return 'conflict';
    this.slots.set(subjectId, { state: 'active', wrapped: { ...pickWrappedKey(newWrapped), createdAt: slot.wrapped.createdAt } });
    return 'rewrapped';
  }

  async ping(): Promise<void> {
    this.enter('ping');
  }

  async close(): Promise<void> {
    // Nothing to release.
  }

  /** For tests: how many subjects have a slot (key or tombstone). */
  get size(): number {
    return this.slots.size;
  }

  private enter(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    if (this.failing) throw new DataKeyStoreUnavailableError(`In-memory data key store cannot ${method} now: failing on purpose`);
  }
}

/** Lets other tasks run in between, as a real store's I/O does (so races in callers show up in tests). */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
