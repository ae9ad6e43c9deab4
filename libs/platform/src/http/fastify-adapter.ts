import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { correlationIdOf, newRequestId } from './request-ids';

/**
 * The HTTP adapter every app of the service uses: JSON bodies only (anything else is a 415, not a string the
 * validators would puzzle over), a small body limit, and request / correlation ids echoed in the response.
 */
export function createFastifyAdapter(bodyLimit = 64 * 1024): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit,
    // The request id is set on the raw request so that pino-http logs the same id Fastify uses.
    genReqId: (raw: IncomingMessage) => {
      const id = newRequestId(raw);
      (raw as IncomingMessage & { id?: string }).id = id;
      return id;
    },
  });
  adapter.getInstance().removeContentTypeParser(['text/plain']);
  adapter.getInstance().addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id).header('X-Correlation-Id', correlationIdOf(request));
  });
  return adapter;
}
