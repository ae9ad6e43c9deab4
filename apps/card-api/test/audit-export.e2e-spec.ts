import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AUDIT_STREAM,
  canonicalize,
  EVENT_STORE,
  eventHash,
  formatPosition,
  publicKeyId,
  rawPublicKey,
  signCheckpoint,
  signedBytes,
  type EventStore,
  type JsonObject,
  type RecordedEvent,
  type SignedCheckpoint,
} from '@cards/event-store';
import { auditTestEnv, auditTestKey, pythonWithCryptography, runVerifier, VERIFIER_SCRIPT, type VerifierReport } from './support/audit-checkpoints';
import { activeDebitCard, issueDebitCard, linkedDebitCard } from './support/lifecycle-steps';
import { removeDataDir, startTestApp, type TestApp } from './support/test-app';

/** One line of a JSON Lines export, parsed. */
interface ExportLine {
  readonly kind: 'header' | 'event' | 'checkpoint' | 'footer';
  readonly position: string;
  readonly streamId: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly [other: string]: unknown;
}

const parseLines = (text: string): ExportLine[] => text.trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
/**
 * The text of an export made of these lines, its footer counted again: as the service would have exported a store
 * that someone had changed in the same way.
 */
function joinLines(lines: readonly string[]): string {
  const records = lines.slice(1).filter((l) => !l.startsWith('{"kind":"footer"'));
  const count = (kind: string) => records.filter((l) => l.startsWith(`{"kind":"${kind}"`)).length;
  return `${[lines[0], ...records, JSON.stringify({ kind: 'footer', events: count('event'), checkpoints: count('checkpoint') })].join('\n')}\n`;
}

/** Every event in the store, in position order. */
async function allEvents(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let page = await store.readAll({ maxCount: 1000 });
  while (page.length > 0) {
    out.push(...page);
    page = await store.readAll({ from: page[page.length - 1].position, maxCount: 1000 });
  }
  return out;
}

/** RFC 4180, enough for the export: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe('GET /v1/audit/export, verified by docs/verify_audit_export.py', () => {
  let t: TestApp;
  let store: EventStore;
  let keys: ReturnType<typeof auditTestKey>;
  let publicKeyFile: string;
  let exportFile: string;
  let exportText: string;
  let lines: string[];
  let parsed: ExportLine[];
  let checkpoints: SignedCheckpoint[];
  const cards: Record<string, string> = {};
  let midPosition: string;

  /** GET an export, its body as text whatever its content type. */
  const download = async (url: string, token?: string): Promise<{ status: number; text: string; headers: Record<string, string> }> => {
    const res = await t
      .http(token)
      .get(url)
      .buffer(true)
      .parse((response, done) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => done(null, body));
      });
    return { status: res.status, text: res.body as string, headers: res.headers as Record<string, string> };
  };
  /** POST /v1/audit/checkpoints: the service signs one over what was written since the last one; its data. */
  const signCheckpointNow = async (): Promise<SignedCheckpoint> => {
    const res = await t.http(await t.token({ sub: 'auditor-1', roles: ['auditor'] })).post('/v1/audit/checkpoints');
    expect(res.status).toBe(201);
    const { signed: _signed, position: _position, revision: _revision, checkpointsSigned: _count, ...data } = res.body as SignedCheckpoint & Record<string, unknown>;
    return data as SignedCheckpoint;
  };
  const write = (name: string, text: string): string => {
    const file = path.join(t.dataDir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const verify = (file: string, publicKeys = [publicKeyFile]) => runVerifier(file, publicKeys);
  /** Index of the line holding `streamId` at `revision`. */
  const lineOf = (streamId: string, revision: number): number => {
    const index = parsed.findIndex((l) => l.streamId === streamId && l.revision === revision);
    if (index < 0) throw new Error(`no line for ${streamId}@${revision}`);
    return index;
  };
  const lastRevisionOf = (streamId: string): number => Math.max(...parsed.filter((l) => l.streamId === streamId).map((l) => l.revision));
  const expectProblem = (result: { status: number; report: VerifierReport }, code: string, streamId: string, revision: number) => {
    expect(result.status).toBe(1);
    expect(result.report.ok).toBe(false);
    expect(result.report.problems).toContainEqual(expect.objectContaining({ code, streamId, revision }));
  };

  beforeAll(async () => {
    keys = auditTestKey();
    t = await startTestApp(undefined, auditTestEnv(keys));
    store = t.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
    publicKeyFile = write('audit-public.pem', keys.publicKeyPem);
    checkpoints = [];

    // Several card lifecycles, a checkpoint, more of them, another checkpoint, then a tail no checkpoint covers yet.
    cards.a1 = `card-${(await activeDebitCard(t)).cardId}`;
    cards.a2 = `card-${(await activeDebitCard(t)).cardId}`;
    cards.a3 = `card-${(await linkedDebitCard(t)).cardId}`;
    // Numbers that are not whole (as the match scores of biometric checks): the verifier must write them as ECMAScript does.
    await store.appendToStream(`biometric-scores-${randomUUID()}`, [
      { id: randomUUID(), type: 'MatchScoresRecorded', data: { scores: [0.1 + 0.2, 0.97, 1e-7, 12.5, 1e21, -0] }, metadata: { schemaVersion: 1 } },
    ]);
    checkpoints.push(await signCheckpointNow());
    const b1 = await activeDebitCard(t);
    cards.b1 = `card-${b1.cardId}`;
    midPosition = formatPosition((await store.headPosition())!);
    await t.http().post(`/v1/cards/${b1.cardId}/suspend`).send({ reason: 'LOST_REPORTED' }).expect(200);
    await t.http().post(`/v1/cards/${b1.cardId}/reinstate`).send({ reason: 'Found' }).expect(200);
    checkpoints.push(await signCheckpointNow());
    await issueDebitCard(t); // the tail: no checkpoint covers it yet
    await t.http().post(`/v1/cards/${b1.cardId}/cancel`).send({ reason: 'Customer request' }).expect(200);

    const res = await download('/v1/audit/export');
    expect(res.status).toBe(200);
    exportText = res.text;
    exportFile = write('export.jsonl', exportText);
    lines = exportText.trimEnd().split('\n');
    parsed = parseLines(exportText);
  });

  afterAll(async () => {
    await t?.close();
    if (t) removeDataDir(t.dataDir);
  });

  describe('the JSON Lines export of the whole log', () => {
    it('is a header, every event in position order exactly as stored, and a footer with the counts', async () => {
      const stored = await allEvents(store);
      const [header, ...rest] = parsed;
      const footer = rest.pop()!;
      expect(header).toEqual({
        kind: 'header',
        format: 'cards-audit-export',
        version: 1,
        generatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        from: null,
        to: null,
        fromPosition: null,
        toPosition: null,
        headPosition: formatPosition(stored[stored.length - 1].position),
        // The key the service signs with, for reference (the script takes it from --public-key, never from here).
        publicKeys: [{ keyId: publicKeyId(keys.publicKey), publicKeyBase64: rawPublicKey(keys.publicKey).toString('base64') }],
      });
      expect(rest.map((l) => l.kind)).toEqual(stored.map(() => 'event'));
      expect(rest).toEqual(
        stored.map((e) => ({
          kind: 'event',
          position: formatPosition(e.position),
          streamId: e.streamId,
          revision: Number(e.revision),
          id: e.id,
          type: e.type,
          recordedAt: e.recordedAt.toISOString(),
          data: e.data,
          metadata: e.metadata,
        })),
      );
      expect(footer).toEqual({ kind: 'footer', events: stored.length, checkpoints: 0 });
      expect(rest.filter((l) => l.streamId === AUDIT_STREAM).map((l) => l.data)).toEqual(checkpoints);
    });

    it('answers as a download that is not cached', async () => {
      const res = await download('/v1/audit/export?format=jsonl');
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="cards-audit-export-\d{8}T\d{6}Z\.jsonl"$/);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('verifies clean with the standalone script: every stream, every checkpoint, every signed head', () => {
      expect(exportText).toContain('"scores":[0.30000000000000004,0.97,1e-7,12.5,1e+21,0]');
      const { status, report } = verify(exportFile);
      expect(report.problems).toEqual([]);
      expect(status).toBe(0);
      const streams = new Set(parsed.filter((l) => l.kind === 'event').map((l) => l.streamId));
      expect(report).toMatchObject({
        ok: true,
        events: parsed.length - 2,
        checkpointLines: 0,
        streams: streams.size,
        anchoredStreams: 0,
        checkpoints: 2,
        validCheckpoints: 2,
        headsChecked: checkpoints.reduce((n, c) => n + c.streams.length, 0),
        headsOutsideExport: 0,
      });
    });

    it('takes the public key as a raw base64 key too (as GET /v1/audit/public-key shows it), and says so when the key is not the one that signed', async () => {
      const published = await t.http(null).get('/v1/audit/public-key').expect(200);
      expect(published.body.publicKeyBase64).toBe(rawPublicKey(keys.publicKey).toString('base64'));
      expect(verify(exportFile, [published.body.publicKeyBase64 as string]).status).toBe(0);
      const other = generateKeyPairSync('ed25519').publicKey;
      const result = verify(exportFile, [rawPublicKey(other).toString('base64')]);
      expectProblem(result, 'UNKNOWN_SIGNING_KEY', AUDIT_STREAM, 0);
    });
  });

  describe('a copy of the export, tampered with, is refused, naming the stream and revision', () => {
    it('one byte of an event\'s data changed: HASH_MISMATCH', () => {
      const index = lineOf(cards.a1, 2);
      expect(parsed[index].type).toBe('CardLinked');
      const tampered = [...lines];
      tampered[index] = tampered[index].replace('"accountId":"ACC-1001"', '"accountId":"ACC-1002"');
      expect(tampered[index]).not.toBe(lines[index]);
      expectProblem(verify(write('one-byte.jsonl', joinLines(tampered))), 'HASH_MISMATCH', cards.a1, 2);
    });

    it('an event deleted in the middle of its stream: REVISION_GAP at the missing revision', () => {
      const tampered = lines.filter((_, i) => i !== lineOf(cards.a2, 1));
      const result = verify(write('deleted-middle.jsonl', joinLines(tampered)));
      expectProblem(result, 'REVISION_GAP', cards.a2, 1);
      expect(result.report.problems).toContainEqual(expect.objectContaining({ code: 'EVENT_COUNT_MISMATCH', checkpoint: 1 }));
    });

    it('the newest events of a stream deleted, under a checkpoint: STREAM_TRUNCATED at the first missing revision', () => {
      const last = lastRevisionOf(cards.a2);
      const gone = new Set([lineOf(cards.a2, last), lineOf(cards.a2, last - 1)]);
      const result = verify(write('truncated-stream.jsonl', joinLines(lines.filter((_, i) => !gone.has(i)))));
      expectProblem(result, 'STREAM_TRUNCATED', cards.a2, last - 1);
      expect(result.report.problems.find((p) => p.code === 'STREAM_TRUNCATED')?.message).toMatch(
        new RegExp(`checkpoint 1 .*signed ${cards.a2} up to revision ${last}`),
      );
    });

    it('a whole stream deleted, under a checkpoint: STREAM_MISSING with the revision signed', () => {
      const tampered = lines.filter((_, i) => i === 0 || parsed[i].streamId !== cards.a3);
      const result = verify(write('deleted-stream.jsonl', joinLines(tampered)));
      expectProblem(result, 'STREAM_MISSING', cards.a3, lastRevisionOf(cards.a3));
    });

    it('two events\' data swapped: HASH_MISMATCH in both streams', () => {
      const first = lineOf(cards.a1, 2);
      const second = lineOf(cards.a2, 2);
      const tampered = [...lines];
      const a = JSON.parse(lines[first]) as ExportLine;
      const b = JSON.parse(lines[second]) as ExportLine;
      tampered[first] = JSON.stringify({ ...a, data: b.data });
      tampered[second] = JSON.stringify({ ...b, data: a.data });
      const result = verify(write('swapped-data.jsonl', joinLines(tampered)));
      expectProblem(result, 'HASH_MISMATCH', cards.a1, 2);
      expectProblem(result, 'HASH_MISMATCH', cards.a2, 2);
    });

    it('two events of a stream swapped in place: REVISION_GAP where the order breaks', () => {
      const first = lineOf(cards.b1, 1);
      const second = lineOf(cards.b1, 2);
      const tampered = [...lines];
      [tampered[first], tampered[second]] = [tampered[second], tampered[first]];
      const result = verify(write('swapped-lines.jsonl', joinLines(tampered)));
      expectProblem(result, 'REVISION_GAP', cards.b1, 1);
      expect(result.report.problems).toContainEqual(expect.objectContaining({ code: 'POSITION_OUT_OF_ORDER' }));
    });

    describe('a forged checkpoint', () => {
      const checkpointLine = (n: number) => parsed.findIndex((l) => l.streamId === AUDIT_STREAM && (l.data as { checkpoint?: number }).checkpoint === n);
      /** The export with checkpoint `n`'s data replaced and the audit stream's chain recomputed from there, as a forger with write access would. */
      const forge = (n: number, change: (c: SignedCheckpoint) => SignedCheckpoint): string[] => {
        const tampered = [...lines];
        let prevHash: string | undefined;
        for (let i = checkpointLine(n); i < lines.length - 1; i++) {
          if (parsed[i].streamId !== AUDIT_STREAM) continue;
          const line = JSON.parse(tampered[i]) as ExportLine;
          const data = i === checkpointLine(n) ? (change(line.data as unknown as SignedCheckpoint) as unknown as JsonObject) : line.data;
          const { hash: _old, ...rest } = line.metadata;
          const metadata = { ...rest, prevHash: prevHash ?? (rest.prevHash as string) };
          const hash = eventHash({ streamId: AUDIT_STREAM, revision: BigInt(line.revision), type: line.type, data, metadata });
          tampered[i] = JSON.stringify({ ...line, data, metadata: { ...metadata, hash } });
          prevHash = hash;
        }
        return tampered;
      };

      it('its content changed, its hash not recomputed: BAD_CHECKPOINT_HASH at its event in the audit stream', () => {
        const tampered = forge(1, (c) => ({ ...c, eventCount: c.eventCount - 1 }));
        expectProblem(verify(write('forged-content.jsonl', joinLines(tampered))), 'BAD_CHECKPOINT_HASH', AUDIT_STREAM, 0);
      });

      it('re-signed by a forger with a key of their own: UNKNOWN_SIGNING_KEY', () => {
        const forger = generateKeyPairSync('ed25519');
        const tampered = forge(1, (c) => signCheckpoint({ ...c, streams: c.streams.filter((s) => s.streamId !== cards.a3) }, forger.privateKey));
        const result = verify(write('forged-key.jsonl', joinLines(tampered)));
        expectProblem(result, 'UNKNOWN_SIGNING_KEY', AUDIT_STREAM, 0);
        expect(result.report.problems).toContainEqual(expect.objectContaining({ code: 'CHECKPOINT_LINK_BROKEN', streamId: AUDIT_STREAM, revision: 1 }));
      });

      it('its hash recomputed under the real keyId, the signature left as it was: BAD_SIGNATURE', () => {
        const tampered = forge(2, (c) => {
          const changed = { ...c, streams: c.streams.map((s) => (s.streamId === cards.b1 ? { ...s, revision: s.revision - 1 } : s)) };
          return { ...changed, checkpointHash: createHash('sha256').update(signedBytes(changed)).digest('hex') };
        });
        expectProblem(verify(write('forged-signature.jsonl', joinLines(tampered))), 'BAD_SIGNATURE', AUDIT_STREAM, 1);
      });
    });

    it('cut short (no footer): EXPORT_TRUNCATED; a line taken out of the file itself: FOOTER_MISMATCH', () => {
      const cut = verify(write('cut.jsonl', `${lines.slice(0, -5).join('\n')}\n`));
      expect(cut.status).toBe(1);
      expect(cut.report.problems).toContainEqual(expect.objectContaining({ code: 'EXPORT_TRUNCATED' }));
      const fewer = verify(write('fewer.jsonl', `${lines.filter((_, i) => i !== lineOf(cards.b1, lastRevisionOf(cards.b1))).join('\n')}\n`));
      expect(fewer.report.problems).toContainEqual(expect.objectContaining({ code: 'FOOTER_MISMATCH' }));
    });

    it('not an export at all, or no key: exit 2, unusable', () => {
      const notAnExport = verify(write('not-an-export.jsonl', '{"hello":"world"}\n'));
      expect(notAnExport.status).toBe(2);
      expect(notAnExport.report).toMatchObject({ usable: false, error: expect.stringMatching(/not an audit export/) });
      const noKey = runVerifier(exportFile, []);
      expect(noKey.status).toBe(2);
      expect(noKey.report.error).toMatch(/--public-key/);
      expect(verify(exportFile, [write('not-a-key.pem', 'hello')]).status).toBe(2);
    });

    it('but the newest events after the last checkpoint can go unnoticed: what a chain cannot show (docs/audit.md)', () => {
      const last = lastRevisionOf(cards.b1);
      expect(parsed[lineOf(cards.b1, last)].type).toBe('CardCancelled');
      const tampered = lines.filter((_, i) => i !== lineOf(cards.b1, last));
      expect(verify(write('tail-deleted.jsonl', joinLines(tampered))).status).toBe(0);
    });
  });

  describe('a part of the log', () => {
    it('by position: after fromPosition up to toPosition, with the later checkpoint covering its tail as a checkpoint line', async () => {
      const cp2Line = parsed.find((l) => l.streamId === AUDIT_STREAM && l.revision === 1)!;
      const to = String(Number(cp2Line.position) - 1);
      const res = await download(`/v1/audit/export?fromPosition=${midPosition}&toPosition=${to}`);
      expect(res.status).toBe(200);
      const part = parseLines(res.text);
      const events = part.filter((l) => l.kind === 'event');
      expect(events.map((l) => l.position)).toEqual(parsed.filter((l) => l.kind === 'event' && Number(l.position) > Number(midPosition) && Number(l.position) <= Number(to)).map((l) => l.position));
      expect(part[0]).toMatchObject({ fromPosition: midPosition, toPosition: to });
      const checkpointLines = part.filter((l) => l.kind === 'checkpoint');
      expect(checkpointLines.map((l) => (l.data as { checkpoint: number }).checkpoint)).toEqual([2]);
      expect(part[part.length - 1]).toEqual({ kind: 'footer', events: events.length, checkpoints: 1 });

      const { status, report } = verify(write('part.jsonl', res.text));
      expect(report.problems).toEqual([]);
      expect(status).toBe(0);
      expect(report).toMatchObject({ checkpointLines: 1, checkpoints: 1, validCheckpoints: 1 });
      expect(report.anchoredStreams).toBeGreaterThan(0);
      expect(report.notes.join('\n')).toMatch(/anchored at their first exported event's prevHash/);
      expect(report.notes.join('\n')).toMatch(/checkpoints start at number 2/);

      // The same part with the newest event of a stream under checkpoint 2 deleted: still caught.
      const b1Last = part.filter((l) => l.streamId === cards.b1 && l.kind === 'event').pop()!;
      const partLines = res.text.trimEnd().split('\n');
      const cut = partLines.filter((_, i) => !(part[i].streamId === cards.b1 && part[i].revision === b1Last.revision));
      expectProblem(verify(write('part-cut.jsonl', joinLines(cut))), 'STREAM_TRUNCATED', cards.b1, b1Last.revision);
    });

    it('by time: from the first event recorded at or after `from`, up to the first recorded at or after `to`', async () => {
      const stored = await allEvents(store);
      const times = [...new Set(stored.map((e) => e.recordedAt.toISOString()))];
      const from = times[3];
      const to = times[times.length - 4];
      const res = await download(`/v1/audit/export?from=${from}&to=${to}`);
      expect(res.status).toBe(200);
      const part = parseLines(res.text);
      const expected = stored.filter((e) => e.recordedAt.toISOString() >= from && e.recordedAt.toISOString() < to);
      expect(part.filter((l) => l.kind === 'event').map((l) => l.id)).toEqual(expected.map((e) => e.id));
      expect(part[0]).toMatchObject({ from, to, fromPosition: null, toPosition: null });
      expect(verify(write('by-time.jsonl', res.text)).status).toBe(0);
    });

    it('an empty part: just the header and the footer', async () => {
      const res = await download('/v1/audit/export?from=2000-01-01&to=2000-01-02');
      const part = parseLines(res.text);
      expect(part.map((l) => l.kind)).toEqual(['header', 'footer']);
      expect(part[1]).toEqual({ kind: 'footer', events: 0, checkpoints: 0 });
    });

    it('refuses bounds it cannot read, naming the field (400 problem+json)', async () => {
      const cases: [string, string][] = [
        ['from=yesterday', 'from'],
        ['to=2026-11-01T10:00:00', 'to'], // no offset: the server's local time would decide
        ['from=2026-11-02&to=2026-11-01', 'to'],
        ['fromPosition=-1', 'fromPosition'],
        ['fromPosition=9&toPosition=8', 'toPosition'],
        ['format=xml', 'format'],
        ['limit=10', 'limit'],
      ];
      for (const [query, field] of cases) {
        const res = await t.http().get(`/v1/audit/export?${query}`);
        expect({ query, status: res.status, type: res.headers['content-type'] }).toEqual({ query, status: 400, type: expect.stringMatching(/application\/problem\+json/) });
        expect(res.body.errors).toContainEqual(expect.objectContaining({ field }));
      }
    });

    it('is for auditors only', async () => {
      const auditor = await t.token({ sub: 'auditor-1', roles: ['auditor'] });
      expect((await download('/v1/audit/export?toPosition=3', auditor)).status).toBe(200);
      const analyst = await t.token({ sub: 'analyst-1', roles: ['analyst', 'issuer'] });
      expect((await t.http(analyst).get('/v1/audit/export')).body).toMatchObject({ status: 403, code: 'ROLE_NOT_ALLOWED', allowedRoles: ['auditor'] });
    });
  });

  describe('the CSV export', () => {
    it('holds the same records, one row each, with data and metadata as JSON text (RFC 4180)', async () => {
      const res = await download('/v1/audit/export?format=csv');
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
      expect(res.text.endsWith('\r\n')).toBe(true);
      const rows = parseCsv(res.text);
      expect(rows[0]).toEqual(['kind', 'position', 'streamId', 'revision', 'id', 'type', 'recordedAt', 'data', 'metadata']);
      expect(rows[1][0]).toBe('header');
      expect(JSON.parse(rows[1][7])).toMatchObject({ format: 'cards-audit-export', version: 1 });
      const records = rows.slice(2, -1);
      const events = parsed.filter((l) => l.kind === 'event');
      expect(records).toHaveLength(events.length);
      records.forEach((row, i) => {
        const e = events[i];
        expect(row).toEqual(['event', e.position, e.streamId, String(e.revision), e.id, e.type, e.recordedAt, JSON.stringify(e.data), JSON.stringify(e.metadata)]);
      });
      expect(rows[rows.length - 1][0]).toBe('footer');
      expect(JSON.parse(rows[rows.length - 1][7])).toEqual({ events: events.length, checkpoints: 0 });
    });
  });

  it('the script\'s RFC 8785 writes what the service\'s writes: RFC 8785\'s number examples, random doubles, strings and member order', () => {
    const appendixB = ['0000000000000000', '8000000000000000', '0000000000000001', '8000000000000001', '7fefffffffffffff', 'ffefffffffffffff', '4340000000000000', 'c340000000000000', '4430000000000000', '44b52d02c7e14af5', '44b52d02c7e14af6', '44b52d02c7e14af7', '444b1ae4d6e2ef4e', '444b1ae4d6e2ef4f', '444b1ae4d6e2ef50', '3eb0c6f7a0b5ed8c', '3eb0c6f7a0b5ed8d', '41b3de4355555553', '41b3de4355555554', '41b3de4355555555', '41b3de4355555556', '41b3de4355555557', 'becbf647612f3696', '43143ff3c1cb0959'];
    const doubles = appendixB.map((bits) => Buffer.from(bits, 'hex').readDoubleBE(0));
    const random = randomBytes(8 * 3000);
    for (let i = 0; i < 3000; i++) {
      const value = random.readDoubleBE(i * 8);
      if (Number.isFinite(value)) doubles.push(value);
      doubles.push(Math.random(), Math.round(Math.random() * 1e6) / 100, (random.readUInt32BE(i * 8) - 2 ** 31) * 2 ** ((i % 90) - 45));
    }
    const values: unknown[] = [
      ...doubles,
      0.1 + 0.2, 0.97, 1e21, 1e-7, 2 ** 53, 2 ** 53 + 2, 2 ** 60, -(2 ** 70), 123456789012345680000,
      '\u0000\u0008\u0009\u000a\u000c\u000d\u001f "\\ /\u007f\u2028é 张三 \ud83d\ude00',
      { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'ö' },
      { b: [1, { z: null, a: true }], a: false, '': [], ab: {}, A: 'x' },
    ];
    const driver =
      'import importlib.util, json, sys\n' +
      'spec = importlib.util.spec_from_file_location("verifier", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n' +
      'print(json.dumps([m.canonical(v) for v in json.loads(sys.stdin.read())]))\n';
    const run = spawnSync(pythonWithCryptography(), ['-c', driver, VERIFIER_SCRIPT], { input: JSON.stringify(values), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    expect(run.stderr).toBe('');
    const written = JSON.parse(run.stdout) as string[];
    const mismatches = values.map((v, i) => [canonicalize(v), written[i]]).filter(([node, python]) => node !== python);
    expect(mismatches).toEqual([]);
    expect(written).toHaveLength(values.length);
  });

  it('the worked example in docs/audit.md is an export the script verifies with the test key it publishes', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../../docs/audit.md'), 'utf8');
    const block = (name: string) => new RegExp(`<!-- example: ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc)?.[1];
    const example = write('doc-example.jsonl', `${block('export')!}\n`);
    const key = write('doc-test-key.pem', `${block('test-public-key-pem')!}\n`);
    const { status, report } = runVerifier(example, [key]);
    expect(report.problems).toEqual([]);
    expect(status).toBe(0);
    expect(report).toMatchObject({ events: 3, checkpoints: 1, validCheckpoints: 1, headsChecked: 1, headsOutsideExport: 0 });
  });
});
