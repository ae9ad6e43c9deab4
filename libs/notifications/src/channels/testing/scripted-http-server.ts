/**
 * A local HTTP server for tests of the HTTP channels: it plays the SMS gateway or a webhook receiver. It records
 * every request (raw body included) and answers each by the next reply of its script, then by its fallback.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedReply =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** Waits, then answers `then` (or never, if the request was given up meanwhile). */
  | { readonly delayMs: number; readonly then: ScriptedReply };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  readonly receivedAt: number;
}

export class ScriptedHttpServer {
  readonly requests: RecordedRequest[] = [];
  private script: ScriptedReply[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    /** Answers a request the script does not cover. */
    public fallback: (request: RecordedRequest) => ScriptedReply,
  ) {}

  static async listen(fallback: (request: RecordedRequest) => ScriptedReply): Promise<ScriptedHttpServer> {
    const server = createServer();
    const fake = new ScriptedHttpServer(server, fallback);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() };
        fake.requests.push(request);
        const answer = (reply: ScriptedReply): void => {
          if ('delayMs' in reply) {
            const timer = setTimeout(() => {
              fake.timers.delete(timer);
              if (!res.destroyed) answer(reply.then);
            }, reply.delayMs);
            fake.timers.add(timer);
            return;
          }
          const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
          const contentType = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
          res.writeHead(reply.status, { 'content-type': contentType, ...reply.headers });
          res.end(text);
        };
        answer(fake.script.shift() ?? fake.fallback(request));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests are answered with these, in order. */
  reply(...replies: ScriptedReply[]): void {
    this.script.push(...replies);
  }

  reset(): void {
    this.requests.length = 0;
    this.script = [];
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
