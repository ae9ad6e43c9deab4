import { createHash, randomUUID } from 'node:crypto';
import type { EventToAppend, JsonObject, RecordedEvent, StoredEvent } from '../event-store.port';
import { type ChainedEvent, ChainVerifier, chainEvents, eventHash, GENESIS_HASH, prevHashAfter, verifyChain } from './hash-chain';
import { canonicalize } from './jcs';

const STREAM = 'card-42';

function event(n: number, extra: JsonObject = {}): EventToAppend {
  return {
    id: randomUUID(),
    type: n === 0 ? 'CardIssued' : 'CardNoted',
    data: { n, note: `note ${n}`, ...extra },
    metadata: { schemaVersion: 1, actor: { id: 'teller-7', role: 'issuer' }, correlationId: `corr-${n}` },
  };
}

/** What a store would return for `events` appended to `streamId` from revision `first`. */
function recorded(streamId: string, events: readonly EventToAppend[], first = 0n): RecordedEvent[] {
  return events.map((e, index) => ({
    ...e,
    streamId,
    revision: first + BigInt(index),
    position: { commit: 100n + first + BigInt(index), prepare: 100n + first + BigInt(index) },
    recordedAt: new Date('2026-01-15T10:00:00.000Z'),
  }));
}

/** A valid stream of `count` events, chained as the store chains them on append. */
function aChain(count: number, streamId = STREAM): RecordedEvent[] {
  const events = Array.from({ length: count }, (_, n) => event(n));
  return recorded(streamId, chainEvents(streamId, 0n, GENESIS_HASH, events));
}

/** A copy of the event with its data or metadata changed, the way someone with write access to the store would. */
function tampered(e: RecordedEvent, change: { data?: JsonObject; metadata?: JsonObject }): RecordedEvent {
  return { ...e, data: { ...e.data, ...change.data }, metadata: { ...e.metadata, ...change.metadata } };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('eventHash', () => {
  it('given an event, then it is SHA-256 over the RFC 8785 text of streamId, revision, type, data and metadata without hash', () => {
    const input = {
      type: 'CardIssued',
      streamId: 'card-42',
      revision: 0n,
      data: { label: 'carte bleue 卡', amount: '12.50' },
      metadata: { schemaVersion: 1, prevHash: GENESIS_HASH, actor: { role: 'issuer', id: 'teller-7' }, hash: 'ignored' },
    };
    const canonical =
      '{"data":{"amount":"12.50","label":"carte bleue 卡"},' +
      '"metadata":{"actor":{"id":"teller-7","role":"issuer"},"prevHash":"' + GENESIS_HASH + '","schemaVersion":1},' +
      '"revision":0,"streamId":"card-42","type":"CardIssued"}';

    const hash = eventHash(input);

    expect(hash).toBe(sha256(canonical));
    // Computed apart from this code (the text above through coreutils' sha256sum), to pin the definition.
    expect(hash).toBe('0dd3c22687e92ef729bfd991368d474095fab803675527b0a9fc2d5ea33e83ca');
  });

  it('changes when any hashed part changes, and not with member order or the hash member', () => {
    const base = { streamId: 'card-1', revision: 3n, type: 'CardNoted', data: { a: 1, b: 'x' }, metadata: { prevHash: GENESIS_HASH, k: 'v' } };
    const hash = eventHash(base);

    expect(eventHash({ ...base, streamId: 'card-2' })).not.toBe(hash);
    expect(eventHash({ ...base, revision: 4n })).not.toBe(hash);
    expect(eventHash({ ...base, type: 'CardOther' })).not.toBe(hash);
    expect(eventHash({ ...base, data: { a: 1, b: 'y' } })).not.toBe(hash);
    expect(eventHash({ ...base, metadata: { prevHash: GENESIS_HASH, k: 'w' } })).not.toBe(hash);
    expect(eventHash({ ...base, metadata: { prevHash: 'f'.repeat(64), k: 'v' } })).not.toBe(hash);

    expect(eventHash({ ...base, data: { b: 'x', a: 1 } })).toBe(hash);
    expect(eventHash({ ...base, metadata: { k: 'v', prevHash: GENESIS_HASH, hash: 'a'.repeat(64) } })).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses metadata without prevHash, and revisions that are not exact JSON numbers', () => {
    const base = { streamId: 'card-1', revision: 0n, type: 'T', data: {}, metadata: { prevHash: GENESIS_HASH } };
    expect(() => eventHash({ ...base, metadata: {} })).toThrow(/prevHash/);
    expect(eventHash({ ...base, revision: BigInt(Number.MAX_SAFE_INTEGER) })).toMatch(/^[0-9a-f]{64}$/);
    expect(() => eventHash({ ...base, revision: BigInt(Number.MAX_SAFE_INTEGER) + 1n })).toThrow(RangeError);
    expect(() => eventHash({ ...base, revision: -1n })).toThrow(RangeError);
  });
});

describe('chainEvents', () => {
  it('given a new stream, then the first event links to the genesis value and each next one to the one before', () => {
    const chained = chainEvents(STREAM, 0n, GENESIS_HASH, [event(0), event(1), event(2)]);

    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(chained[0].metadata.prevHash).toBe(GENESIS_HASH);
    expect(chained[1].metadata.prevHash).toBe(chained[0].metadata.hash);
    expect(chained[2].metadata.prevHash).toBe(chained[1].metadata.hash);
    chained.forEach((e, index) => {
      expect(e.metadata.hash).toBe(eventHash({ streamId: STREAM, revision: BigInt(index), type: e.type, data: e.data, metadata: e.metadata }));
    });
  });

  it('given a stream that exists, then the first event links to the hash passed and is hashed at its revision', () => {
    const [head] = chainEvents(STREAM, 7n, 'ab'.repeat(32), [event(7)]);
    expect(head.metadata.prevHash).toBe('ab'.repeat(32));
    expect(head.metadata.hash).toBe(eventHash({ streamId: STREAM, revision: 7n, type: head.type, data: head.data, metadata: head.metadata }));
  });

  it("replaces prevHash and hash sent by the caller, keeps the caller's other fields, and changes nothing it was given", () => {
    const shared: JsonObject = { schemaVersion: 1, prevHash: 'f'.repeat(64), hash: 'forged', actor: { id: 'a', role: 'r' } };
    const input: EventToAppend[] = [
      { id: randomUUID(), type: 'A', data: { x: 1 }, metadata: shared },
      { id: randomUUID(), type: 'B', data: { x: 2 }, metadata: shared },
    ];
    const before = JSON.stringify(input);

    const chained = chainEvents(STREAM, 0n, GENESIS_HASH, input);

    expect(chained[0].metadata).toEqual({
      schemaVersion: 1,
      actor: { id: 'a', role: 'r' },
      prevHash: GENESIS_HASH,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(chained[1].metadata.prevHash).toBe(chained[0].metadata.hash);
    expect(chained.map((e) => [e.id, e.type, e.data])).toEqual(input.map((e) => [e.id, e.type, e.data]));
    expect(JSON.stringify(input)).toBe(before);
    expect(chained[0].metadata).not.toBe(chained[1].metadata);
  });

  it('hashes data in the JSON form the store keeps, so the hash recomputed from the stored event matches', () => {
    const loose = { id: randomUUID(), type: 'A', data: { kept: 'x', dropped: undefined } as unknown as JsonObject, metadata: {} };
    const [chained] = chainEvents(STREAM, 0n, GENESIS_HASH, [loose]);
    const stored = JSON.parse(JSON.stringify(chained)) as EventToAppend;

    expect(chained.data).toEqual({ kept: 'x' });
    expect(verifyChain(recorded(STREAM, [stored])).ok).toBe(true);
  });

  it('chains data and metadata not yet in stored form (a Date, undefined members, -0) as JSON would store them', () => {
    const id = randomUUID();
    const at = new Date('2026-11-24T01:00:00.000Z');
    const given: EventToAppend = {
      id,
      type: 'A',
      data: { at, skipped: undefined, zero: -0, list: [{ at }] } as unknown as JsonObject,
      metadata: { actor: { id: 'a', role: 'r', since: at }, correlationId: undefined, occurredAt: at } as unknown as JsonObject,
    };
    const asStored: EventToAppend = JSON.parse(JSON.stringify(given)) as EventToAppend;

    const [fromGiven] = chainEvents(STREAM, 3n, 'cd'.repeat(32), [given]);
    const [fromStored] = chainEvents(STREAM, 3n, 'cd'.repeat(32), [asStored]);

    expect(fromGiven.dataText).toBe(fromStored.dataText);
    expect(fromGiven.metadataText).toBe(fromStored.metadataText);
    expect(fromGiven.metadata.hash).toBe(fromStored.metadata.hash);
    expect(fromGiven.data).toStrictEqual(JSON.parse(fromStored.dataText));
    expect(fromGiven.metadata).toStrictEqual(fromStored.metadata);
    expect(fromStored.dataText).toBe('{"at":"2026-11-24T01:00:00.000Z","list":[{"at":"2026-11-24T01:00:00.000Z"}],"zero":0}');
  });

  it('gives the canonical text of data and metadata, hash included, to be stored as it is', () => {
    const names = { zeta: 1, Hash: 'upper case sorts first', has: 2, hasha: 3, actor: { role: 'r', id: 'a' }, correlationId: 'c' };
    const chained = chainEvents(STREAM, 0n, GENESIS_HASH, [
      { ...event(0), data: { z: [3, { b: 1, a: 'é\u0007' }], a: -0, m: 1e21 } },
      { ...event(1), metadata: names },
      { ...event(2), metadata: {} },
    ]);

    for (const e of chained) {
      expect(e.dataText).toBe(canonicalize(e.data));
      expect(e.metadataText).toBe(canonicalize(e.metadata));
    }
    expect(chained[0].dataText).toBe('{"a":0,"m":1e+21,"z":[3,{"a":"é\\u0007","b":1}]}');
    expect(Object.keys(JSON.parse(chained[1].metadataText) as JsonObject)).toEqual(['Hash', 'actor', 'correlationId', 'has', 'hash', 'hasha', 'prevHash', 'zeta']);
    expect(chained[2].metadataText).toBe(`{"hash":"${chained[2].metadata.hash as string}","prevHash":"${chained[1].metadata.hash as string}"}`);
  });

  it('refuses a prevHash that is not a hex SHA-256, and data that is not JSON', () => {
    expect(() => chainEvents(STREAM, 0n, 'not-a-hash', [event(0)])).toThrow(TypeError);
    const withBigInt = { ...event(0), data: { amount: 1n } as unknown as JsonObject };
    expect(() => chainEvents(STREAM, 0n, GENESIS_HASH, [withBigInt])).toThrow(TypeError);
    // A Date has no own members, but JSON stores it as a string, which is not an object.
    const dateAsMetadata = { ...event(0), metadata: new Date(0) as unknown as JsonObject };
    expect(() => chainEvents(STREAM, 0n, GENESIS_HASH, [dateAsMetadata])).toThrow(/metadata .* is not a JSON object/);
    const dateAsData = { ...event(0), data: new Date(0) as unknown as JsonObject };
    expect(() => chainEvents(STREAM, 0n, GENESIS_HASH, [dateAsData])).toThrow(/data .* is not a JSON object/);
  });

  it('prevHashAfter takes a stored hash, or the genesis value when there is none (a stream written before chaining)', () => {
    expect(prevHashAfter('cd'.repeat(32))).toBe('cd'.repeat(32));
    expect(prevHashAfter(undefined)).toBe(GENESIS_HASH);
    expect(prevHashAfter(null)).toBe(GENESIS_HASH);
    expect(prevHashAfter('CD'.repeat(32))).toBe(GENESIS_HASH);
  });
});

describe('verifyChain', () => {
  it('given a chain as the store writes it, then it verifies', () => {
    const chain = aChain(5);

    const result = verifyChain(chain);

    expect(result).toEqual({ ok: true, eventsChecked: 5, head: { revision: 4n, hash: chain[4].metadata.hash } });
  });

  it('given no events, then there is nothing wrong', () => {
    expect(verifyChain([])).toEqual({ ok: true, eventsChecked: 0 });
  });

  it('given a chain written in several appends, then it verifies as one', () => {
    const first = chainEvents(STREAM, 0n, GENESIS_HASH, [event(0), event(1)]);
    const second = chainEvents(STREAM, 2n, first[1].metadata.hash as string, [event(2), event(3), event(4)]);
    expect(verifyChain(recorded(STREAM, [...first, ...second])).ok).toBe(true);
  });

  describe('given a stream someone changed after it was written', () => {
    it('when one byte of one event\'s data changed, then HASH_MISMATCH at that revision', () => {
      const chain = aChain(5);
      chain[2] = tampered(chain[2], { data: { note: 'note 3' } });

      const result = verifyChain(chain);

      expect(result).toMatchObject({ ok: false, firstBadRevision: 2n, eventsChecked: 3, problem: { code: 'HASH_MISMATCH' } });
      expect(result.head).toEqual({ revision: 1n, hash: chain[1].metadata.hash });
    });

    it('when a middle event was deleted, then REVISION_GAP naming the missing revision', () => {
      const chain = aChain(5);
      chain.splice(2, 1);

      const result = verifyChain(chain);

      expect(result).toMatchObject({ ok: false, firstBadRevision: 2n, problem: { code: 'REVISION_GAP' } });
      expect(result.problem?.message).toMatch(/revision 2 is missing/);
    });

    it('when a middle event was deleted and the later ones renumbered, then PREV_HASH_MISMATCH where the hole is', () => {
      const chain = aChain(5);
      chain.splice(2, 1);
      const renumbered = chain.map((e, index) => ({ ...e, revision: BigInt(index) }));

      expect(verifyChain(renumbered)).toMatchObject({ ok: false, firstBadRevision: 2n, problem: { code: 'PREV_HASH_MISMATCH' } });
    });

    it('when two events swapped places (revisions kept), then PREV_HASH_MISMATCH at the first of them', () => {
      const chain = aChain(5);
      const [second, third] = [chain[2], chain[3]];
      chain[2] = { ...third, revision: 2n };
      chain[3] = { ...second, revision: 3n };

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 2n, problem: { code: 'PREV_HASH_MISMATCH' } });
    });

    it('when two events are given out of order, then REVISION_GAP at the first one missing', () => {
      const chain = aChain(5);
      [chain[2], chain[3]] = [chain[3], chain[2]];

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 2n, problem: { code: 'REVISION_GAP' } });
    });

    it('when a metadata field changed, then HASH_MISMATCH at that revision', () => {
      const chain = aChain(5);
      chain[3] = tampered(chain[3], { metadata: { actor: { id: 'someone-else', role: 'issuer' } } });

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 3n, problem: { code: 'HASH_MISMATCH' } });
    });

    it('when a metadata field was added, then HASH_MISMATCH at that revision', () => {
      const chain = aChain(3);
      chain[1] = tampered(chain[1], { metadata: { imported: true } });

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 1n, problem: { code: 'HASH_MISMATCH' } });
    });

    it('when a hash was forged, then HASH_MISMATCH at that revision', () => {
      const chain = aChain(5);
      chain[2] = tampered(chain[2], { metadata: { hash: sha256('forged') } });

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 2n, problem: { code: 'HASH_MISMATCH' } });
    });

    it("when an event was changed and its hash recomputed, then PREV_HASH_MISMATCH at the next event", () => {
      const chain = aChain(5);
      const changed = tampered(chain[2], { data: { note: 'rewritten' } });
      chain[2] = tampered(changed, {
        metadata: { hash: eventHash({ streamId: STREAM, revision: 2n, type: changed.type, data: changed.data, metadata: changed.metadata }) },
      });

      const result = verifyChain(chain);

      expect(result).toMatchObject({ ok: false, firstBadRevision: 3n, problem: { code: 'PREV_HASH_MISMATCH' } });
      expect(result.problem?.message).toContain('revision 2');
    });

    it('when a prevHash changed, then PREV_HASH_MISMATCH at that revision', () => {
      const chain = aChain(3);
      chain[1] = tampered(chain[1], { metadata: { prevHash: GENESIS_HASH } });

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 1n, problem: { code: 'PREV_HASH_MISMATCH' } });
    });

    it("when the first event's prevHash is not the genesis value, then PREV_HASH_MISMATCH at 0", () => {
      const chain = aChain(2);
      chain[0] = tampered(chain[0], { metadata: { prevHash: 'e'.repeat(64) } });

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 0n, problem: { code: 'PREV_HASH_MISMATCH' } });
    });

    it('when the first events were deleted, then FIRST_REVISION_NOT_ZERO', () => {
      const chain = aChain(4).slice(2);

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 0n, eventsChecked: 1, problem: { code: 'FIRST_REVISION_NOT_ZERO' } });
    });

    it('when an event was duplicated, then REVISION_OUT_OF_ORDER', () => {
      const chain = aChain(3);
      chain.splice(2, 0, chain[1]);

      expect(verifyChain(chain)).toMatchObject({ ok: false, firstBadRevision: 1n, problem: { code: 'REVISION_OUT_OF_ORDER' } });
    });

    it('when the events were copied to another stream, then HASH_MISMATCH at 0', () => {
      const moved = aChain(3).map((e) => ({ ...e, streamId: 'card-43' }));

      expect(verifyChain(moved)).toMatchObject({ ok: false, firstBadRevision: 0n, problem: { code: 'HASH_MISMATCH' } });
    });

    it('when an event carries no chain fields, then UNCHAINED at that revision', () => {
      const chain = aChain(3);
      const { hash: _dropped, ...withoutHash } = chain[1].metadata;
      chain[1] = { ...chain[1], metadata: withoutHash };

      const result = verifyChain(chain);

      expect(result).toMatchObject({ ok: false, firstBadRevision: 1n, problem: { code: 'UNCHAINED' } });
      expect(result.problem?.message).toMatch(/no hash/);
    });
  });

  it('given events of two streams, then STREAM_MISMATCH', () => {
    const mixed = [...aChain(2, 'card-1'), ...aChain(1, 'card-2')];
    expect(verifyChain(mixed)).toMatchObject({ ok: false, firstBadRevision: 0n, problem: { code: 'STREAM_MISMATCH' } });
  });

  it('given the rest of a stream and the last link verified before, then it verifies from there', () => {
    const chain = aChain(6);
    const firstPart = verifyChain(chain.slice(0, 3));

    expect(verifyChain(chain.slice(3), { after: firstPart.head })).toMatchObject({ ok: true, eventsChecked: 3, head: { revision: 5n } });
    expect(verifyChain(chain.slice(4), { after: firstPart.head })).toMatchObject({ ok: false, firstBadRevision: 3n, problem: { code: 'REVISION_GAP' } });
    expect(verifyChain(chain.slice(3), { after: { revision: 2n, hash: GENESIS_HASH } })).toMatchObject({
      ok: false,
      firstBadRevision: 3n,
      problem: { code: 'PREV_HASH_MISMATCH' },
    });
  });
});

describe('ChainVerifier.checkStored (events as the store keeps them: text, not parsed)', () => {
  /** The stream as the SQLite store keeps it: each event's data and metadata as the text it wrote. */
  function asStored(streamId: string, chained: readonly ChainedEvent[], texts = chained.map((e) => ({ dataText: e.dataText, metadataText: e.metadataText }))): StoredEvent[] {
    return chained.map((e, index) => ({
      streamId,
      revision: BigInt(index),
      position: { commit: 100n + BigInt(index), prepare: 100n + BigInt(index) },
      type: e.type,
      ...texts[index],
    }));
  }
  const chain = (count: number) => chainEvents(STREAM, 0n, GENESIS_HASH, Array.from({ length: count }, (_, n) => event(n, { deep: { b: [1, { y: 2, x: 1 }], a: null } })));
  const checkAll = (events: readonly StoredEvent[]) => {
    const verifier = new ChainVerifier();
    const failures = events.map((e) => verifier.checkStored(e)).filter((f) => f !== undefined);
    return { verifier, failures };
  };

  it('given the text as the store wrote it, then every event verifies and the head is the last hash', () => {
    const chained = chain(3);
    const { verifier, failures } = checkAll(asStored(STREAM, chained));
    expect(failures).toEqual([]);
    expect(verifier.eventsChecked).toBe(3);
    expect(verifier.headOf(STREAM)).toEqual({ revision: 2n, hash: chained[2].metadata.hash });
  });

  it('given a text hashed as it stands though it is not the canonical form of its content, then it verifies: the text itself is hashed', () => {
    // 1e2 parses to 100, whose canonical text is "100": only a check that hashes the stored text accepts this event.
    const [first] = chainEvents(STREAM, 0n, GENESIS_HASH, [event(0)]);
    const dataText = first.dataText.replace('"n":0', '"n":1e2');
    const { hash: _hash, ...metadata } = first.metadata;
    const metadataWithout = canonicalize(metadata);
    const hash = sha256(`{"data":${dataText},"metadata":${metadataWithout},"revision":0,"streamId":${JSON.stringify(STREAM)},"type":"${first.type}"}`);
    const metadataText = canonicalize({ ...metadata, hash });
    expect(metadataText).toContain(`"hash":"${hash}"`);

    expect(checkAll(asStored(STREAM, [first], [{ dataText, metadataText }])).failures).toEqual([]);
  });

  it('given a text changed by one byte, then HASH_MISMATCH at that revision', () => {
    const chained = chain(3);
    const texts = chained.map((e) => ({ dataText: e.dataText, metadataText: e.metadataText }));
    texts[1] = { ...texts[1], dataText: texts[1].dataText.replace('note 1', 'note 9') };
    expect(checkAll(asStored(STREAM, chained, texts)).failures).toEqual([
      { streamId: STREAM, firstBadRevision: 1n, problem: expect.objectContaining({ code: 'HASH_MISMATCH' }) },
    ]);
  });

  it('given a text in another member order or spelling with the same content (an older store), then it verifies the slow way', () => {
    const chained = chain(3);
    const texts = chained.map((e) => {
      const { hash, ...rest } = e.metadata;
      return { dataText: JSON.stringify(e.data, null, 1), metadataText: JSON.stringify({ ...rest, hash }) };
    });
    expect(texts[0].metadataText).not.toBe(chained[0].metadataText);
    expect(checkAll(asStored(STREAM, chained, texts)).failures).toEqual([]);
  });

  it('given a hash member that is not where the store writes it, then the text is not trusted and the content decides', () => {
    const chained = chain(2);
    const texts = chained.map((e) => ({ dataText: e.dataText, metadataText: e.metadataText }));
    // A copy of the member nested before the real one: the first found is cut, and the text left still holds the
    // real member, so it hashes to something else; the content (with the nested member added) decides.
    const hash = chained[1].metadata.hash as string;
    texts[1] = { ...texts[1], metadataText: texts[1].metadataText.replace('{', `{"a":{"hash":"${hash}","z":1},`) };
    expect(texts[1].metadataText.indexOf(`"hash":"${hash}"`)).toBeLessThan(texts[1].metadataText.lastIndexOf(`"hash":"${hash}"`));
    expect(checkAll(asStored(STREAM, chained, texts)).failures).toEqual([
      { streamId: STREAM, firstBadRevision: 1n, problem: expect.objectContaining({ code: 'HASH_MISMATCH' }) },
    ]);
  });

  it('given data or metadata that is not JSON, then UNHASHABLE at that event, saying which', () => {
    const chained = chain(3);
    const texts = chained.map((e) => ({ dataText: e.dataText, metadataText: e.metadataText }));
    texts[2] = { ...texts[2], dataText: texts[2].dataText.slice(0, -1) };
    expect(checkAll(asStored(STREAM, chained, texts)).failures).toEqual([
      { streamId: STREAM, firstBadRevision: 2n, problem: { code: 'UNHASHABLE', message: expect.stringMatching(/^card-42@2 cannot be hashed: its data is not JSON/) } },
    ]);
    texts[2] = { dataText: chained[2].dataText, metadataText: `${chained[2].metadataText} x` };
    expect(checkAll(asStored(STREAM, chained, texts)).failures).toEqual([
      { streamId: STREAM, firstBadRevision: 2n, problem: { code: 'UNHASHABLE', message: expect.stringMatching(/^card-42@2 cannot be hashed: its metadata is not JSON/) } },
    ]);
  });

  it('given the same damage, then it finds what check() finds on the parsed events', () => {
    const damages: Record<string, (events: RecordedEvent[]) => RecordedEvent[]> = {
      'content changed': (events) => events.map((e, i) => (i === 1 ? tampered(e, { data: { note: 'changed' } }) : e)),
      'a revision missing': (events) => events.filter((_, i) => i !== 1),
      'the first event missing': (events) => events.slice(1),
      'two events swapped': (events) => [events[0], { ...events[2], revision: 1n }, { ...events[1], revision: 2n }, events[3]],
      'no hash': (events) => events.map((e, i) => (i === 2 ? { ...e, metadata: { ...e.metadata, hash: 7 } } : e)),
      'prevHash changed': (events) => events.map((e, i) => (i === 3 ? tampered(e, { metadata: { prevHash: GENESIS_HASH } }) : e)),
    };
    for (const [damage, apply] of Object.entries(damages)) {
      const events = apply(aChain(4));
      const parsed = new ChainVerifier();
      const expected = events.map((e) => parsed.check(e)).filter((f) => f !== undefined);
      const stored = events.map((e) => ({ streamId: e.streamId, revision: e.revision, position: e.position, type: e.type, dataText: canonicalize(e.data), metadataText: canonicalize(e.metadata) }));
      expect({ damage, failures: checkAll(stored).failures }).toEqual({ damage, failures: expected });
      expect(expected).toHaveLength(1);
    }
  });
});

describe('ChainVerifier (one pass over an interleaved log)', () => {
  it('given the events of several streams interleaved, then each stream is followed on its own and only broken ones are reported', () => {
    const good = aChain(4, 'card-good');
    const bad = aChain(4, 'card-bad');
    bad[1] = tampered(bad[1], { data: { note: 'changed' } });
    const other = aChain(2, 'card-other');
    const log = [good[0], bad[0], other[0], good[1], bad[1], bad[2], other[1], good[2], bad[3], good[3]];
    const verifier = new ChainVerifier();

    const reported = log.map((e) => verifier.check(e)).filter((f) => f !== undefined);

    expect(verifier.ok).toBe(false);
    expect(reported).toEqual([{ streamId: 'card-bad', firstBadRevision: 1n, problem: expect.objectContaining({ code: 'HASH_MISMATCH' }) }]);
    expect(verifier.failures()).toEqual(reported);
    expect(verifier.failureOf('card-good')).toBeUndefined();
    // The broken stream's later events are skipped: after a break no later link can be trusted.
    expect(verifier.eventsChecked).toBe(log.length - 2);
    expect(verifier.headOf('card-good')).toEqual({ revision: 3n, hash: good[3].metadata.hash });
    expect(verifier.headOf('card-other')).toEqual({ revision: 1n, hash: other[1].metadata.hash });
    expect(verifier.headOf('card-bad')).toBeUndefined();
  });

  it('keeps only the last revision and hash of each stream', () => {
    const verifier = new ChainVerifier();
    for (const e of aChain(50)) verifier.check(e);
    const heads = (verifier as unknown as { heads: Map<string, unknown> }).heads;
    expect([...heads.entries()]).toEqual([[STREAM, { revision: 49n, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]]);
  });

  it('resumes a stream from a checkpoint', () => {
    const chain = aChain(4);
    const verifier = new ChainVerifier();
    verifier.resumeAfter(STREAM, { revision: 1n, hash: chain[1].metadata.hash as string });

    expect(chain.slice(2).map((e) => verifier.check(e))).toEqual([undefined, undefined]);
    expect(verifier.ok).toBe(true);
  });
});
