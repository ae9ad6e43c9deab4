import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus, type Command } from '@nestjs/cqrs';
import { DomainError, ValidationFailed, type FieldViolation } from '@cards/domain';
import { EventStoreUnavailableError, type Position } from '@cards/event-store';
import { PanFingerprinter } from '@cards/security';
import { ActivateCardCommand } from '../activate-card/activate-card.command';
import { OpenDisputeCommand } from '../disputes/open-dispute.command';
import { ResolveDisputeCommand } from '../disputes/resolve-dispute.command';
import { IssueCardCommand } from '../issue-card/issue-card.command';
import { LinkCardCommand } from '../link-card/link-card.command';
import { RegisterCustomerCommand } from '../register-customer/register-customer.command';
import { ConcurrentModificationError } from '../shared/application-errors';
import { CLOCK, type Clock } from '../shared/clock';
import type { Actor, CommandContext } from '../shared/command-context';
import { ChangeCardStatusCommand } from '../suspend-reinstate-cancel/card-status-change.command';
import { VerifyIdentityCommand } from '../verify-identity/verify-identity.command';
import { checkImportLine, type ImportCommandName, type ImportLine } from './import-line';

/** A line that was not imported, and why. Reasons never repeat a value from the line. */
export interface FailedLine {
  readonly line: number;
  /** The line's command, when it names one this service knows. */
  readonly command: ImportCommandName | null;
  readonly code: string;
  readonly reason: string;
  readonly errors?: readonly FieldViolation[];
}

export interface ImportProgress {
  /** Number of the line just handled. */
  readonly line: number;
  readonly lines: number;
  readonly applied: number;
  readonly alreadyImported: number;
  readonly failed: number;
}

export interface ImportReport {
  readonly importId: string;
  /** Lines holding a command (blank lines are skipped and not counted): applied + alreadyImported + failed. */
  readonly lines: number;
  /** Lines whose events were written now. */
  readonly applied: number;
  /** Lines an earlier import already wrote: nothing new was written for them. */
  readonly alreadyImported: number;
  readonly failed: readonly FailedLine[];
  /** Events written to card and customer streams (claims of card numbers and id documents, SIM counts are not counted). */
  readonly eventsWritten: number;
  /** Global position of the last event this import wrote or found already imported: a `minPosition` for reads. */
  readonly position: Position | null;
  /** Set when the event store became unreachable: nothing from this line on was imported. */
  readonly stoppedAt?: { readonly line: number; readonly code: string; readonly reason: string };
}

export interface ImportOptions {
  readonly actor: Actor;
  /** Correlates every event of the import (all chunks of one file share it). */
  readonly importId: string;
  /** What caused it, e.g. the HTTP request id; default the importId. */
  readonly causationId?: string;
  /** Number of the first line given (a file sent in chunks keeps its own line numbers). Default 1. */
  readonly firstLineNumber?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
}

/** Outcome of one line: written now, or found already written by an earlier import of the same line. */
interface Applied {
  readonly replayed: boolean;
  readonly eventCount: number;
  readonly position: Position;
}

/**
 * Imports history from another system: JSON Lines, one command per line, run in file order through the same
 * command handlers as the API, with the line's `occurredAt` as the time of its events and `imported: true` in
 * their metadata. A bad line is reported and the others go on; a line already imported writes nothing.
 */
@Injectable()
export class ImportHistory {
  private readonly logger = new Logger(ImportHistory.name);

  constructor(
    private readonly commands: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PanFingerprinter) private readonly fingerprinter: PanFingerprinter,
  ) {}

  async run(lines: AsyncIterable<string> | Iterable<string>, options: ImportOptions): Promise<ImportReport> {
    const failed: FailedLine[] = [];
    let lineNumber = (options.firstLineNumber ?? 1) - 1;
    let count = 0;
    let applied = 0;
    let alreadyImported = 0;
    let eventsWritten = 0;
    let position: Position | null = null;
    let stoppedAt: ImportReport['stoppedAt'];

    for await (const text of lines) {
      lineNumber++;
      if (text.trim() === '') continue;
      count++;
      const check = checkImportLine(text, { now: this.clock.now(), fingerprint: (digits) => this.fingerprinter.fingerprint(digits) });
      if (!check.ok) {
        failed.push({ line: lineNumber, command: check.command, code: check.code, reason: check.reason, ...(check.errors && { errors: check.errors }) });
      } else {
        try {
          const outcome = await this.apply(check.line, {
            actor: options.actor,
            correlationId: options.importId,
            causationId: options.causationId ?? options.importId,
            idempotencyKey: check.idempotencyKey,
            occurredAt: check.line.occurredAt,
            imported: true,
          });
          if (outcome.replayed) alreadyImported++;
          else {
            applied++;
            eventsWritten += outcome.eventCount;
          }
          position = outcome.position;
        } catch (error) {
          if (error instanceof EventStoreUnavailableError) {
            count--;
            stoppedAt = { line: lineNumber, code: error.code, reason: 'The event store cannot be reached: this line and those after it were not imported' };
            break;
          }
          failed.push({ line: lineNumber, command: check.line.command, ...this.failureOf(error, lineNumber) });
        }
      }
      options.onProgress?.({ line: lineNumber, lines: count, applied, alreadyImported, failed: failed.length });
    }

    return {
      importId: options.importId,
      lines: count,
      applied,
      alreadyImported,
      failed,
      eventsWritten,
      position,
      ...(stoppedAt && { stoppedAt }),
    };
  }

  private async apply(line: ImportLine, ctx: CommandContext): Promise<Applied> {
    const outcome = await this.commands.execute(commandOf(line, ctx) as Command<Outcome>);
    return { replayed: outcome.replayed, eventCount: 'newEvents' in outcome ? outcome.newEvents.length : 1, position: outcome.position };
  }

  private failureOf(error: unknown, line: number): Pick<FailedLine, 'code' | 'reason' | 'errors'> {
    if (error instanceof ValidationFailed) return { code: error.code, reason: error.message, errors: error.violations };
    if (error instanceof DomainError) return { code: error.code, reason: error.message };
    if (error instanceof ConcurrentModificationError) return { code: error.code, reason: error.message };
    // A fault of ours: logged without the line's content, which may hold personal data.
    this.logger.error({ err: error, line }, `Import line ${line} failed unexpectedly`);
    return { code: 'INTERNAL_ERROR', reason: 'Something went wrong on our side; it has been logged. Import the line again later.' };
  }
}

type Outcome = { readonly replayed: boolean; readonly position: Position } & ({ readonly newEvents: readonly unknown[] } | { readonly customerId: string });

/** The command a line describes, as the API would send it, with the import's context. */
function commandOf(line: ImportLine, ctx: CommandContext): Command<unknown> {
  switch (line.command) {
    case 'RegisterCustomer':
      return new RegisterCustomerCommand(line.input, ctx);
    case 'IssueCard':
      return new IssueCardCommand(line.input, ctx);
    case 'VerifyIdentity':
      return new VerifyIdentityCommand(line.cardId, line.input, ctx);
    case 'LinkCard':
      return new LinkCardCommand(line.cardId, line.accountId, ctx);
    case 'ActivateCard':
      return new ActivateCardCommand(line.cardId, line.input, ctx);
    case 'OpenDispute':
      return new OpenDisputeCommand(line.cardId, line.input, ctx);
    case 'ResolveDispute':
      return new ResolveDisputeCommand(line.cardId, line.disputeId, line.input, ctx);
    case 'SuspendCard':
    case 'ReinstateCard':
    case 'CancelCard':
      return new ChangeCardStatusCommand(line.cardId, line.command, line.reason, ctx);
  }
}
