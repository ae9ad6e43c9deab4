import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBench } from './bench';
import { renderTable, writeResults, type BenchResults } from './core/report';

jest.setTimeout(120_000);

/**
 * Keeps `npm run bench` working: the quick variant of its cheapest rows (appends of one writer, reads), through the
 * same code as a run, and the structure of what it reports. Speed is never asserted here: the figures depend on
 * the machine and whatever else runs on it.
 */
describe('npm run bench, quick, event-store rows', () => {
  let results: BenchResults;
  const progress: string[] = [];

  beforeAll(async () => {
    results = await runBench({ quick: true, only: ['appends.one-writer', 'reads.'], profileDir: null, progress: (line) => progress.push(line) });
  });

  it('measures the selected rows and no other', () => {
    expect(results.failures).toEqual([]);
    expect(results.rows.map((r) => r.id)).toEqual(['appends.one-writer', 'reads.stream', 'reads.all']);
  });

  it('gives each row a figure and a reference measured in the same run, their ratio, a target and its verdict', () => {
    for (const r of results.rows) {
      for (const value of [r.figure.value, r.reference?.value, r.ratio]) {
        expect(typeof value).toBe('number');
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThan(0);
      }
      expect(r.ratio).toBeCloseTo(r.figure.value / r.reference!.value, 10);
      expect(r.target?.kind).toBe('ratio-at-least');
      expect(typeof r.pass).toBe('boolean');
      expect(r.figure.unit).toMatch(/\/s$/);
      expect(typeof r.details.method).toBe('string');
    }
  });

  it('records the machine, and says what it is doing on the progress channel', () => {
    expect(results.quick).toBe(true);
    expect(results.machine.cpus.count).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    expect(results.machine.memoryMB).toBeGreaterThan(0);
    expect(progress.some((line) => line.includes('appends'))).toBe(true);
  });

  it('prints one table with a line per row, and writes the results as JSON', () => {
    const table = renderTable(results.rows).split('\n');
    expect(table).toHaveLength(2 + results.rows.length);
    for (const r of results.rows) expect(table.some((line) => line.includes(`\`${r.id}\``))).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    try {
      writeResults(path.join(dir, 'results.json'), results);
      const written = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as BenchResults;
      expect(written.rows.map((r) => r.id)).toEqual(results.rows.map((r) => r.id));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
