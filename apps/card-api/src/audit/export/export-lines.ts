/**
 * The lines of an audit export, JSON Lines or CSV (docs/audit.md, "The export"). Pure functions: what one event,
 * the header or the footer looks like in each format.
 */
import { formatPosition, type RecordedEvent } from '@cards/event-store';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_FORMAT_NAME = 'cards-audit-export';
export const EXPORT_FORMAT_VERSION = 1;

export const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

/** What an export covers, as the first line states it. */
export interface ExportHeader {
  readonly kind: 'header';
  readonly format: typeof EXPORT_FORMAT_NAME;
  readonly version: typeof EXPORT_FORMAT_VERSION;
  readonly generatedAt: string;
  /** The time bounds asked for: from inclusive, to exclusive, on the events' recordedAt; null when not given. */
  readonly from: string | null;
  readonly to: string | null;
  /** The position bounds asked for: after fromPosition (exclusive), up to toPosition (inclusive); null when not given. */
  readonly fromPosition: string | null;
  readonly toPosition: string | null;
  /** The newest position in the log when the export began: nothing after it is exported as an event. */
  readonly headPosition: string | null;
  /** The public keys checkpoints are signed with, when the service has them: for reference, not to be trusted. */
  readonly publicKeys?: readonly { readonly keyId: string; readonly publicKeyBase64: string }[];
}

export interface ExportFooter {
  readonly kind: 'footer';
  /** How many `event` lines (rows) the export holds. */
  readonly events: number;
  /** How many `checkpoint` lines (rows) follow them. */
  readonly checkpoints: number;
}

export type RecordKind = 'event' | 'checkpoint';

export const CSV_COLUMNS = ['kind', 'position', 'streamId', 'revision', 'id', 'type', 'recordedAt', 'data', 'metadata'] as const;

/** The export's lines in one format. Every line ends with its line break (LF for JSON Lines, CRLF for CSV). */
export interface ExportLines {
  /** Everything before the first event: the header. */
  start(header: ExportHeader): string;
  record(kind: RecordKind, event: RecordedEvent): string;
  end(footer: ExportFooter): string;
}

/** The record fields of an event, in the order every line lists them; data and metadata exactly as stored. */
function recordOf(kind: RecordKind, event: RecordedEvent) {
  return {
    kind,
    position: formatPosition(event.position),
    streamId: event.streamId,
    revision: Number(event.revision),
    id: event.id,
    type: event.type,
    recordedAt: event.recordedAt.toISOString(),
    data: event.data,
    metadata: event.metadata,
  };
}

export const jsonLines: ExportLines = {
  start: (header) => `${JSON.stringify(header)}\n`,
  record: (kind, event) => `${JSON.stringify(recordOf(kind, event))}\n`,
  end: (footer) => `${JSON.stringify(footer)}\n`,
};

/** RFC 4180: a field holding a comma, a double quote or a line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvRow(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/**
 * CSV: the column names, then a `header` row and a `footer` row around the records, which carry their JSON in the
 * `data` column (so that a cut-short file is as detectable as in JSON Lines).
 */
export const csvLines: ExportLines = {
  start: (header) => csvRow(CSV_COLUMNS) + csvRow(['header', '', '', '', '', '', '', JSON.stringify(withoutKind(header)), '']),
  record: (kind, event) => {
    const r = recordOf(kind, event);
    return csvRow([r.kind, r.position, r.streamId, String(r.revision), r.id, r.type, r.recordedAt, JSON.stringify(r.data), JSON.stringify(r.metadata)]);
  },
  end: (footer) => csvRow(['footer', '', '', '', '', '', '', JSON.stringify(withoutKind(footer)), '']),
};

export const EXPORT_LINES: Readonly<Record<ExportFormat, ExportLines>> = { jsonl: jsonLines, csv: csvLines };

function withoutKind<T extends { kind: string }>(value: T): Omit<T, 'kind'> {
  const { kind: _kind, ...rest } = value;
  return rest;
}
