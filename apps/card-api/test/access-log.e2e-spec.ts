import * as fs from 'node:fs';
import { removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { issueDebitCard } from './support/lifecycle-steps';
import { eventually } from './support/eventually';

type LogLine = Record<string, unknown> & { msg?: string; req?: { id: string; method: string; url: string } };

function logLines(t: TestApp): LogLine[] {
  return fs
    .readFileSync(t.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The line of the request with this X-Request-Id. */
function requestLine(t: TestApp, requestId: string): LogLine | undefined {
  return logLines(t).find((line) => line.req?.id === requestId && (line.msg === 'request completed' || line.msg === 'request errored'));
}

/**
 * The request lines of the structured log (libs/platform/src/logging.ts): one per request, the keys and their order
 * pino-http gave them, and the application's own lines during a request carry the request's ids.
 */
describe('structured log: a line per request, and the request ids on the lines logged while handling it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('GET /v1/cards/{id}: level, time, pid, hostname, req {id, method, url}, correlationId, res {statusCode}, responseTime, msg', async () => {
    const card = await issueDebitCard(t);
    const res = await t.http().get(`/v1/cards/${card.cardId}?view=full`).set('X-Correlation-Id', 'trace-get-card').expect(200);
    const requestId = res.headers['x-request-id'] as string;
    const line = await eventually(() => requestLine(t, requestId), 'the line of the GET');
    expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'hostname', 'req', 'correlationId', 'res', 'responseTime', 'msg']);
    expect(line).toMatchObject({
      level: 30,
      req: { id: requestId, method: 'GET', url: `/v1/cards/${card.cardId}?view=full` },
      correlationId: 'trace-get-card',
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    expect(Object.keys(line.req!)).toEqual(['id', 'method', 'url']);
    expect(typeof line.responseTime).toBe('number');
  });

  it('refusals have their line too: 401 without a token, 404 for no route; the correlation id defaults to the request id', async () => {
    const refused = await t.http(null).get('/v1/cards/3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e').expect(401);
    const unknown = await t.http().get('/v1/no-such-route').expect(404);
    for (const [res, status] of [[refused, 401], [unknown, 404]] as const) {
      const requestId = res.headers['x-request-id'] as string;
      const line = await eventually(() => requestLine(t, requestId), `the line of the ${status}`);
      expect(line).toMatchObject({ correlationId: requestId, res: { statusCode: status }, msg: 'request completed' });
    }
  });

  it('a line the application logs while handling a request names that request', async () => {
    const res = await t.http().post('/v1/audit/verifications').set('X-Correlation-Id', 'trace-verification').expect(202);
    const requestId = res.headers['x-request-id'] as string;
    const started = await eventually(() => logLines(t).find((line) => line.msg === 'Audit verification started' && line.req?.id === requestId), 'the verification\'s first line');
    expect(started).toMatchObject({ req: { id: requestId, method: 'POST', url: '/v1/audit/verifications' }, correlationId: 'trace-verification', context: 'AuditVerifications' });
    expect(Object.keys(started).slice(0, 6)).toEqual(['level', 'time', 'pid', 'hostname', 'req', 'correlationId']);
    // …and a line logged outside any request has no request ids.
    const outside = logLines(t).find((line) => typeof line.msg === 'string' && line.msg.startsWith('Projections running in this process'));
    expect(outside).toBeDefined();
    expect(outside).not.toHaveProperty('req');
    expect(outside).not.toHaveProperty('correlationId');
  });
});
