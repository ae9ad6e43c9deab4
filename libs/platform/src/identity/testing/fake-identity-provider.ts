/**
 * A local HTTP server that plays the biometric provider of docs/identity.md, for tests: the adapter really talks
 * HTTP to it. It checks requests as a provider would (path, JSON shape, Idempotency-Key, bearer token), records
 * each one, and answers by a rule tests control through the sample itself (`sampleScoring(0.93)` is a sample the
 * provider scores 0.93), or by a script: slow, hanging up, 5xx, 429 with Retry-After, garbage, 4xx.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake answers one request with. */
export type FakeProviderReply =
  /** 200 `{ score, reference }` (reference: the fake's own unless given). */
  | { readonly score: number; readonly reference?: string }
  /** Exactly this status, headers and body (an object is sent as JSON, a string as it is). */
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** Waits, then answers with `then` (by default: by the sample). */
  | { readonly delayMs: number; readonly then?: FakeProviderReply }
  /** Destroys the connection without answering. */
  | { readonly hangUp: true }
  /** The provider's rule: the score the sample carries (see `sampleScoring`), 422 for a sample without one. */
  | { readonly bySample: true };

export interface RecordedProviderRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly body: unknown;
  /** `performance.now()`-style milliseconds since the fake started, when the whole request had arrived. */
  readonly receivedAtMs: number;
}

const SAMPLE_MARKER = 'fake-identity-provider;score=';

/** A base64 sample that the fake provider scores `score` (0..1, or anything else to test what the adapter does). */
export function sampleScoring(score: number, padding = 'live-capture'): string {
  return Buffer.from(`${SAMPLE_MARKER}${score};${padding}`, 'utf8').toString('base64');
}

function scoreInSample(data: string): number | undefined {
  const text = Buffer.from(data, 'base64').toString('utf8');
  const match = text.startsWith(SAMPLE_MARKER) ? /^([0-9.]+)(;|$)/.exec(text.slice(SAMPLE_MARKER.length)) : null;
  const score = match ? Number(match[1]) : NaN;
  return Number.isFinite(score) ? score : undefined;
}

export interface FakeIdentityProviderOptions {
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401). */
  readonly token?: string;
}

export class FakeIdentityProvider {
  /** Every request, in the order it arrived. */
  readonly requests: RecordedProviderRequest[] = [];

  private readonly script: FakeProviderReply[] = [];
  private fallback: FakeProviderReply = { bySample: true };
  /** Scores already given, by Idempotency-Key: a retried comparison gets the same answer. */
  private readonly answered = new Map<string, { score: number; reference: string }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly started = Date.now();
  private references = 0;

  private constructor(private readonly server: Server, private readonly options: FakeIdentityProviderOptions) {}

  /** Listens on a free port of 127.0.0.1. */
  static async listen(options: FakeIdentityProviderOptions = {}): Promise<FakeIdentityProvider> {
    const server = createServer();
    const fake = new FakeIdentityProvider(server, options);
    server.on('request', (req, res) => void fake.handle(req, res));
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** The URL of a port nothing listens on: a provider that is down. */
  static async closedPortUrl(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
  }

  /** The base URL to configure as IDENTITY_PROVIDER_URL. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests get these replies, one each, in order; then the fallback again. */
  reply(...replies: FakeProviderReply[]): this {
    this.script.push(...replies);
    return this;
  }

  /** Every request not scripted gets this reply (initially `{ bySample: true }`). */
  always(reply: FakeProviderReply): this {
    this.fallback = reply;
    return this;
  }

  /** Forgets the script, the recorded requests and the given answers; back to answering by the sample, references from 1. */
  reset(): void {
    this.script.length = 0;
    this.requests.length = 0;
    this.answered.clear();
    this.references = 0;
    this.fallback = { bySample: true };
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, body, receivedAtMs: Date.now() - this.started });
    this.answer(this.script.shift() ?? this.fallback, req, res, body);
  }

  private answer(reply: FakeProviderReply, req: IncomingMessage, res: ServerResponse, body: unknown): void {
    if (res.destroyed || res.writableEnded) return;
    if ('hangUp' in reply) {
      req.socket.destroy();
    } else if ('delayMs' in reply) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.answer(reply.then ?? { bySample: true }, req, res, body);
      }, reply.delayMs);
      this.timers.add(timer);
    } else if ('status' in reply) {
      const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
      const type = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
      res.writeHead(reply.status, { 'content-type': type, ...reply.headers }).end(text);
    } else if ('score' in reply) {
      this.scored(req, res, reply.score, reply.reference);
    } else {
      this.byTheRules(req, res, body);
    }
  }

  /** What a provider does with a request: check it, then score the sample (or replay the answer to a retry). */
  private byTheRules(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const json = (status: number, answer: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    if (req.method !== 'POST' || req.url !== '/v1/comparisons') return void json(404, { error: 'NOT_FOUND' });
    if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`) return void json(401, { error: 'UNAUTHORIZED' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return void json(415, { error: 'UNSUPPORTED_MEDIA_TYPE' });
    const problem = invalidComparison(body, req.headers['idempotency-key']);
    if (problem !== undefined) return void json(400, { error: 'INVALID_REQUEST', message: problem });
    const { requestId, sample } = body as { requestId: string; sample: { data: string } };
    const earlier = this.answered.get(requestId);
    if (earlier !== undefined) return void json(200, earlier);
    const score = scoreInSample(sample.data);
    if (score === undefined) return void json(422, { error: 'UNREADABLE_SAMPLE' });
    this.scored(req, res, score);
  }

  private scored(req: IncomingMessage, res: ServerResponse, score: number, reference = `cmp-${String(++this.references).padStart(6, '0')}`): void {
    const key = req.headers['idempotency-key'];
    const answer = { score, reference };
    if (typeof key === 'string') this.answered.set(key, answer);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }
}

/** Checks the request body of docs/identity.md; says what is wrong, or undefined. */
function invalidComparison(body: unknown, idempotencyKey: string | string[] | undefined): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const { requestId, method, subject, sample, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return `unknown fields: ${Object.keys(rest).join(', ')}`;
  if (typeof requestId !== 'string' || requestId === '') return 'requestId must be a string';
  if (idempotencyKey !== requestId) return 'the Idempotency-Key header must equal requestId';
  if (method !== 'FACE' && method !== 'FINGERPRINT') return 'method must be FACE or FINGERPRINT';
  if (typeof subject !== 'object' || subject === null) return 'subject must be an object';
  const { name, idType, idNumber, ...otherSubject } = subject as Record<string, unknown>;
  if (Object.keys(otherSubject).length > 0) return `unknown subject fields: ${Object.keys(otherSubject).join(', ')}`;
  if ([name, idType, idNumber].some((v) => typeof v !== 'string' || v === '')) return 'subject needs name, idType and idNumber';
  if (typeof sample !== 'object' || sample === null) return 'sample must be an object';
  const { format, data, ...otherSample } = sample as Record<string, unknown>;
  if (Object.keys(otherSample).length > 0) return `unknown sample fields: ${Object.keys(otherSample).join(', ')}`;
  if (format !== 'base64') return 'sample.format must be base64';
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) return 'sample.data must be base64';
  return undefined;
}
