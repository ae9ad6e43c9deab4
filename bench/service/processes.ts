import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { sleep } from '../core/stats';

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
