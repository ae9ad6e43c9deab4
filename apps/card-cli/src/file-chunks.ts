import * as fs from 'node:fs';
import * as readline from 'node:readline';

/**
 * A text file read line by line and handed over in chunks (card-cli import and numbers import): at most `maxLines`
 * lines, and at most about `maxBytes` bytes, per chunk, each with the number of its first line (1-based). When a
 * send fails, `firstLine` says where the chunk that failed begins, and `close()` stops the reading.
 */
export class FileChunks {
  /** The first line of the chunk being sent (or of the next one). */
  firstLine = 1;
  /** Lines read so far. */
  lineNumber = 0;
  private readonly input: fs.ReadStream;
  private readonly lines: readline.Interface;

  constructor(
    file: string,
    private readonly limits: { readonly maxLines: number; readonly maxBytes?: number },
  ) {
    this.input = fs.createReadStream(file, { encoding: 'utf8' });
    this.lines = readline.createInterface({ input: this.input, crlfDelay: Infinity });
  }

  /** Sends every chunk in order, the last one too (even when shorter); an empty file sends nothing. */
  async forEach(send: (lines: string[], firstLine: number, bytes: number) => Promise<void>): Promise<void> {
    let chunk: string[] = [];
    let bytes = 0;
    for await (const text of this.lines) {
      this.lineNumber++;
      chunk.push(text);
      bytes += Buffer.byteLength(text, 'utf8') + 1;
      if (chunk.length >= this.limits.maxLines || (this.limits.maxBytes !== undefined && bytes >= this.limits.maxBytes)) {
        await send(chunk, this.firstLine, bytes);
        this.firstLine = this.lineNumber + 1;
        chunk = [];
        bytes = 0;
      }
    }
    if (chunk.length > 0) await send(chunk, this.firstLine, bytes);
  }

  close(): void {
    this.lines.close();
    this.input.destroy();
  }
}
