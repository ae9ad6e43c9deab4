import type { FailedLine, ImportReport } from '@cards/application';
import { formatPosition } from '@cards/event-store';

/** The report of POST /v1/imports. */
export interface ImportResponse {
  readonly importId: string;
  readonly lines: number;
  readonly applied: number;
  readonly alreadyImported: number;
  readonly failed: readonly FailedLine[];
  readonly eventsWritten: number;
  /** Global position of the last event written or found: pass it as `minPosition` to read the import's effect. */
  readonly position: string | null;
}

export function toImportResponse(report: ImportReport): ImportResponse {
  return {
    importId: report.importId,
    lines: report.lines,
    applied: report.applied,
    alreadyImported: report.alreadyImported,
    failed: report.failed,
    eventsWritten: report.eventsWritten,
    position: report.position === null ? null : formatPosition(report.position),
  };
}

export const IMPORT_RESPONSE_EXAMPLE: ImportResponse = {
  importId: 'crm-migration-2026-11-23',
  lines: 3,
  applied: 2,
  alreadyImported: 0,
  failed: [
    {
      line: 3,
      command: 'ActivateCard',
      code: 'TRANSITION_NOT_ALLOWED',
      reason: 'ActivateCard is not allowed while the card is ISSUED; allowed now: VerifyIdentity, SuspendCard, CancelCard',
    },
  ],
  eventsWritten: 2,
  position: '1042',
};
