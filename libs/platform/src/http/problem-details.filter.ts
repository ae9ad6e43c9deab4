import { ArgumentsHost, Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem, type Problem } from './problem';
import { ReplayedResponse } from './replayed-response';

/** Every error leaves the service as application/problem+json (RFC 9457). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();

    if (error instanceof ReplayedResponse) {
      void reply.status(error.statusCode).type(PROBLEM_CONTENT_TYPE).send(error.body);
      return;
    }

    const problem = { ...toProblem(error), instance: request.url.split('?')[0] };
    if (problem.status >= 500) {
      this.logger.error({ err: error, correlationId: request.id }, `${request.method} ${problem.instance} failed: ${problem.code}`);
    }
    if (problem.status === 503 || problem.status === 429) {
      void reply.header('Retry-After', String((problem as { retryAfterSeconds?: number }).retryAfterSeconds ?? 5));
    }
    if (problem.status === 401) void reply.header('WWW-Authenticate', bearerChallenge(problem));
    void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  }
}

/** RFC 6750 §3: no error code when no token was sent, `invalid_token` with the reason when one was refused. */
function bearerChallenge(problem: Problem): string {
  const challenge = 'Bearer realm="cards"';
  if (problem.code === 'AUTHENTICATION_REQUIRED') return challenge;
  return `${challenge}, error="invalid_token", error_description="${problem.detail.replace(/["\\]/g, "'")}"`;
}
