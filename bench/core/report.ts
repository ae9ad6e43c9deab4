import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeTarget, formatNumber, type Row } from './rows';

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpus: { readonly count: number; readonly model: string; readonly speedMHz: number };
  readonly memoryMB: number;
  readonly loadAverageAtStart: readonly number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: { count: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown', speedMHz: cpus[0]?.speed ?? 0 },
    memoryMB: Math.round(os.totalmem() / 2 ** 20),
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly quick: boolean;
  readonly only: readonly string[];
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: readonly number[];
  readonly rows: readonly Row[];
  /** Groups that failed: their rows are missing. */
  readonly failures: readonly { readonly group: string; readonly error: string }[];
  readonly profiles?: Readonly<Record<string, unknown>>;
}

/** The table, as printed and as pasted into docs/performance.md (a Markdown table reads well in a terminal too). */
export function renderTable(rows: readonly Row[]): string {
  const header = ['row', 'figure', 'reference (same run)', 'ratio', 'target', 'result'];
  const lines = rows.map((r) => [
    `${r.label} \`${r.id}\``,
    `${formatNumber(r.figure.value)} ${r.figure.unit}`,
    r.reference ? `${formatNumber(r.reference.value)} ${r.reference.unit} (${r.reference.label})` : '—',
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    describeTarget(r.target, r.figure.unit) || '—',
    r.pass === null ? '—' : r.pass ? 'pass' : 'MISS',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n');
}

export function describeMachine(machine: MachineInfo): string {
  return `${machine.cpus.count} × ${machine.cpus.model} (${machine.cpus.speedMHz} MHz), ${Math.round(machine.memoryMB / 1024)} GiB, Node ${machine.node}, ${machine.platform}`;
}

export function writeResults(file: string, results: BenchResults): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
