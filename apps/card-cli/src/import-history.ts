import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { FileChunks } from './file-chunks';
import { ProgressBar } from './progress-bar';
import { callService, DEFAULT_SERVICE_URL, ServiceError, ServiceUnreachableError } from './service-client';
import { serviceTokenSource, type TokenSource } from './service-token';
import { NoTokenError } from './signing-secret';

/** What POST /v1/imports answers for one chunk. */
interface ChunkReport {
  readonly lines: number;
  readonly applied: number;
  readonly alreadyImported: number;
  readonly failed: readonly { readonly line: number; readonly command: string | null; readonly code: string; readonly reason: string }[];
  readonly eventsWritten: number;
}

export interface ImportFileOptions {
  readonly file: string;
  readonly url?: string;
  /** The bearer token for each request (an admin's); none: requests go without one. */
  readonly token?: TokenSource;
  /** Lines per request (default 500). */
  readonly chunkLines?: number;
  readonly progressOut?: ConstructorParameters<typeof ProgressBar>[0];
}

export const IMPORT_USAGE = 'usage: card-cli import FILE [--url URL] [--chunk LINES] [--token TOKEN]   (FILE: JSON Lines, one command per line)';
const DEFAULT_CHUNK_LINES = 500;
const MAX_CHUNK_LINES = 10_000;
/** Well under the service's 20 MiB per request, whatever the length of the lines. */
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

/** `card-cli import FILE [--url URL] [--chunk N]`, from parsed arguments. Exit codes: 0 all imported, 1 some lines failed, 2 could not run. */
export async function importCommand(
  positional: readonly string[],
  options: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ exitCode: number; message: string }> {
  const unknown = Object.keys(options).filter((o) => o !== 'url' && o !== 'chunk' && o !== 'token');
  if (positional.length !== 1 || unknown.length > 0) {
    return { exitCode: 2, message: `${unknown.length > 0 ? `Unknown option --${unknown[0]}.\n` : ''}${IMPORT_USAGE}` };
  }
  let chunkLines = DEFAULT_CHUNK_LINES;
  if (options.chunk !== undefined) {
    chunkLines = Number(options.chunk);
    if (!/^\d+$/.test(options.chunk) || chunkLines < 1 || chunkLines > MAX_CHUNK_LINES) {
      return { exitCode: 2, message: `--chunk must be a whole number of lines from 1 to ${MAX_CHUNK_LINES}.\n${IMPORT_USAGE}` };
    }
  }
  return importFile({ file: positional[0], chunkLines, token: serviceTokenSource(options.token, env), ...(options.url && { url: options.url }) });
}

/**
 * Sends a JSON Lines file to the running card-api in chunks (the service is the only writer, whatever store it
 * runs on), with a progress bar on stderr; answers with the failed lines and a summary. Safe to run again on the
 * same file: lines already imported are recognised and skipped.
 */
export async function importFile(options: ImportFileOptions): Promise<{ exitCode: number; message: string }> {
  const url = options.url ?? DEFAULT_SERVICE_URL;
  const chunkLines = options.chunkLines ?? DEFAULT_CHUNK_LINES;
  let size: number;
  try {
    const stat = await fs.promises.stat(options.file);
    if (!stat.isFile()) return { exitCode: 2, message: `${options.file} is not a file.\n${IMPORT_USAGE}` };
    size = stat.size;
  } catch (error) {
    return { exitCode: 2, message: `Cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }

  const importId = `cli-import-${randomUUID()}`;
  const bar = new ProgressBar(options.progressOut);
  const totals = { lines: 0, applied: 0, alreadyImported: 0, eventsWritten: 0 };
  const failed: string[] = [];
  let bytesSent = 0;
  let linesSent = 0;

  const count = (report: ChunkReport): void => {
    totals.lines += report.lines;
    totals.applied += report.applied;
    totals.alreadyImported += report.alreadyImported;
    totals.eventsWritten += report.eventsWritten;
    for (const f of report.failed) failed.push(`  line ${f.line}${f.command ? ` (${f.command})` : ''}: ${f.code}: ${f.reason}`);
  };
  const progress = (): void => {
    const linesPerSecond = Math.round(linesSent / Math.max(bar.seconds, 0.001));
    bar.update(Math.min(bytesSent, size), size, 'bytes', `${linesPerSecond} lines/s, applied ${totals.applied}, already ${totals.alreadyImported}, failed ${failed.length}`);
  };
  const send = async (chunk: readonly string[], firstLine: number, bytes: number): Promise<void> => {
    count(
      await callService<ChunkReport>(url, '/v1/imports', {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'x-import-first-line': String(firstLine), 'x-correlation-id': importId },
        body: chunk.join('\n'),
      }, options.token),
    );
    bytesSent += bytes;
    linesSent += chunk.length;
    progress();
  };

  const chunks = new FileChunks(options.file, { maxLines: chunkLines, maxBytes: MAX_CHUNK_BYTES });
  try {
    await chunks.forEach(send);
    if (bytesSent < size) {
      // Line endings of two bytes (CRLF) are counted as one while reading.
      bytesSent = size;
      progress();
    }
  } catch (error) {
    chunks.close();
    // A chunk the event store stopped in half way still reports the lines it handled.
    const partial = error instanceof ServiceError ? (error.problem as { report?: ChunkReport } | null)?.report : undefined;
    if (partial) count(partial);
    if (linesSent > 0) bar.done(`Stopped after ${linesSent} lines`);
    return { exitCode: 2, message: [...failedSection(failed), stopped(error, chunks.firstLine)].join('\n') };
  }

  const seconds = bar.seconds;
  const summary =
    `${options.file}: ${totals.lines} lines: ${totals.applied} applied, ${totals.alreadyImported} already imported, ${failed.length} failed; ` +
    `${totals.eventsWritten} events written in ${seconds.toFixed(1)} s (${Math.round(chunks.lineNumber / Math.max(seconds, 0.001))} lines/s)`;
  bar.done(`Read ${chunks.lineNumber} lines in ${seconds.toFixed(1)} s`);
  return { exitCode: failed.length > 0 ? 1 : 0, message: [...failedSection(failed), summary].join('\n') };
}

function failedSection(failed: readonly string[]): string[] {
  return failed.length === 0 ? [] : [`Failed lines (${failed.length}):`, ...failed];
}

/** Why the import could not go on, and what to do about it. */
function stopped(error: unknown, firstLine: number): string {
  const again = 'Run the same command again: lines already imported are recognised and skipped.';
  if (error instanceof NoTokenError) return `${error.message}\nNothing from line ${firstLine} on was imported.`;
  if (error instanceof ServiceUnreachableError) return `${error.message}\nNothing from line ${firstLine} on was imported. ${again}`;
  if (error instanceof ServiceError) {
    const problem = error.problem as { stoppedAtLine?: number } | null;
    if (error.status === 503 && typeof problem?.stoppedAtLine === 'number') {
      return `Stopped at line ${problem.stoppedAtLine}: the event store cannot be reached. The lines before it were handled. ${again}`;
    }
    return `card-api refused the lines from ${firstLine} on: ${error.message}`;
  }
  return `The import stopped at line ${firstLine}: ${(error as Error).message}`;
}
