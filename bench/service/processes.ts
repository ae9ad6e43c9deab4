import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { round1, sleep } from '../core/stats';

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly logFile: string;
  /** The last lines of its output, for error messages. */
  tail(): string;
}

export interface StartOptions {
  readonly name: string;
  readonly nodeArgs: readonly string[];
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  /** Where its stdout and stderr go (a file, so that a busy logger never blocks on a full pipe). */
  readonly logFile: string;
  /** A path answering 200 once it is up. */
  readonly readyPath: string;
  readonly timeoutMs?: number;
}

/** Starts a Node process of the build and waits until `readyPath` answers 200. */
export async function startNodeProcess(options: StartOptions): Promise<NodeProcess> {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const out = fs.openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...options.nodeArgs, options.script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${options.port}`;
  const tail = () => {
    try {
      return fs.readFileSync(options.logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail()}`);
    try {
      const res = await fetch(`${url}${options.readyPath}`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready within ${options.timeoutMs ?? 120_000} ms:\n${tail()}`);
    }
    await sleep(100);
  }
  return { name: options.name, child, pid: child.pid!, url, logFile: options.logFile, tail };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(p: NodeProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resident memory now and at its peak (VmRSS, VmHWM), in MiB, from /proc (Linux). */
export function memoryOf(pid: number): { rssMB: number; peakRssMB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMB: kB('VmRSS') / 1024, peakRssMB: kB('VmHWM') / 1024 };
}

/**
 * What the resident memory is made of, from /proc/<pid>/smaps_rollup (Linux 4.14 and later), in MiB: anonymous
 * pages (the V8 heap, malloc's arenas with SQLite's page caches and Node's buffers, thread stacks) against
 * file-backed ones (the node binary, shared libraries, better-sqlite3's addon: mapped from files, shared with
 * other processes and dropped by the kernel under pressure); shared against private. null where it cannot be read.
 */
export interface MemoryBreakdown {
  readonly rssMB: number;
  readonly anonymousMB: number;
  readonly fileBackedMB: number;
  readonly sharedMB: number | null;
  readonly privateMB: number | null;
}

export function memoryBreakdownOf(pid: number): MemoryBreakdown | null {
  let rollup: string;
  try {
    rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return null;
  }
  const kB = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup);
    return match ? Number(match[1]) : null;
  };
  const sum = (a: number | null, b: number | null) => (a === null || b === null ? null : mib(a + b));
  const rss = kB('Rss');
  const anonymous = kB('Anonymous');
  if (rss === null || anonymous === null) return null;
  return {
    rssMB: mib(rss),
    anonymousMB: mib(anonymous),
    fileBackedMB: mib(rss - anonymous),
    sharedMB: sum(kB('Shared_Clean'), kB('Shared_Dirty')),
    privateMB: sum(kB('Private_Clean'), kB('Private_Dirty')),
  };
}

const mib = (kB: number) => round1(kB / 1024);

/**
 * `node` arguments and environment that let `takeHeapSnapshot` work on a process: Node's own handler writes a
 * snapshot into `diagnosticDir` on SIGUSR2 (nothing of ours uses that signal: card-api stops on SIGTERM and SIGINT
 * only), and the preload writes V8's heap figures into `statsFile` just before (heap-stats-preload.ts).
 */
export function heapSnapshotSetup(diagnosticDir: string, statsFile: string, preload: string): { nodeArgs: string[]; env: Record<string, string> } {
  fs.mkdirSync(diagnosticDir, { recursive: true });
  return {
    nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${diagnosticDir}`, '-r', preload],
    env: { BENCH_HEAP_STATS_FILE: statsFile },
  };
}

export interface HeapSnapshot {
  /** Where it was moved to (outside the run's temporary directory). */
  readonly file: string;
  readonly megabytes: number;
  /** From SIGUSR2 to the process answering again: how long it was frozen writing. */
  readonly seconds: number;
  /** What the preload wrote just before the snapshot (memoryUsage, heap statistics and spaces), null without it. */
  readonly v8: unknown;
}

/**
 * Has a process started with `heapSnapshotSetup` write a heap snapshot, and moves it to `keepAs`. Node writes it
 * synchronously, inside a listener of the signal (v8.writeHeapSnapshot, --heapsnapshot-signal): once the file
 * exists that listener has begun, and the process answers no request before it has returned. So the file is
 * complete when an HTTP request sent after the file appeared is answered; its size and its last bytes (the JSON's
 * closing `]}`) are checked as well, so that a snapshot cut short is an error here, not in the analysis.
 */
export async function takeHeapSnapshot(
  p: NodeProcess,
  setup: { diagnosticDir: string; statsFile: string; keepAs: string; probePath: string; timeoutMs?: number },
): Promise<HeapSnapshot> {
  const isSnapshot = (name: string) => name.endsWith('.heapsnapshot');
  const before = new Set(fs.readdirSync(setup.diagnosticDir).filter(isSnapshot));
  const start = Date.now();
  const deadline = start + (setup.timeoutMs ?? 600_000);
  const check = () => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}) while writing a heap snapshot:\n${p.tail()}`);
    if (Date.now() > deadline) throw new Error(`${p.name} wrote no complete heap snapshot within ${setup.timeoutMs ?? 600_000} ms`);
  };
  process.kill(p.pid, 'SIGUSR2');
  let name: string | undefined;
  while (name === undefined) {
    check();
    await sleep(50);
    name = fs.readdirSync(setup.diagnosticDir).find((n) => isSnapshot(n) && !before.has(n));
  }
  const written = path.join(setup.diagnosticDir, name);
  // Answered only once the synchronous write has returned (connection refused or reset: try again).
  for (;;) {
    check();
    try {
      await (await fetch(`${p.url}${setup.probePath}`)).arrayBuffer();
      break;
    } catch {
      await sleep(200);
    }
  }
  const seconds = (Date.now() - start) / 1000;
  const size = fs.statSync(written).size;
  await sleep(500);
  if (fs.statSync(written).size !== size || !endsWith(written, ']}')) throw new Error(`${written} is not a complete heap snapshot (${size} bytes)`);
  fs.mkdirSync(path.dirname(setup.keepAs), { recursive: true });
  moveFile(written, setup.keepAs);
  let v8: unknown = null;
  try {
    v8 = JSON.parse(fs.readFileSync(setup.statsFile, 'utf8'));
  } catch {
    // the preload was not loaded: the snapshot alone
  }
  return { file: setup.keepAs, megabytes: Math.round(size / 1024 / 1024), seconds: round1(seconds), v8 };
}

function endsWith(file: string, text: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const { size } = fs.fstatSync(fd);
    const tail = Buffer.alloc(Math.min(size, 16));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString('utf8').trimEnd().endsWith(text);
  } finally {
    fs.closeSync(fd);
  }
}

/** rename, or copy and remove where the two paths are on different file systems (the OS temp directory). */
function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.copyFileSync(from, to);
    fs.rmSync(from);
  }
}

/** CPU seconds the process has used (user + system), from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until the process has used under `threshold` of a core for a whole second (its start-up work done:
 * catching up with the log, signing audit checkpoints); answers the seconds it waited.
 */
export async function waitUntilIdle(pid: number, timeoutMs: number, threshold = 0.05): Promise<number> {
  const start = Date.now();
  let before = cpuSecondsOf(pid);
  for (;;) {
    await sleep(1000);
    const after = cpuSecondsOf(pid);
    if (after - before < threshold) return (Date.now() - start) / 1000;
    if (Date.now() - start > timeoutMs) throw new Error(`process ${pid} still busy after ${timeoutMs} ms`);
    before = after;
  }
}
