import { ArgumentsHost, Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem } from '@cards/platform';
import { EventStoreUnavailableError } from '@cards/event-store';
import type { ImportResponse } from './import-response';

/** The event store went away in the middle of an import: the lines before `stoppedAtLine` were imported. */
export class ImportInterrupted extends Error {
  constructor(readonly report: ImportResponse, readonly stoppedAtLine: number) {
    super(`The import stopped at line ${stoppedAtLine}: the event store cannot be reached`);
    this.name = 'ImportInterrupted';
  }
}

const RETRY_AFTER_SECONDS = 5;

/**
 * A 503 like any other "event store unavailable", but saying how far the import got, with its report. Sending the
 * same lines again is safe: those already imported are recognised and skipped.
 */
@Catch(ImportInterrupted)
export class ImportInterruptedFilter implements ExceptionFilter {
  private readonly logger = new Logger('Imports');

  catch(error: ImportInterrupted, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const base = toProblem(new EventStoreUnavailableError(error.message));
    this.logger.error({ importId: error.report.importId, stoppedAtLine: error.stoppedAtLine }, error.message);
    void reply
      .status(503)
      .header('Retry-After', String(RETRY_AFTER_SECONDS))
      .type(PROBLEM_CONTENT_TYPE)
      .send({
        ...base,
        detail:
          `The event store could not be reached at line ${error.stoppedAtLine}: the lines before it were handled (see report), ` +
          'that line and the ones after it were not. Send the same lines again later: lines already imported are skipped.',
        instance: request.url.split('?')[0],
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        stoppedAtLine: error.stoppedAtLine,
        report: error.report,
      });
  }
}
