import { createHash } from 'node:crypto';
import type { FieldValue, ReadDocument, SortKey } from '@cards/read-store';

export interface Page<T> {
  readonly items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** A cursor was not made by this query (another filter or sort), or was tampered with. */
export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor(reason: string) {
    super(`cursor ${reason}; start again without a cursor`);
    this.name = 'InvalidCursorError';
  }
}

interface CursorBody {
  /** Hash of the query (filter and sort) the cursor belongs to. */
  readonly q: string;
  /** Sort values of the last item returned, then its id. */
  readonly a: FieldValue[];
}

export function queryFingerprint(query: unknown): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 16);
}

/** Opaque to clients: base64url JSON of where the page ended and which query it belongs to. */
export function encodeCursor(query: string, last: ReadDocument, sort: readonly SortKey[]): string {
  const body: CursorBody = { q: query, a: [...sort.map((k) => (last[k.field] ?? null) as FieldValue), last._id] };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, query: string, sort: readonly SortKey[]): FieldValue[] {
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new InvalidCursorError('is not a cursor this service issued');
  }
  if (!body || typeof body !== 'object' || !Array.isArray(body.a) || body.a.length !== sort.length + 1) {
    throw new InvalidCursorError('is not a cursor this service issued');
  }
  if (body.q !== query) throw new InvalidCursorError('belongs to a query with other filters or another sort');
  if (!body.a.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) {
    throw new InvalidCursorError('is not a cursor this service issued');
  }
  return body.a;
}

/** Reads one more than asked to know whether a next page exists. */
export function toPage<T>(
  docs: ReadDocument[],
  limit: number,
  query: string,
  sort: readonly SortKey[],
  map: (doc: ReadDocument) => T,
): Page<T> {
  const more = docs.length > limit;
  const pageDocs = more ? docs.slice(0, limit) : docs;
  return {
    items: pageDocs.map(map),
    nextCursor: more ? encodeCursor(query, pageDocs[pageDocs.length - 1], sort) : null,
  };
}
