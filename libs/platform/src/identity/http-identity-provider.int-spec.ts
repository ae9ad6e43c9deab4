import { performance } from 'node:perf_hooks';
import type { IdentityComparison, IdentityComparisonRequest, IdentityProvider } from '@cards/application';
import { HttpIdentityProvider, type HttpIdentityProviderOptions } from './http-identity-provider';
import { describeIdentityProvider, identityProviderFor, NotConfiguredIdentityProvider } from './not-configured-identity-provider';
import { FakeIdentityProvider, sampleScoring, type FakeProviderReply } from './testing/fake-identity-provider';

const TOKEN = 'provider-token-9f3c2a';
const NAME = '张三';
const ID_NUMBER = '11010519491231002X';
const SAMPLE = sampleScoring(0.93, 'jpeg-bytes-of-the-live-photo');

const REQUEST: IdentityComparisonRequest = {
  requestId: 'idv-3b9f3c52-1',
  method: 'FACE',
  name: NAME,
  idType: 'CN_RESIDENT_ID',
  idNumber: ID_NUMBER,
  sample: SAMPLE,
};

/** Every value that must never appear in a detail or a log line. */
const SECRETS = [NAME, ID_NUMBER, ID_NUMBER.toLowerCase(), SAMPLE, Buffer.from(SAMPLE, 'base64').toString('utf8'), 'jpeg-bytes-of-the-live-photo', TOKEN];

let fake: FakeIdentityProvider;
let logLines: string[];
let details: string[];

beforeAll(async () => {
  fake = await FakeIdentityProvider.listen({ token: TOKEN });
  // The first fetch of a process loads the HTTP client: done here, so that no test's timeout pays for it.
  await fetch(`${fake.url}/warm-up`).then((response) => response.text());
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  logLines = [];
  details = [];
});
afterEach(() => {
  // Whatever happened, nothing personal (nor the token) went into a detail or a log line.
  for (const text of [...details, ...logLines]) for (const secret of SECRETS) expect(text).not.toContain(secret);
});

function provider(options: Partial<HttpIdentityProviderOptions> = {}): HttpIdentityProvider {
  return new HttpIdentityProvider({
    url: fake.url,
    token: TOKEN,
    timeoutMs: 1000,
    retries: 2,
    deadlineMs: 5000,
    backoffBaseMs: 20,
    random: () => 0.5,
    log: { warn: (line) => logLines.push(line), debug: (line) => logLines.push(line) },
    ...options,
  });
}

async function compare(adapter: IdentityProvider = provider(), request = REQUEST): Promise<{ result: IdentityComparison; elapsedMs: number }> {
  const started = performance.now();
  const result = await adapter.compare(request);
  if (result.outcome === 'UNAVAILABLE') details.push(result.detail);
  return { result, elapsedMs: performance.now() - started };
}

describe('HttpIdentityProvider against a local provider', () => {
  it('posts the comparison of docs/identity.md with Idempotency-Key and bearer token, and answers the score', async () => {
    const { result } = await compare();

    expect(result).toEqual({ outcome: 'SCORED', score: 0.93, providerReference: 'cmp-000001' });
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/comparisons');
    expect(sent.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': 'idv-3b9f3c52-1',
      authorization: `Bearer ${TOKEN}`,
    });
    expect(sent.body).toEqual({
      requestId: 'idv-3b9f3c52-1',
      method: 'FACE',
      subject: { name: NAME, idType: 'CN_RESIDENT_ID', idNumber: ID_NUMBER },
      sample: { format: 'base64', data: SAMPLE },
    });
  });

  it('scores FINGERPRINT the same way, and the score is the one the sample asks the provider for', async () => {
    const { result } = await compare(provider(), { ...REQUEST, method: 'FINGERPRINT', sample: sampleScoring(0.41) });
    expect(result).toMatchObject({ outcome: 'SCORED', score: 0.41 });
    expect(fake.requests[0]?.body).toMatchObject({ method: 'FINGERPRINT' });
  });

  it('sends no Authorization header without a token, and keeps the path of a base URL', async () => {
    fake.reply({ score: 0.5, reference: 'ref-1' });
    const { result } = await compare(provider({ token: undefined, url: `${fake.url}/tenants/bank-7/` }));
    expect(result).toEqual({ outcome: 'SCORED', score: 0.5, providerReference: 'ref-1' });
    expect(fake.requests[0]?.path).toBe('/tenants/bank-7/v1/comparisons');
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });

  describe('a slow provider', () => {
    it('is given up on after the timeout of each attempt: TIMEOUT after 1 + IDENTITY_PROVIDER_RETRIES attempts', async () => {
      fake.always({ delayMs: 2000 });
      const { result, elapsedMs } = await compare(provider({ timeoutMs: 250, retries: 2 }));

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'TIMEOUT', attempts: 3 });
      expect(fake.requests).toHaveLength(3);
      expect(elapsedMs).toBeGreaterThanOrEqual(3 * 250 - 10);
      // Without the per-attempt timeout this would take 3 × 2000 ms; the slack is for a loaded CI machine.
      expect(elapsedMs).toBeLessThan(3 * 250 + 2000);
      expect((result as { detail: string }).detail).toMatch(/after 3 attempts .*no retries left.*1: no answer within 250 ms; 2: no answer within 250 ms; 3: no answer within 250 ms/);
    });

    it('answering in time on the retry is a score, asked with the same Idempotency-Key and body', async () => {
      fake.reply({ delayMs: 1000 });
      const { result } = await compare(provider({ timeoutMs: 200 }));

      expect(result).toMatchObject({ outcome: 'SCORED', score: 0.93 });
      expect(fake.requests).toHaveLength(2);
      expect(new Set(fake.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set(['idv-3b9f3c52-1']));
      expect(fake.requests[1]?.rawBody).toBe(fake.requests[0]?.rawBody);
      expect(logLines.some((line) => /attempt 1 failed \(no answer within 200 ms\); retrying/.test(line))).toBe(true);
    });

    it('never runs past the overall deadline, however many retries are allowed', async () => {
      fake.always({ delayMs: 5000 });
      const { result, elapsedMs } = await compare(provider({ timeoutMs: 400, retries: 10, deadlineMs: 1000 }));

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'TIMEOUT' });
      expect((result as { attempts: number }).attempts).toBeLessThanOrEqual(3);
      // Without the deadline, 11 attempts of 400 ms; the slack is for a loaded CI machine.
      expect(elapsedMs).toBeLessThan(1000 + 1500);
      expect((result as { detail: string }).detail).toMatch(/1000 ms deadline|the rest of the deadline/);
    });
  });

  describe('a provider that is down', () => {
    it('on a closed port: CONNECTION_FAILED after every attempt, at once', async () => {
      const { result, elapsedMs } = await compare(provider({ url: await FakeIdentityProvider.closedPortUrl() }));

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'CONNECTION_FAILED', attempts: 3 });
      expect((result as { detail: string }).detail).toContain('ECONNREFUSED');
      expect(elapsedMs).toBeLessThan(3000);
    });

    it('hanging up without an answer: CONNECTION_FAILED, each attempt reaching the provider', async () => {
      fake.always({ hangUp: true });
      const { result } = await compare();

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'CONNECTION_FAILED', attempts: 3 });
      expect(fake.requests).toHaveLength(3);
    });

    it('hanging up once, then answering: a score', async () => {
      fake.reply({ hangUp: true });
      const { result } = await compare();
      expect(result).toMatchObject({ outcome: 'SCORED', score: 0.93 });
      expect(fake.requests).toHaveLength(2);
    });
  });

  describe('server errors', () => {
    it('500 and 503, then an answer: a score on the third attempt, all three with the same Idempotency-Key and body', async () => {
      fake.reply({ status: 500, body: { error: 'INTERNAL' } }, { status: 503, body: 'maintenance' });
      const { result } = await compare();

      expect(result).toEqual({ outcome: 'SCORED', score: 0.93, providerReference: 'cmp-000001' });
      expect(fake.requests).toHaveLength(3);
      expect(fake.requests.map((r) => r.headers['idempotency-key'])).toEqual(['idv-3b9f3c52-1', 'idv-3b9f3c52-1', 'idv-3b9f3c52-1']);
      expect(new Set(fake.requests.map((r) => r.rawBody)).size).toBe(1);
      expect(logLines.filter((line) => line.includes('retrying'))).toHaveLength(2);
    });

    it('503 every time: SERVER_ERROR after 1 + IDENTITY_PROVIDER_RETRIES attempts', async () => {
      fake.always({ status: 503, body: { error: 'UNAVAILABLE' } });
      const { result } = await compare(provider({ retries: 1 }));

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'SERVER_ERROR', attempts: 2 });
      expect((result as { detail: string }).detail).toMatch(/1: HTTP 503; 2: HTTP 503$/);
    });

    it('with no retries allowed, one attempt only', async () => {
      fake.always({ status: 502 });
      const { result } = await compare(provider({ retries: 0 }));
      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'SERVER_ERROR', attempts: 1 });
      expect(fake.requests).toHaveLength(1);
    });

    it('waits between attempts with exponential backoff and jitter', async () => {
      fake.always({ status: 500 });
      await compare(provider({ retries: 3, backoffBaseMs: 100, maxBackoffMs: 300, random: () => 0 }));
      expect(logLines.filter((line) => line.includes('retrying')).map((line) => /retrying in (\d+) ms/.exec(line)?.[1])).toEqual(['50', '100', '150']);

      fake.reset();
      fake.always({ status: 500 });
      logLines = [];
      await compare(provider({ retries: 3, backoffBaseMs: 100, maxBackoffMs: 300, random: () => 0.999 }));
      expect(logLines.filter((line) => line.includes('retrying')).map((line) => /retrying in (\d+) ms/.exec(line)?.[1])).toEqual(['100', '200', '300']);
    });
  });

  describe('rate limiting', () => {
    it('429 with Retry-After in seconds: waits that long, then asks again', async () => {
      fake.reply({ status: 429, headers: { 'retry-after': '1' } });
      const { result } = await compare();

      expect(result).toMatchObject({ outcome: 'SCORED', score: 0.93 });
      expect(fake.requests).toHaveLength(2);
      expect(fake.requests[1]!.receivedAtMs - fake.requests[0]!.receivedAtMs).toBeGreaterThanOrEqual(990);
    });

    it('429 with Retry-After as an HTTP date: waits until then', async () => {
      fake.reply({ status: 429, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } });
      const { result } = await compare();

      expect(result).toMatchObject({ outcome: 'SCORED' });
      expect(fake.requests[1]!.receivedAtMs - fake.requests[0]!.receivedAtMs).toBeGreaterThanOrEqual(900);
    });

    it('a Retry-After beyond what we wait: RATE_LIMITED at once, without a second attempt', async () => {
      fake.always({ status: 429, headers: { 'retry-after': '60' } });
      const { result, elapsedMs } = await compare();

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'RATE_LIMITED', attempts: 1 });
      expect((result as { detail: string }).detail).toContain('asked to wait 60000 ms');
      expect(elapsedMs).toBeLessThan(5000); // not the 60 s it was asked to wait
    });

    it('429 every time: RATE_LIMITED after every attempt', async () => {
      fake.always({ status: 429 });
      const { result } = await compare();
      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'RATE_LIMITED', attempts: 3 });
    });
  });

  describe('a refused request is not retried', () => {
    it('400, even with the provider echoing the request: REJECTED_REQUEST, and nothing of the answer in the detail', async () => {
      fake.always({ status: 400, body: { error: 'INVALID_REQUEST', message: `no such person: ${NAME} ${ID_NUMBER}` } });
      const { result } = await compare();

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'REJECTED_REQUEST', attempts: 1 });
      expect(fake.requests).toHaveLength(1);
      expect((result as { detail: string }).detail).toMatch(/HTTP 400/);
      expect((result as { detail: string }).detail).not.toContain('no such person');
    });

    it('a wrong token (401): REJECTED_REQUEST naming IDENTITY_PROVIDER_TOKEN', async () => {
      const { result } = await compare(provider({ token: 'not-the-right-one' }));

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'REJECTED_REQUEST', attempts: 1 });
      expect((result as { detail: string }).detail).toContain('HTTP 401: check IDENTITY_PROVIDER_TOKEN');
      expect((result as { detail: string }).detail).not.toContain('not-the-right-one');
    });

    it('a sample the provider cannot read (422): REJECTED_REQUEST', async () => {
      const { result } = await compare(provider(), { ...REQUEST, sample: Buffer.from('not a photo').toString('base64') });
      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'REJECTED_REQUEST', attempts: 1 });
    });

    it('a request id that cannot be a header is refused before sending anything', async () => {
      const { result } = await compare(provider(), { ...REQUEST, requestId: 'two\nlines' });
      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'REJECTED_REQUEST', attempts: 0 });
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('garbage is MALFORMED_RESPONSE, not retried', () => {
    const garbage: [string, FakeProviderReply, RegExp][] = [
      ['an HTML page', { status: 200, body: '<html>Gateway</html>' }, /Content-Type is not application\/json/],
      ['text that is not JSON', { status: 200, body: 'score=0.9', headers: { 'content-type': 'application/json' } }, /not JSON/],
      ['an empty body', { status: 200, headers: { 'content-type': 'application/json' } }, /not JSON/],
      ['JSON without a score', { status: 200, body: { reference: 'r-1' } }, /"score" is missing/],
      ['a score of 7', { status: 200, body: { score: 7, reference: 'r-1' } }, /"score" is missing or not a number from 0 to 1/],
      ['a negative score', { status: 200, body: { score: -0.1, reference: 'r-1' } }, /"score"/],
      ['a score as a string', { status: 200, body: { score: '0.9', reference: 'r-1' } }, /"score"/],
      ['no reference', { status: 200, body: { score: 0.9 } }, /"reference" is missing/],
      ['a reference that is not visible ASCII', { status: 200, body: { score: 0.9, reference: 'ref 1' } }, /"reference"/],
      ['a JSON array', { status: 200, body: [0.9, 'r-1'] }, /not a JSON object/],
      ['JSON null', { status: 200, body: null }, /not a JSON object/],
      ['an endless answer', { status: 200, body: { score: 0.9, reference: 'r-1', padding: 'x'.repeat(100_000) } }, /body over 65536 bytes/],
      ['201 instead of 200', { status: 201, body: { score: 0.9, reference: 'r-1' } }, /HTTP 201, expected 200/],
      ['a redirect', { status: 307, headers: { location: 'http://127.0.0.1:1/elsewhere' } }, /HTTP 307: redirects are not followed/],
    ];

    it.each(garbage)('%s', async (_what, reply, why) => {
      fake.always(reply);
      const { result } = await compare();

      expect(result).toMatchObject({ outcome: 'UNAVAILABLE', reason: 'MALFORMED_RESPONSE', attempts: 1 });
      expect((result as { detail: string }).detail).toMatch(why);
      expect(fake.requests).toHaveLength(1);
    });

    it('other fields beside score and reference are ignored', async () => {
      fake.always({ status: 200, body: { score: 0.88, reference: 'r-9', liveness: 'PASS' } });
      expect((await compare()).result).toEqual({ outcome: 'SCORED', score: 0.88, providerReference: 'r-9' });
    });
  });
});

describe('choosing the adapter from configuration', () => {
  const settings = { timeoutMs: 300, retries: 1, deadlineMs: 2000 };

  it('without IDENTITY_PROVIDER_URL: NOT_CONFIGURED at once, no request made', async () => {
    const adapter = identityProviderFor(settings);
    expect(adapter).toBeInstanceOf(NotConfiguredIdentityProvider);
    const { result, elapsedMs } = await compare(adapter);

    expect(result).toEqual({ outcome: 'UNAVAILABLE', reason: 'NOT_CONFIGURED', detail: expect.stringContaining('IDENTITY_PROVIDER_URL'), attempts: 0 });
    expect(elapsedMs).toBeLessThan(settings.timeoutMs); // no timeout was waited for
    expect(fake.requests).toHaveLength(0);
    expect(describeIdentityProvider(settings)).toBe('not configured: FACE and FINGERPRINT verification is unavailable until IDENTITY_PROVIDER_URL is set');
  });

  it('with IDENTITY_PROVIDER_URL and IDENTITY_PROVIDER_TOKEN: the HTTP client, which the provider accepts', async () => {
    const config = { ...settings, url: fake.url, token: TOKEN };
    const adapter = identityProviderFor(config, { warn: (line) => logLines.push(line), debug: () => undefined });
    expect(adapter).toBeInstanceOf(HttpIdentityProvider);
    expect((await compare(adapter)).result).toMatchObject({ outcome: 'SCORED', score: 0.93 });
    expect(describeIdentityProvider(config)).toBe(`${fake.url} (timeout 300 ms, 1 retry, deadline 2000 ms, bearer token)`);
    expect(describeIdentityProvider(config)).not.toContain(TOKEN);
  });
});
