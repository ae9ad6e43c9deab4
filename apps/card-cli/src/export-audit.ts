import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { StringDecoder } from 'node:string_decoder';
import { ProgressBar } from './progress-bar';
import { DEFAULT_SERVICE_URL, ServiceUnreachableError } from './service-client';
import { serviceTokenSource, type TokenSource } from './service-token';
import { NoTokenError } from './signing-secret';

export const EXPORT_USAGE =
  'usage: card-cli export [--from TIME] [--to TIME] [--from-position P] [--to-position P] [--format jsonl|csv] [--url URL] [--token TOKEN] > FILE';

/** card-cli option → query parameter of GET /v1/audit/export. */
const QUERY_OPTIONS: Readonly<Record<string, string>> = {
  from: 'from',
  to: 'to',
  'from-position': 'fromPosition',
  'to-position': 'toPosition',
  format: 'format',
};
const PATH = '/v1/audit/export';
const PROGRESS_EVERY_MS = 250;

export interface ExportAuditOptions {
  readonly url?: string;
  /** The bearer token (an auditor's). */
  readonly token?: TokenSource;
  /** Query parameters of GET /v1/audit/export. */
  readonly query?: Readonly<Record<string, string>>;
  /** Where the export goes (stdout). */
  readonly out: Writable;
  /** Where progress goes (stderr): a bar on a terminal, nothing but the summary otherwise. */
  readonly progressOut?: ConstructorParameters<typeof ProgressBar>[0];
}

/** `card-cli export …`, from parsed arguments. Exit codes: 0 the whole export was written, 2 it could not be. */
export async function exportCommand(
  positional: readonly string[],
  options: Readonly<Record<string, string>>,
  out: Writable = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ exitCode: number; message: string }> {
  const unknown = Object.keys(options).filter((o) => o !== 'url' && o !== 'token' && !(o in QUERY_OPTIONS));
  if (positional.length > 0 || unknown.length > 0) {
    const what = unknown.length > 0 ? `Unknown option --${unknown[0]}.\n` : `Unexpected argument ${positional[0]}: the export goes to standard output.\n`;
    return { exitCode: 2, message: `${what}${EXPORT_USAGE}` };
  }
  if (options.format !== undefined && options.format !== 'jsonl' && options.format !== 'csv') {
    return { exitCode: 2, message: `--format must be jsonl or csv.\n${EXPORT_USAGE}` };
  }
  const query: Record<string, string> = {};
  for (const [option, parameter] of Object.entries(QUERY_OPTIONS)) if (options[option] !== undefined) query[parameter] = options[option];
  return exportAudit({ query, out, token: serviceTokenSource(options.token, env, 'auditor'), ...(options.url && { url: options.url }) });
}

/**
 * Streams GET /v1/audit/export into `out` as it arrives (the pipe's back-pressure reaches the service, so memory
 * stays flat whatever the size), counting lines on the way, with a progress bar when stderr is a terminal. The
 * export's footer line is the proof it is whole: without it, the exit code is 2 and the file must not be used.
 */
export async function exportAudit(options: ExportAuditOptions): Promise<{ exitCode: number; message: string }> {
  const url = new URL(PATH, options.url ?? DEFAULT_SERVICE_URL);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const progressOut = options.progressOut ?? process.stderr;
  const bar = new ProgressBar(progressOut);
  const format = options.query?.format ?? 'jsonl';
  const endBar = () => {
    if (progressOut.isTTY) progressOut.write('\n');
  };
  try {
    const headers = new Headers();
    if (options.token) headers.set('authorization', `Bearer ${await options.token()}`);
    let response: Response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      throw new ServiceUnreachableError(url.origin, (error as { cause?: unknown }).cause ?? error);
    }
    if (!response.ok) return { exitCode: 2, message: await refusal(response) };
    if (!response.body) throw new Error('card-api answered without a body');

    const counter = new LineCounter(progressOut.isTTY === true ? (lines, bytes) => bar.update(lines, null, 'lines', `${(bytes / 1e6).toFixed(1)} MB`) : null);
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), counter, options.out, { end: options.out !== process.stdout });
    endBar();
    const footer = footerOf(counter.lastLine, format);
    const size = `${counter.lines} lines, ${(counter.bytes / 1e6).toFixed(1)} MB`;
    if (!footer) {
      return { exitCode: 2, message: `The export was cut short after ${size}: it has no footer line, so the output is incomplete. Run it again.` };
    }
    return {
      exitCode: 0,
      message: `Exported ${footer.events} events and ${footer.checkpoints} checkpoints (${size}) in ${bar.seconds.toFixed(1)} s.`,
    };
  } catch (error) {
    endBar();
    if (error instanceof ServiceUnreachableError || error instanceof NoTokenError) return { exitCode: 2, message: error.message };
    return { exitCode: 2, message: `The export could not be written: ${(error as Error).message}` };
  }
}

const HINTS: Readonly<Record<number, string>> = {
  401: ' (card-cli sends --token or CARD_API_TOKEN, else signs one with AUTH_JWT_SECRET or the secret in DATA_DIR: is it this service\'s?)',
  403: ' (card-cli export needs a token with the auditor role)',
};

/** What to say when card-api refuses the export (a problem+json answer). */
async function refusal(response: Response): Promise<string> {
  const text = await response.text();
  let problem: { detail?: string; code?: string } = {};
  try {
    problem = JSON.parse(text) as { detail?: string; code?: string };
  } catch {
    problem = { detail: text.slice(0, 200) };
  }
  return `card-api answered ${response.status}${problem.code ? ` ${problem.code}` : ''}: ${problem.detail ?? 'no details'}${HINTS[response.status] ?? ''}`;
}

/** The footer's counts, from the last line of the export, or null when that line is not a footer. */
function footerOf(lastLine: string, format: string): { events: number; checkpoints: number } | null {
  if (format === 'csv') {
    if (!lastLine.startsWith('footer,')) return null;
    const match = /"events":(\d+),"checkpoints":(\d+)/.exec(lastLine.replace(/""/g, '"'));
    return match ? { events: Number(match[1]), checkpoints: Number(match[2]) } : null;
  }
  try {
    const footer = JSON.parse(lastLine) as { kind?: unknown; events?: unknown; checkpoints?: unknown };
    return footer.kind === 'footer' && typeof footer.events === 'number' && typeof footer.checkpoints === 'number'
      ? { events: footer.events, checkpoints: footer.checkpoints }
      : null;
  } catch {
    return null;
  }
}

/** Passes bytes through unchanged, counting them and the lines, and keeping the last complete line. */
class LineCounter extends Transform {
  lines = 0;
  bytes = 0;
  lastLine = '';
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');
  private lastShown = 0;

  /** `progress`: called at most every PROGRESS_EVERY_MS with the counts so far (null: no progress shown). */
  constructor(private readonly progress: ((lines: number, bytes: number) => void) | null) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    const text = this.pending + this.decoder.write(chunk);
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.pending = text;
    } else {
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) this.lines += 1;
      this.lastLine = text.slice(text.lastIndexOf('\n', last - 1) + 1, last).replace(/\r$/, '');
      this.pending = text.slice(last + 1);
    }
    if (this.progress && Date.now() - this.lastShown >= PROGRESS_EVERY_MS) {
      this.lastShown = Date.now();
      this.progress(this.lines, this.bytes);
    }
    done(null, chunk);
  }
}
