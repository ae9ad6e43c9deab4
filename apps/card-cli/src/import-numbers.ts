import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { FileChunks } from './file-chunks';
import { ProgressBar } from './progress-bar';
import { callService, DEFAULT_SERVICE_URL, ServiceError } from './service-client';
import { serviceTokenSource, type TokenSource } from './service-token';

/** What POST /v1/numbers/imports answers for one chunk. */
interface ChunkReport {
  readonly lines: number;
  readonly imported: number;
  readonly alreadyInInventory: number;
  readonly failed: readonly { readonly line: number; readonly code: string; readonly reason: string }[];
}

export type NumbersFileFormat = 'csv' | 'jsonl';

export interface ImportNumbersOptions {
  readonly file: string;
  readonly format?: NumbersFileFormat;
  readonly url?: string;
  readonly token?: TokenSource;
  /** Lines per request (default 5,000). */
  readonly chunkLines?: number;
  readonly progressOut?: ConstructorParameters<typeof ProgressBar>[0];
}

export const IMPORT_NUMBERS_USAGE =
  'usage: card-cli numbers import FILE [--format csv|jsonl] [--url URL] [--chunk LINES] [--token TOKEN]   (CSV msisdn,region[,tier] or JSON Lines)';
const DEFAULT_CHUNK_LINES = 5000;
const MAX_CHUNK_LINES = 50_000;
const CONTENT_TYPES: Record<NumbersFileFormat, string> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

/** The format a file's name says (.csv; .jsonl, .ndjson), when --format does not. */
export function formatOfFile(file: string): NumbersFileFormat | null {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  return null;
}

/** `card-cli numbers import FILE …` from parsed arguments. Exit codes: 0 every line imported, 1 some failed, 2 could not run. */
export async function importNumbersCommand(
  positional: readonly string[],
  options: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ exitCode: number; message: string }> {
  const unknown = Object.keys(options).filter((o) => !['url', 'chunk', 'token', 'format'].includes(o));
  if (positional[0] !== 'import' || positional.length !== 2 || unknown.length > 0) {
    return { exitCode: 2, message: `${unknown.length > 0 ? `Unknown option --${unknown[0]}.\n` : ''}${IMPORT_NUMBERS_USAGE}` };
  }
  const file = positional[1];
  const format = (options.format ?? formatOfFile(file)) as NumbersFileFormat | null;
  if (format !== 'csv' && format !== 'jsonl') {
    return { exitCode: 2, message: `Say the file's format with --format csv or --format jsonl (or name it .csv / .jsonl).\n${IMPORT_NUMBERS_USAGE}` };
  }
  let chunkLines = DEFAULT_CHUNK_LINES;
  if (options.chunk !== undefined) {
    chunkLines = Number(options.chunk);
    if (!/^\d+$/.test(options.chunk) || chunkLines < 1 || chunkLines > MAX_CHUNK_LINES) {
      return { exitCode: 2, message: `--chunk must be a whole number of lines from 1 to ${MAX_CHUNK_LINES}.\n${IMPORT_NUMBERS_USAGE}` };
    }
  }
  return importNumbersFile({ file, format, chunkLines, token: serviceTokenSource(options.token, env), ...(options.url && { url: options.url }) });
}

/**
 * Sends a numbers file to the running card-api in chunks, with a progress bar; prints the refused lines (by their
 * line in the file) and a summary. Safe to run again: numbers already in the inventory are counted, not added.
 */
export async function importNumbersFile(options: ImportNumbersOptions): Promise<{ exitCode: number; message: string }> {
  const url = options.url ?? DEFAULT_SERVICE_URL;
  const format = options.format ?? formatOfFile(options.file) ?? 'csv';
  const chunkLines = options.chunkLines ?? DEFAULT_CHUNK_LINES;
  let size: number;
  try {
    const stat = await fs.promises.stat(options.file);
    if (!stat.isFile()) return { exitCode: 2, message: `${options.file} is not a file.\n${IMPORT_NUMBERS_USAGE}` };
    size = stat.size;
  } catch (error) {
    return { exitCode: 2, message: `Cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }

  const importId = `cli-numbers-${randomUUID()}`;
  const bar = new ProgressBar(options.progressOut);
  const totals = { lines: 0, imported: 0, alreadyInInventory: 0 };
  const failed: string[] = [];
  let bytesSent = 0;
  const progress = (): void =>
    bar.update(Math.min(bytesSent, size), size, 'bytes', `${Math.round(totals.lines / Math.max(bar.seconds, 0.001))} numbers/s, imported ${totals.imported}, already ${totals.alreadyInInventory}, failed ${failed.length}`);
  const send = async (chunk: readonly string[], firstLine: number, bytes: number): Promise<void> => {
    const report = await callService<ChunkReport>(
      url,
      '/v1/numbers/imports',
      {
        method: 'POST',
        headers: { 'content-type': CONTENT_TYPES[format], 'x-import-first-line': String(firstLine), 'x-correlation-id': importId },
        body: chunk.join('\n'),
      },
      options.token,
    );
    totals.lines += report.lines;
    totals.imported += report.imported;
    totals.alreadyInInventory += report.alreadyInInventory;
    for (const f of report.failed) failed.push(`  line ${f.line}: ${f.code}: ${f.reason}`);
    bytesSent += bytes;
    progress();
  };

  const chunks = new FileChunks(options.file, { maxLines: chunkLines });
  try {
    await chunks.forEach(async (chunk, firstLine, chunkBytes) => {
      // A chunk of blank lines only is not worth a request (the service refuses an empty body).
      if (chunk.some((l) => l.trim() !== '')) await send(chunk, firstLine, chunkBytes);
      else bytesSent += chunkBytes;
    });
    bytesSent = size;
    progress();
  } catch (error) {
    chunks.close();
    const firstLine = chunks.firstLine;
    bar.done(`Stopped at line ${firstLine}`);
    const why = error instanceof ServiceError ? `card-api refused the lines from ${firstLine} on: ${error.message}` : (error as Error).message;
    return { exitCode: 2, message: [...failedSection(failed), why, 'Run the same command again: numbers already imported are counted, not added twice.'].join('\n') };
  }
  const seconds = bar.seconds;
  bar.done(`Read ${chunks.lineNumber} lines in ${seconds.toFixed(1)} s`);
  const summary =
    `${options.file}: ${totals.lines} numbers: ${totals.imported} imported, ${totals.alreadyInInventory} already in inventory, ${failed.length} refused ` +
    `in ${seconds.toFixed(1)} s (${Math.round(totals.lines / Math.max(seconds, 0.001))} numbers/s)`;
  return { exitCode: failed.length > 0 ? 1 : 0, message: [...failedSection(failed), summary].join('\n') };
}

function failedSection(failed: readonly string[]): string[] {
  return failed.length === 0 ? [] : [`Refused lines (${failed.length}):`, ...failed];
}
