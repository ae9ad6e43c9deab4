import {
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, from, mergeMap, of, type Observable } from 'rxjs';
import { hashRequest, IdempotencyStore, type StoredResponse } from '@cards/application';
import type { JsonValue } from '@cards/event-store';
import { DomainError } from '@cards/domain';
import { ReplayedResponse, toProblem } from '@cards/platform';
import { idempotencyKeyOf } from './request-context';

const REPLAYED_HEADERS = ['etag', 'location'] as const;

/**
 * `Idempotency-Key` on a POST or PATCH: the first answer (success, or a refusal the client caused) is stored with a
 * hash of the request; a retry with the same key and body gets that answer again and writes nothing, the
 * same key with another body is a 422. A 5xx is not stored: the retry should run again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly store: IdempotencyStore, private readonly reflector: Reflector) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (request.method !== 'POST' && request.method !== 'PATCH') return next.handle();
    const key = idempotencyKeyOf(request);
    if (key === undefined) return next.handle();

    const requestHash = hashRequest(request.method, request.url.split('?')[0], request.body);
    const stored = await this.store.find(key);
    if (stored) return this.replay(stored, requestHash, reply);

    const successStatus: number = this.reflector.get(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = reply.getHeader(name);
          if (typeof value === 'string') headers[name] = value;
        }
        const saved = await this.store.save(key, { requestHash, statusCode: successStatus, body: body as JsonValue, headers });
        return saved.body;
      }),
      catchError((error: unknown) =>
        from(
          (async () => {
            const problem = toProblem(error);
            if (problem.status < 500) {
              const body = { ...problem, instance: request.url.split('?')[0] } as unknown as JsonValue;
              await this.store.save(key, { requestHash, statusCode: problem.status, body, headers: {} });
            }
            throw error;
          })(),
        ),
      ),
    );
  }

  private replay(stored: StoredResponse, requestHash: string, reply: FastifyReply): Observable<unknown> {
    if (stored.requestHash !== requestHash) {
      throw new DomainError(
        'rejected',
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different request (another path or body). Use a new key for a new request.',
      );
    }
    for (const [name, value] of Object.entries(stored.headers)) void reply.header(name, value);
    void reply.header('Idempotent-Replayed', 'true');
    if (stored.statusCode >= 400) throw new ReplayedResponse(stored.statusCode, stored.body);
    return of(stored.body);
  }
}

/**
 * Puts IdempotencyInterceptor on a controller: every controller with a POST or PATCH route carries it
 * (apps/card-api/test/idempotency.e2e-spec.ts fails on one that does not). It is not a global interceptor because
 * Nest runs a global one around every route, GETs included, and its interceptor chain (rxjs, and an AsyncResource
 * bound per call through a deprecated Node path) cost GET /v1/cards/{id} about a quarter of its CPU time
 * (docs/performance.md, row 5), for a header only writes read.
 */
export const HonoursIdempotencyKey = (): ClassDecorator => UseInterceptors(IdempotencyInterceptor);
