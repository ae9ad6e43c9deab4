import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { freePort } from '../../../../bench/service/processes';
import { TEST_JWT_SECRET } from './test-app';

const ROOT = path.resolve(__dirname, '../../../..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  /** Resolves with how it ended, once it has. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
}

/**
 * An app of the service as its own process, from the TypeScript sources (ts-node, no build), its output in a
 * file. Resolves once `readyPath` answers 200.
 */
export async function startService(script: string, env: Record<string, string>, logFile: string, readyPath = '/health'): Promise<ServiceProcess> {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', script], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const log = () => fs.readFileSync(logFile, 'utf8');
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${script} exited before it was ready:\n${log().slice(-3000)}`);
    const status = await get(`${url}${readyPath}`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} was not ready in time:\n${log().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, port, logFile, exited, log };
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a connection of its own (no keep-alive), answered in full or failed with the socket's error. */
export function send(url: string, method: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      { method, agent: false, headers: { ...headers, ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const get = (url: string, headers: Record<string, string> = {}): Promise<Answer> => send(url, 'GET', headers);

/**
 * The environment of a card-api child process in a fault test: its DATA_DIR, the tests' token secret, no rate limit
 * (the tests send bursts), and no signed audit checkpoint in the middle (the log holds the commands' events and
 * the notices only); `extra` adds or overrides.
 */
export function serviceEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    AUDIT_CHECKPOINT_EVERY: '10000000',
    ...extra,
  };
}
