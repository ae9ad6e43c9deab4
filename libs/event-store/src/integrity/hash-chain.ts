/**
 * Tamper-evident hash chains, one per stream. Every event the store appends carries in its metadata
 * - `prevHash`: the `hash` of the event before it in the same stream, or GENESIS_HASH for revision 0;
 * - `hash`: eventHash() of the event itself, which covers its `prevHash`.
 * Changing, removing, inserting or reordering an event therefore breaks the chain at that place (verifyChain).
 *
 * The store owns these two fields: they are set where events are appended (chainEvents, called by both adapters
 * inside their append), whatever the caller put there. Data and metadata are hashed in the JSON form the store
 * keeps and returns, so encrypted personal data is hashed as stored (ciphertext), and erasing a customer's data
 * key leaves the chain intact.
 */
import { hash as digestOf } from 'node:crypto';
import type { EventToAppend, JsonObject, RecordedEvent, StoredEvent } from '../event-store.port';
import {
  type CanonicalMember,
  canonicalize,
  canonicalMembers,
  canonicalMembersOfStoredForm,
  canonicalTextOfStoredForm,
  compareMemberNames,
  isPlainObject,
} from './jcs';

/** The `prevHash` of a stream's first event: 64 hex zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The metadata members the store owns. */
export const PREV_HASH_FIELD = 'prevHash';
export const HASH_FIELD = 'hash';

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const MAX_HASHED_REVISION = BigInt(Number.MAX_SAFE_INTEGER);

export interface EventHashInput {
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: JsonObject;
  /** The event's metadata, with its `prevHash`; a `hash` member, if present, is left out of the hash. */
  readonly metadata: JsonObject;
}

/** Whether `value` has the form of an event hash (lower-case hex SHA-256). */
export function isEventHash(value: unknown): value is string {
  return typeof value === 'string' && HASH_PATTERN.test(value);
}

/**
 * The event's hash: lower-case hex SHA-256 of the UTF-8 bytes of the RFC 8785 canonical JSON of
 * `{ streamId, revision, type, data, metadata }`, where `revision` is a JSON number and `metadata` is the event's
 * metadata without its `hash` member (so it includes `prevHash`, which links the event to the one before).
 */
export function eventHash(input: EventHashInput): string {
  const { streamId, revision, type, data, metadata } = input;
  checkHashedRevision(streamId, revision);
  if (typeof metadata[PREV_HASH_FIELD] !== 'string') {
    throw new TypeError(`eventHash: the metadata of ${streamId}@${String(revision)} has no ${PREV_HASH_FIELD}`);
  }
  return sha256Hex(hashedText(canonicalize(streamId), revision, canonicalize(type), canonicalize(data), canonicalize(withoutHash(metadata))));
}

/**
 * The text eventHash hashes, from the canonical texts of its parts: canonicalize() of the whole
 * `{ streamId, revision, type, data, metadata }` is exactly this (its members are never undefined, and these are
 * their names in RFC 8785 order), so the parts can be canonicalised once and kept.
 */
function hashedText(streamIdText: string, revision: bigint, typeText: string, dataText: string, metadataText: string): string {
  return `{"data":${dataText},"metadata":${metadataText},"revision":${String(revision)},"streamId":${streamIdText},"type":${typeText}}`;
}

function checkHashedRevision(streamId: string, revision: bigint): void {
  if (revision < 0n || revision > MAX_HASHED_REVISION) {
    throw new RangeError(`eventHash: revision ${String(revision)} of ${streamId} is outside 0..2^53-1 and cannot be a JSON number exactly`);
  }
}

/** Lower-case hex SHA-256 of the text's UTF-8 bytes; crypto.hash, one call without a Hash object (about 1 µs less an event). */
function sha256Hex(text: string): string {
  return digestOf('sha256', text, 'hex');
}

/** An event as chainEvents returns it: chained, with the canonical text of its data and metadata to store. */
export interface ChainedEvent extends EventToAppend {
  /** canonicalize(data). */
  readonly dataText: string;
  /** canonicalize(metadata), `hash` and `prevHash` included. */
  readonly metadataText: string;
}

/**
 * Returns the events with `metadata.prevHash` and `metadata.hash` set, the first linked to `prevHash` (the hash of
 * the stream's event at `firstRevision - 1`, or GENESIS_HASH when `firstRevision` is 0), each next one to the one
 * before. Whatever `prevHash`/`hash` the caller sent is replaced. Data and metadata are returned in the JSON form
 * the store keeps (what JSON.parse makes of JSON.stringify's text), which is what is hashed, so the hash
 * recomputed from a stored event is the same; and with the canonical text of each (`dataText`, `metadataText`),
 * which a store that writes JSON text writes, so that its text can be hashed as it is (hashOfStoredText). The
 * input is not modified; data (and nested metadata values) already in that form are returned as they are, not
 * copied, so the result shares them with the input.
 */
export function chainEvents(
  streamId: string,
  firstRevision: bigint,
  prevHash: string,
  events: readonly EventToAppend[],
): ChainedEvent[] {
  if (!isEventHash(prevHash)) throw new TypeError(`chainEvents(${streamId}): prevHash "${prevHash}" is not a hex SHA-256`);
  const streamIdText = canonicalize(streamId);
  let previous = prevHash;
  return events.map((event, index) => {
    const revision = firstRevision + BigInt(index);
    checkHashedRevision(streamId, revision);
    // Data already in stored form is used as it is (its canonical text comes with the check); anything else goes
    // through JSON first, as it will be stored.
    const dataAsGiven = isJsonObject(event.data) ? canonicalTextOfStoredForm(event.data) : undefined;
    const data = dataAsGiven === undefined ? asStoredJson(event.data, `data of event ${event.id} in ${streamId}`) : event.data;
    const dataText = dataAsGiven ?? canonicalize(data);
    const { metadata, canonical } = chainedMetadata(event, streamId, previous);
    const members = canonical.map((member) => member.text);
    const hash = sha256Hex(hashedText(streamIdText, revision, canonicalize(event.type), dataText, `{${members.join(',')}}`));
    metadata[HASH_FIELD] = hash;
    // The hash member goes where RFC 8785 orders it; the other members' text is already canonical.
    const after = canonical.findIndex((member) => compareMemberNames(member.name, HASH_FIELD) > 0);
    members.splice(after < 0 ? members.length : after, 0, `"${HASH_FIELD}":"${hash}"`);
    previous = hash;
    return { id: event.id, type: event.type, data, metadata, dataText, metadataText: `{${members.join(',')}}` };
  });
}

/**
 * The event's metadata as it will be stored, without `hash` and with `prevHash` set (its last member), and its
 * canonical members. Members already in stored form are taken as they are (nested values shared with the caller's
 * metadata, never modified); otherwise the metadata goes through JSON first.
 */
function chainedMetadata(event: EventToAppend, streamId: string, prevHash: string): { metadata: JsonObject; canonical: CanonicalMember[] } {
  const given = event.metadata;
  if (isJsonObject(given)) {
    const metadata: JsonObject = {};
    for (const name of Object.keys(given)) {
      if (name !== HASH_FIELD && name !== PREV_HASH_FIELD) metadata[name] = given[name];
    }
    metadata[PREV_HASH_FIELD] = prevHash;
    const canonical = canonicalMembersOfStoredForm(metadata);
    if (canonical !== undefined) return { metadata, canonical };
  }
  const metadata = withoutHash(asStoredJson(given, `metadata of event ${event.id} in ${streamId}`));
  delete metadata[PREV_HASH_FIELD];
  metadata[PREV_HASH_FIELD] = prevHash;
  return { metadata, canonical: canonicalMembers(metadata) };
}

/**
 * A plain object (an object literal or a JSON.parse result, not an array): what a stored event's data and metadata
 * are. Anything else (a Date, whose toJSON gives a string; a class instance) goes through JSON first, as before.
 */
function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && isPlainObject(value);
}

/**
 * The hash of an event computed from the text its store keeps, or undefined when that text has no top-level
 * `hash` member written as the store writes it. The stored metadata text without its `"hash":"…"` member, spliced
 * with the data text into the layout eventHash hashes. When the store wrote the event, that text is the canonical
 * one and the result is eventHash's, without parsing and canonicalising the event again.
 *
 * Only a result equal to `hash` means anything (anything else is checked the slow way, eventHash on the parsed
 * event). It binds the event's content as long as the data and metadata texts are complete JSON values (the caller
 * has parsed them): then the spliced text is JSON that parses to exactly this event's content, and a different
 * content would be a different text; a text cut elsewhere than the top-level member still holds (an encoding of)
 * `hash`, and a text holding its own SHA-256 is not something anyone can make.
 */
function hashOfStoredText(streamId: string, revision: bigint, type: string, stored: Pick<StoredEvent, 'dataText' | 'metadataText'>, hash: string): string | undefined {
  if (revision < 0n || revision > MAX_HASHED_REVISION) return undefined;
  const metadata = stored.metadataText;
  const member = `"${HASH_FIELD}":"${hash}"`;
  const at = metadata.indexOf(member);
  if (at < 0) return undefined;
  const end = at + member.length;
  let without: string;
  if (metadata.charCodeAt(end) === COMMA) without = metadata.slice(0, at) + metadata.slice(end + 1);
  else if (metadata.charCodeAt(at - 1) === COMMA) without = metadata.slice(0, at - 1) + metadata.slice(end);
  else return undefined;
  return sha256Hex(hashedText(JSON.stringify(streamId), revision, JSON.stringify(type), stored.dataText, without));
}

const COMMA = 0x2c;

/**
 * The `prevHash` for an event that follows one whose metadata `hash` member is `storedHash`: that hash, or
 * GENESIS_HASH when there is no previous event or it carries no hash (written before streams were chained;
 * verifyChain reports such events as UNCHAINED).
 */
export function prevHashAfter(storedHash: unknown): string {
  return isEventHash(storedHash) ? storedHash : GENESIS_HASH;
}

export type ChainProblemCode =
  /** The stream's first event is not at revision 0. */
  | 'FIRST_REVISION_NOT_ZERO'
  /** A revision is missing between two events. */
  | 'REVISION_GAP'
  /** An event's revision is not greater than the one before it. */
  | 'REVISION_OUT_OF_ORDER'
  /** An event carries no `prevHash` or no `hash`. */
  | 'UNCHAINED'
  /** An event's `prevHash` is not the previous event's `hash` (or, at revision 0, not GENESIS_HASH). */
  | 'PREV_HASH_MISMATCH'
  /** An event's `hash` is not the hash of its content. */
  | 'HASH_MISMATCH'
  /** An event's content cannot be hashed at all (not JSON, a lone surrogate, a revision beyond 2^53-1). */
  | 'UNHASHABLE'
  /** verifyChain was given events of more than one stream. */
  | 'STREAM_MISMATCH';

export interface ChainProblem {
  readonly code: ChainProblemCode;
  readonly message: string;
}

/** The last verified event of a stream: all a verifier keeps per stream, and where a later pass can resume. */
export interface ChainLink {
  readonly revision: bigint;
  readonly hash: string;
}

export interface ChainFailure {
  readonly streamId: string;
  /** The first revision at which the stream cannot be trusted (for a gap: the missing revision). */
  readonly firstBadRevision: bigint;
  readonly problem: ChainProblem;
}

export interface ChainVerification {
  readonly ok: boolean;
  /** Events examined, including the one where the problem was found; events after it are not examined. */
  readonly eventsChecked: number;
  readonly firstBadRevision?: bigint;
  readonly problem?: ChainProblem;
  /** The last event verified good, if any (before the problem, when there is one): pass it as `after` to verify the events that follow. */
  readonly head?: ChainLink;
}

/**
 * Verifies hash chains one event at a time, in constant memory per stream (the last revision and hash), so it can
 * follow a whole log in which streams are interleaved: feed every stream's events in ascending revision order.
 * The first problem of a stream is recorded and the rest of that stream is skipped (after a break, no later
 * link can be trusted).
 */
export class ChainVerifier {
  private readonly heads = new Map<string, ChainLink>();
  private readonly failed = new Map<string, ChainFailure>();
  private checked = 0;

  /** Events examined so far (events of streams that already failed are skipped and not counted). */
  get eventsChecked(): number {
    return this.checked;
  }

  /** True while no stream has failed. */
  get ok(): boolean {
    return this.failed.size === 0;
  }

  /** The first problem of each stream that has one, in the order they were found. */
  failures(): ChainFailure[] {
    return [...this.failed.values()];
  }

  failureOf(streamId: string): ChainFailure | undefined {
    return this.failed.get(streamId);
  }

  /** The last event of `streamId` verified good. */
  headOf(streamId: string): ChainLink | undefined {
    return this.heads.get(streamId);
  }

  /** Continues a stream from a link verified earlier (a checkpoint): its next event must be at `link.revision + 1`. */
  resumeAfter(streamId: string, link: ChainLink): void {
    this.heads.set(streamId, { revision: link.revision, hash: link.hash });
    this.failed.delete(streamId);
  }

  /**
   * Checks the next event of its stream against that stream's last verified event. Returns the failure when this
   * event is the first bad one of its stream, undefined otherwise (also for events of a stream that failed before,
   * which are skipped).
   */
  check(event: RecordedEvent): ChainFailure | undefined {
    const { streamId, revision } = event;
    if (this.failed.has(streamId)) return undefined;
    this.checked += 1;
    return this.settle(streamId, revision, problemWith(event, this.heads.get(streamId)));
  }

  /**
   * check() for an event as its store keeps it (EventStore.readAllStored): the metadata is parsed for its
   * `prevHash` and `hash`, and the stored text is hashed as it is; only when that is not the hash (text the store
   * did not write canonically) are data and metadata parsed and hashed the way check() does.
   */
  checkStored(event: StoredEvent): ChainFailure | undefined {
    const { streamId, revision } = event;
    if (this.failed.has(streamId)) return undefined;
    this.checked += 1;
    return this.settle(streamId, revision, problemWithStored(event, this.heads.get(streamId)));
  }

  /** Records the outcome of an event's checks: its hash as the stream's new head, or the stream's failure. */
  private settle(streamId: string, revision: bigint, outcome: Found | string): ChainFailure | undefined {
    if (typeof outcome === 'string') {
      this.heads.set(streamId, { revision, hash: outcome });
      return undefined;
    }
    const failure: ChainFailure = { streamId, firstBadRevision: outcome.firstBadRevision, problem: outcome.problem };
    this.heads.delete(streamId);
    this.failed.set(streamId, failure);
    return failure;
  }
}

/** A problem found with an event: the stream cannot be trusted from `firstBadRevision` on. */
interface Found {
  readonly firstBadRevision: bigint;
  readonly problem: ChainProblem;
}

const found = (code: ChainProblemCode, message: string, firstBadRevision: bigint): Found => ({ firstBadRevision, problem: { code, message } });

const eventAt = (streamId: string, revision: bigint) => `${streamId}@${String(revision)}`;

/** The event's hash when it is good, else what is wrong with it. */
function problemWith(event: RecordedEvent, head: ChainLink | undefined): Found | string {
  const { streamId, revision, metadata } = event;
  const order = orderProblem(streamId, revision, head);
  if (order !== undefined) return order;
  const link = linkProblem(streamId, revision, head, metadata);
  if (typeof link !== 'string') return link;
  return contentProblem(streamId, revision, link, () => eventHash({ streamId, revision, type: event.type, data: event.data, metadata }));
}

/** problemWith for an event as stored: its text hashed as it is when it is the canonical text the store wrote. */
function problemWithStored(event: StoredEvent, head: ChainLink | undefined): Found | string {
  const { streamId, revision } = event;
  const order = orderProblem(streamId, revision, head);
  if (order !== undefined) return order;
  let metadata: unknown;
  try {
    metadata = JSON.parse(event.metadataText);
  } catch (error) {
    return found('UNHASHABLE', `${eventAt(streamId, revision)} cannot be hashed: its metadata is not JSON (${messageOf(error)})`, revision);
  }
  const link = linkProblem(streamId, revision, head, metadata);
  if (typeof link !== 'string') return link;
  let data: unknown;
  try {
    // The data text must be a complete JSON value for its hash to bind the content (hashOfStoredText).
    data = JSON.parse(event.dataText);
  } catch (error) {
    return found('UNHASHABLE', `${eventAt(streamId, revision)} cannot be hashed: its data is not JSON (${messageOf(error)})`, revision);
  }
  // A result equal to the stored hash is a SHA-256 by construction: no need to check the form of `link` first.
  if (hashOfStoredText(streamId, revision, event.type, event, link) === link) return link;
  return contentProblem(streamId, revision, link, () =>
    eventHash({ streamId, revision, type: event.type, data: data as JsonObject, metadata: metadata as JsonObject }),
  );
}

/** The revision against the stream's last verified one: the next one, or 0 for a stream's first event. */
function orderProblem(streamId: string, revision: bigint, head: ChainLink | undefined): Found | undefined {
  const expected = head ? head.revision + 1n : 0n;
  if (revision < expected) {
    return found('REVISION_OUT_OF_ORDER', `${eventAt(streamId, revision)} follows revision ${String(expected - 1n)}: revisions must ascend one by one`, revision);
  }
  if (revision > expected) {
    return head
      ? found('REVISION_GAP', `${streamId}: revision ${String(expected)} is missing (revision ${String(head.revision)} is followed by ${String(revision)})`, expected)
      : found('FIRST_REVISION_NOT_ZERO', `${streamId}: the first event is at revision ${String(revision)}, revision 0 is missing`, 0n);
  }
  return undefined;
}

/** The metadata's `prevHash` against the stream's head (the revision is in order): the stored `hash` when it holds. */
function linkProblem(streamId: string, revision: bigint, head: ChainLink | undefined, metadata: unknown): Found | string {
  const members = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
  const prevHash = members[PREV_HASH_FIELD];
  const hash = members[HASH_FIELD];
  if (typeof prevHash !== 'string' || typeof hash !== 'string') {
    const missing = [typeof prevHash !== 'string' ? PREV_HASH_FIELD : '', typeof hash !== 'string' ? HASH_FIELD : ''].filter(Boolean);
    return found('UNCHAINED', `${eventAt(streamId, revision)} carries no ${missing.join(' and no ')} in its metadata`, revision);
  }
  const expectedPrevHash = head ? head.hash : GENESIS_HASH;
  if (prevHash !== expectedPrevHash) {
    const at = eventAt(streamId, revision);
    return found(
      'PREV_HASH_MISMATCH',
      head
        ? `${at}: prevHash ${prevHash} is not the hash of revision ${String(head.revision)} (${head.hash})`
        : `${at}: prevHash ${prevHash} of the first event is not the genesis value`,
      revision,
    );
  }
  return hash;
}

/** The stored `hash` against the hash recomputed from the content: the hash when they are equal. */
function contentProblem(streamId: string, revision: bigint, hash: string, recompute: () => string): Found | string {
  let recomputed: string;
  try {
    recomputed = recompute();
  } catch (error) {
    return found('UNHASHABLE', `${eventAt(streamId, revision)} cannot be hashed: ${messageOf(error)}`, revision);
  }
  if (recomputed !== hash) {
    return found('HASH_MISMATCH', `${eventAt(streamId, revision)}: the stored hash ${hash} is not the hash of the event's content (${recomputed})`, revision);
  }
  return hash;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Verifies one stream's events, given in ascending revision order: revisions contiguous from 0 (or from
 * `options.after.revision + 1`), each `prevHash` the hash before it (GENESIS_HASH, or `options.after.hash`, for
 * the first), each `hash` recomputed from the event. Stops at the first problem. It cannot see events removed
 * from the end of the stream: compare the head with one kept elsewhere for that.
 */
export function verifyChain(events: readonly RecordedEvent[], options: { readonly after?: ChainLink } = {}): ChainVerification {
  const verifier = new ChainVerifier();
  if (events.length === 0) return { ok: true, eventsChecked: 0, ...(options.after ? { head: options.after } : {}) };
  const streamId = events[0].streamId;
  if (options.after) verifier.resumeAfter(streamId, options.after);
  for (const event of events) {
    if (event.streamId !== streamId) {
      return {
        ok: false,
        eventsChecked: verifier.eventsChecked + 1,
        firstBadRevision: event.revision,
        problem: { code: 'STREAM_MISMATCH', message: `event ${event.id} belongs to ${event.streamId}, not ${streamId}` },
      };
    }
    const lastGood = verifier.headOf(streamId);
    const failure = verifier.check(event);
    if (failure) {
      return {
        ok: false,
        eventsChecked: verifier.eventsChecked,
        firstBadRevision: failure.firstBadRevision,
        problem: failure.problem,
        ...(lastGood ? { head: lastGood } : {}),
      };
    }
  }
  const head = verifier.headOf(streamId);
  return { ok: true, eventsChecked: verifier.eventsChecked, ...(head ? { head } : {}) };
}

function withoutHash(metadata: JsonObject): JsonObject {
  const copy: JsonObject = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (name !== HASH_FIELD) copy[name] = value;
  }
  return copy;
}

/** The value as the store keeps it: what JSON.parse makes of JSON.stringify's text. Must be a JSON object. */
function asStoredJson(value: JsonObject, what: string): JsonObject {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError(`chainEvents: the ${what} is not JSON`);
  const parsed = JSON.parse(text) as unknown;
  if (!isJsonObject(parsed)) throw new TypeError(`chainEvents: the ${what} is not a JSON object`);
  return parsed;
}
