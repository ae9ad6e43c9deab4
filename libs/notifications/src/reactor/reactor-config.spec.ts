import { DEFAULT_REACTOR_CONFIG, parseNotificationReactorConfig } from './reactor-config';

const parse = (env: Record<string, string>) => {
  const problems: string[] = [];
  const config = parseNotificationReactorConfig((name) => env[name], problems);
  return { config, problems };
};

describe('the reactor configuration (NOTIFY_*)', () => {
  it('given nothing, then the documented defaults', () => {
    expect(parse({})).toEqual({ config: DEFAULT_REACTOR_CONFIG, problems: [] });
    expect(DEFAULT_REACTOR_CONFIG).toEqual({
      retry: { maxAttempts: 5, baseMs: 30_000, maxMs: 3_600_000 },
      pollMs: 1_000,
      hotline: '400-800-1234',
      maxEventAgeMs: 72 * 3_600_000,
      concurrency: 8,
    });
  });

  it('given every setting, then each is used', () => {
    const { config, problems } = parse({
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_RETRY_BASE_MS: '100',
      NOTIFY_RETRY_MAX_MS: '1000',
      NOTIFY_POLL_MS: '50',
      NOTIFY_HOTLINE: '+86 95588',
      NOTIFY_MAX_EVENT_AGE_HOURS: '1',
      NOTIFY_CONCURRENCY: '2',
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({ retry: { maxAttempts: 3, baseMs: 100, maxMs: 1000 }, pollMs: 50, hotline: '+86 95588', maxEventAgeMs: 3_600_000, concurrency: 2 });
  });

  it('given bad values, then one problem per variable, naming it', () => {
    const { problems } = parse({
      NOTIFY_MAX_ATTEMPTS: '0',
      NOTIFY_RETRY_BASE_MS: 'soon',
      NOTIFY_POLL_MS: '5',
      NOTIFY_HOTLINE: 'call us',
      NOTIFY_MAX_EVENT_AGE_HOURS: '-1',
      NOTIFY_CONCURRENCY: '1000',
    });
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'NOTIFY_MAX_ATTEMPTS',
      'NOTIFY_RETRY_BASE_MS',
      'NOTIFY_POLL_MS',
      'NOTIFY_MAX_EVENT_AGE_HOURS',
      'NOTIFY_CONCURRENCY',
      'NOTIFY_HOTLINE',
    ]);
  });

  it('given a maximum wait below the first, then a problem', () => {
    expect(parse({ NOTIFY_RETRY_BASE_MS: '5000', NOTIFY_RETRY_MAX_MS: '1000' }).problems).toEqual(['NOTIFY_RETRY_MAX_MS must not be less than NOTIFY_RETRY_BASE_MS']);
  });
});
