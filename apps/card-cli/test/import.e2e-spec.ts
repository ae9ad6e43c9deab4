import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { capturedOutput, countEvents, listenOnLoopback, removeDataDir, startTestApp, type TestApp } from '../../card-api/test/support/test-app';
import { historyFile } from '../../card-api/test/support/history-file';
import { importCommand, importFile } from '../src/import-history';



describe('card-cli import, against the running service', () => {
  let t: TestApp;
  let url: string;
  let store: EventStore;
  let dir: string;
  const token = () => t.token({ sub: 'operator', roles: ['admin'] });
  beforeAll(async () => {
    t = await startTestApp();
    url = await listenOnLoopback(t);
    store = t.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
    dir = fs.mkdtempSync(path.join(t.dataDir, 'files-'));
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('imports a file in chunks with a progress bar, and importing it again writes nothing', async () => {
    const history = historyFile('2025-05-05T01:00:00.000Z');
    const file = write('history.jsonl', history.text);
    const before = await countEvents(store);
    const progress = capturedOutput();

    const first = await importFile({ file, url, token, chunkLines: 7, progressOut: progress });
    expect(first.exitCode).toBe(0);
    expect(first.message).toMatch(
      new RegExp(`^.*history\\.jsonl: ${history.lines.length} lines: ${history.lines.length} applied, 0 already imported, 0 failed; ${history.eventCount} events written in [\\d.]+ s \\(\\d+ lines/s\\)$`),
    );
    expect(progress.text).toMatch(/\[#+\] 100\.0% \d+\/\d+ bytes, \d+ bytes\/s, \d+ lines\/s, applied 51, already 0, failed 0/);
    // Every card's and customer's events, plus the claims: card numbers, id documents, SIM counts.
    expect((await countEvents(store)) - before).toBe(history.eventCount + history.claimEventCount);
    for (const card of history.cards) {
      expect((await t.http().get(`/v1/cards/${card.cardId}`).expect(200)).body.status).toBe(card.status);
    }

    const again = await importFile({ file, url, token, chunkLines: 500, progressOut: capturedOutput() });
    expect(again).toEqual({ exitCode: 0, message: expect.stringContaining(`: ${history.lines.length} lines: 0 applied, ${history.lines.length} already imported, 0 failed; 0 events written`) });
    expect((await countEvents(store)) - before).toBe(history.eventCount + history.claimEventCount);
  });

  it('reports failed lines by their number in the file, across chunks, and exits 1', async () => {
    const history = historyFile('2025-06-02T01:00:00.000Z');
    const lines = [...history.lines];
    lines.splice(11, 0, JSON.stringify({ command: 'LinkCard', occurredAt: '2025-06-02T00:00:00Z', cardId: randomUUID(), accountId: 'A-1' }), '');
    const file = write('with-errors.jsonl', `${lines.join('\r\n')}\r\n`);
    const result = await importFile({ file, url, token, chunkLines: 5, progressOut: capturedOutput() });
    expect(result.exitCode).toBe(1);
    expect(result.message.split('\n')).toEqual([
      'Failed lines (1):',
      '  line 12 (LinkCard): CARD_NOT_FOUND: No card with this id has been issued',
      expect.stringMatching(`with-errors\\.jsonl: ${history.lines.length + 1} lines: ${history.lines.length} applied, 0 already imported, 1 failed`),
    ]);
  });

  it('says how to start the service when it is not running', async () => {
    const file = write('one.jsonl', `${historyFile('2025-07-01T00:00:00.000Z').lines[0]}\n`);
    const result = await importFile({ file, url: 'http://127.0.0.1:1', progressOut: capturedOutput() });
    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(/Is it running\? Start it with: npm start/);
    expect(result.message).toMatch(/Nothing from line 1 on was imported/);
  });

  it('refuses bad usage with exit code 2', async () => {
    expect(await importCommand([], {})).toEqual({ exitCode: 2, message: expect.stringMatching(/^usage: card-cli import FILE/) });
    expect(await importCommand(['a', 'b'], {})).toMatchObject({ exitCode: 2 });
    expect(await importCommand([path.join(dir, 'missing.jsonl')], {})).toEqual({ exitCode: 2, message: expect.stringMatching(/Cannot read .*missing\.jsonl: ENOENT/) });
    expect(await importCommand(['x.jsonl'], { chunk: '0' })).toMatchObject({ exitCode: 2, message: expect.stringMatching(/--chunk/) });
    expect(await importCommand(['x.jsonl'], { colour: 'red' })).toMatchObject({ exitCode: 2, message: expect.stringMatching(/Unknown option --colour/) });
  });

  it('has nothing to do for an empty file', async () => {
    const result = await importFile({ file: write('empty.jsonl', ''), url, token, progressOut: capturedOutput() });
    expect(result).toEqual({ exitCode: 0, message: expect.stringMatching(/empty\.jsonl: 0 lines: 0 applied/) });
  });
});
