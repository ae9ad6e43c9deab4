import * as fs from 'node:fs';
import * as path from 'node:path';
import { capturedOutput, listenOnLoopback, removeDataDir, startTestApp, type TestApp } from '../../card-api/test/support/test-app';
import { importNumbersCommand, importNumbersFile } from '../src/import-numbers';

describe('card-cli numbers import, against the running service', () => {
  let t: TestApp;
  let url: string;
  let dir: string;
  const token = () => t.token({ sub: 'operator', roles: ['admin'] });
  beforeAll(async () => {
    t = await startTestApp();
    url = await listenOnLoopback(t);
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

  it('imports a CSV file in chunks with a progress bar, reports refused lines by their line in the file, and adds nothing the second time', async () => {
    const numbers = Array.from({ length: 20 }, (_, i) => `1350000${String(i).padStart(4, '0')}`);
    const lines = ['msisdn,region,tier', ...numbers.map((m) => `${m},021`)];
    lines.splice(8, 0, '1350000xxxx,021'); // line 9
    lines.push(`${numbers[0]},021`); // line 23: a repeat, in another chunk than the first
    const file = write('numbers.csv', `${lines.join('\n')}\n`);

    const progress = capturedOutput();
    const first = await importNumbersFile({ file, url, token, chunkLines: 5, progressOut: progress });
    expect(first.exitCode).toBe(1);
    expect(first.message.split('\n')).toEqual([
      'Refused lines (1):',
      expect.stringMatching(/^ {2}line 9: INVALID_MSISDN: msisdn must be an 11-digit mainland mobile number/),
      expect.stringMatching(/numbers\.csv: 22 numbers: 20 imported, 1 already in inventory, 1 refused in [\d.]+ s \(\d+ numbers\/s\)$/),
    ]);
    expect(progress.text).toMatch(/\[#+\] 100\.0% \d+\/\d+ bytes, \d+ bytes\/s, \d+ numbers\/s, imported 20, already 1, failed 1/);

    const again = await importNumbersFile({ file, url, token, chunkLines: 7, progressOut: capturedOutput() });
    expect(again.message).toMatch(/22 numbers: 0 imported, 21 already in inventory, 1 refused/);
    const found = await t.http().get('/v1/numbers/search').query({ region: '021', pattern: '1350000*', limit: 100 }).expect(200);
    expect(found.body.items).toHaveLength(20);
  });

  it('imports JSON Lines, and says how to run it when the arguments are wrong', async () => {
    const file = write('numbers.jsonl', '{"msisdn":"13600000001","region":"022","tier":"SILVER"}\n{"msisdn":"13600000002","region":"022"}\n');
    const result = await importNumbersFile({ file, url, token, progressOut: capturedOutput() });
    expect(result).toMatchObject({ exitCode: 0, message: expect.stringMatching(/2 numbers: 2 imported, 0 already in inventory, 0 refused/) });

    expect((await importNumbersCommand(['import'], {})).exitCode).toBe(2);
    expect((await importNumbersCommand(['import', write('numbers.txt', 'x')], {})).message).toMatch(/--format csv or --format jsonl/);
    expect((await importNumbersCommand(['import', file], { chunk: '0' })).exitCode).toBe(2);
    expect((await importNumbersFile({ file: path.join(dir, 'missing.csv'), url, token })).exitCode).toBe(2);
  });
});
