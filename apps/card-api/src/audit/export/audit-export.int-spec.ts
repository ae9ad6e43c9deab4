import { randomUUID } from 'node:crypto';
import {
  AUDIT_STREAM,
  CHECKPOINT_EVENT_TYPE,
  parsePosition,
  SqliteEventStore,
  type EventStore,
  type EventToAppend,
  type JsonObject,
  type ReadAllOptions,
} from '@cards/event-store';
import { AuditExport, EXPORT_PAGE_SIZE, type ExportRange } from './audit-export';
import { csvField, type ExportFormat } from './export-lines';

const clock = { now: () => new Date('2026-11-23T10:00:00.000Z') };
const event = (type = 'CardNoted', data: JsonObject = {}): EventToAppend => ({ id: randomUUID(), type, data, metadata: { schemaVersion: 1 } });
/** A checkpoint event whose interval is (from, upTo]: all the export looks at. */
const checkpoint = (n: number, from: string | null, upTo: string): EventToAppend =>
  event(CHECKPOINT_EVENT_TYPE, { checkpoint: n, fromPosition: from, upToPosition: upTo, eventCount: 0, streams: [] });

async function exportLines(store: EventStore, range: ExportRange = {}, format: ExportFormat = 'jsonl'): Promise<string[]> {
  const opened = await new AuditExport(store, clock).open(range, format);
  let text = '';
  for await (const chunk of opened.lines) text += chunk;
  return text.split(format === 'csv' ? '\r\n' : '\n').slice(0, -1);
}
const records = (lines: string[]) => lines.slice(1, -1).map((l) => JSON.parse(l) as { kind: string; position: string; streamId: string; data: JsonObject });

describe('AuditExport over the SQLite store', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = SqliteEventStore.open(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  it('exports an empty log as a header and a footer', async () => {
    const lines = await exportLines(store);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { kind: 'header', format: 'cards-audit-export', version: 1, generatedAt: '2026-11-23T10:00:00.000Z', from: null, to: null, fromPosition: null, toPosition: null, headPosition: null },
      { kind: 'footer', events: 0, checkpoints: 0 },
    ]);
  });

  it('pages through the log in position order, every event once, however many pages', async () => {
    const total = EXPORT_PAGE_SIZE * 2 + 34;
    for (let i = 0; i < total; i += 100) await store.appendToStream(`card-${i}`, Array.from({ length: Math.min(100, total - i) }, () => event()));
    const exported = records(await exportLines(store));
    expect(exported.map((r) => Number(r.position))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('reads a page only when the one before it has been taken, and nothing appended after it began', async () => {
    for (let i = 0; i < 3; i++) await store.appendToStream(`card-${i}`, Array.from({ length: EXPORT_PAGE_SIZE }, () => event()));
    const reads: ReadAllOptions[] = [];
    const counting: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: (options?: ReadAllOptions) => {
        reads.push(options ?? {});
        return store.readAll(options);
      },
    });
    const opened = await new AuditExport(counting, clock).open({}, 'jsonl');
    expect(reads).toHaveLength(1); // the first page, read before the answer starts
    await opened.lines.next(); // the header
    await opened.lines.next(); // the first page
    expect(reads).toHaveLength(1);
    await store.appendToStream('card-late', [event()]);
    let rest = 0;
    for await (const chunk of opened.lines) rest += chunk.split('\n').length - 1;
    expect(reads.length).toBe(4); // pages 2 and 3, and the empty one that ends the log
    expect(rest).toBe(EXPORT_PAGE_SIZE * 2 + 1); // the other two pages and the footer: not the event appended late
  });

  describe('given checkpoints every few events', () => {
    // Positions: 1-3 card-a, 4 checkpoint 1 (null, 3], 5-7 card-b, 8 checkpoint 2 (3, 7], 9-11 card-c, 12 checkpoint 3 (7, 11],
    // 13 card-d, 14 checkpoint 4 (11, 13].
    beforeEach(async () => {
      await store.appendToStream('card-a', [event(), event(), event()]);
      await store.appendToStream(AUDIT_STREAM, [checkpoint(1, null, '3')]);
      await store.appendToStream('card-b', [event(), event(), event()]);
      await store.appendToStream(AUDIT_STREAM, [checkpoint(2, '3', '7')]);
      await store.appendToStream('card-c', [event(), event(), event()]);
      await store.appendToStream(AUDIT_STREAM, [checkpoint(3, '7', '11')]);
      await store.appendToStream('card-d', [event()]);
      await store.appendToStream(AUDIT_STREAM, [checkpoint(4, '11', '13')]);
    });

    it('exports the checkpoints inside the range as events, and after it the ones that still cover its events', async () => {
      const exported = records(await exportLines(store, { fromPosition: parsePosition('4'), toPosition: parsePosition('9') }));
      expect(exported.filter((r) => r.kind === 'event').map((r) => r.position)).toEqual(['5', '6', '7', '8', '9']);
      expect(exported.filter((r) => r.kind === 'checkpoint').map((r) => r.data.checkpoint)).toEqual([3]);
    });

    it('adds none when the range ends with a checkpoint that covers it, nor ones that begin after it', async () => {
      const exported = records(await exportLines(store, { toPosition: parsePosition('8') }));
      expect(exported.filter((r) => r.kind === 'checkpoint')).toEqual([]);
      const middle = records(await exportLines(store, { fromPosition: parsePosition('4'), toPosition: parsePosition('6') }));
      expect(middle.filter((r) => r.kind === 'checkpoint').map((r) => r.data.checkpoint)).toEqual([2]);
    });

    it('finds the checkpoints after a range that ends early, past many checkpoints, without reading them all', async () => {
      const exported = records(await exportLines(store, { toPosition: parsePosition('2') }));
      expect(exported.filter((r) => r.kind === 'checkpoint').map((r) => r.data.checkpoint)).toEqual([1]);
      const last = records(await exportLines(store, { fromPosition: parsePosition('12') }));
      expect(last.map((r) => [r.kind, r.position])).toEqual([['event', '13'], ['event', '14']]);
    });

    it('writes the same records as CSV, with the footer counting checkpoint rows too', async () => {
      const lines = await exportLines(store, { fromPosition: parsePosition('4'), toPosition: parsePosition('9') }, 'csv');
      expect(lines[0]).toBe('kind,position,streamId,revision,id,type,recordedAt,data,metadata');
      expect(lines[1]).toMatch(/^header,,,,,,,"\{""format"":""cards-audit-export"",/);
      expect(lines.slice(2, -1).map((l) => l.split(',')[0])).toEqual(['event', 'event', 'event', 'event', 'event', 'checkpoint']);
      expect(lines[lines.length - 1]).toBe('footer,,,,,,,"{""events"":5,""checkpoints"":1}",');
    });
  });
});

describe('csvField (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    ['{"a":1}', '"{""a"":1}"'],
  ])('writes %j as %j', (value, written) => {
    expect(csvField(value)).toBe(written);
  });
});
