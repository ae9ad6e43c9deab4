import { parseNotificationChannelsConfig } from './channels-config';
import { describeNotificationChannels, notificationChannelsFor, NotConfiguredChannel, webhookPublisherFor } from './not-configured';
import { HttpSmsChannel } from './http-sms-channel';
import { SmtpEmailChannel } from './smtp-email-channel';
import { HttpWebhookPublisher, NoWebhookPublisher } from './webhook-publisher';

const SECRET = 'a'.repeat(32);

function parse(env: Record<string, string>, production = false) {
  const problems: string[] = [];
  const config = parseNotificationChannelsConfig((name) => env[name], production, problems);
  return { config, problems };
}

describe('notification channels configuration', () => {
  it('leaves every channel out by default: NOT_CONFIGURED channels, no webhooks, and says so', async () => {
    const { config, problems } = parse({});
    expect(problems).toEqual([]);
    expect(config).toEqual({});
    const channels = notificationChannelsFor(config);
    expect(channels.EMAIL).toBeInstanceOf(NotConfiguredChannel);
    expect(await channels.SMS.send({ notificationId: 'n1', channel: 'SMS', to: '+86138', text: 'x' })).toMatchObject({ outcome: 'PERMANENT', reason: 'NOT_CONFIGURED' });
    expect(webhookPublisherFor(config)).toBeInstanceOf(NoWebhookPublisher);
    const lines = describeNotificationChannels(config);
    expect(lines.filter((l) => !l.configured).map((l) => l.line)).toEqual([expect.stringContaining('SMTP_URL'), expect.stringContaining('SMS_GATEWAY_URL')]);
  });

  it('reads every channel, with defaults, and describes them without credentials', () => {
    const { config, problems } = parse({
      SMTP_URL: 'smtps://mailer:s3cr%40t@smtp.bank.example:465',
      SMTP_FROM: 'Card service <no-reply@bank.example>',
      SMS_GATEWAY_URL: 'https://sms.example.com/api/',
      SMS_GATEWAY_TOKEN: 'sms-token-1',
      WEBHOOK_URLS: 'https://a.internal/hooks, https://b.internal/cards?key=k-1',
      WEBHOOK_SECRET: SECRET,
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({
      smtp: { url: 'smtps://mailer:s3cr%40t@smtp.bank.example:465', display: 'smtps://smtp.bank.example:465 (with credentials)', from: 'Card service <no-reply@bank.example>', timeoutMs: 10_000 },
      sms: { url: 'https://sms.example.com/api', token: 'sms-token-1', timeoutMs: 3000, retries: 2 },
      webhooks: { urls: ['https://a.internal/hooks', 'https://b.internal/cards?key=k-1'], secret: SECRET, timeoutMs: 5000, retries: 3 },
    });
    const channels = notificationChannelsFor(config);
    expect(channels.EMAIL).toBeInstanceOf(SmtpEmailChannel);
    expect(channels.SMS).toBeInstanceOf(HttpSmsChannel);
    expect(webhookPublisherFor(config)).toBeInstanceOf(HttpWebhookPublisher);
    const described = describeNotificationChannels(config).map((l) => l.line).join('\n');
    for (const secret of ['s3cr', 'mailer', 'sms-token-1', SECRET, 'k-1']) expect(described).not.toContain(secret);
  });

  it('reads the SMS gateway timeout and retries', () => {
    const { config } = parse({ SMS_GATEWAY_URL: 'http://localhost:8080', SMS_GATEWAY_TIMEOUT_MS: '1500', SMS_GATEWAY_RETRIES: '0' });
    expect(config.sms).toEqual({ url: 'http://localhost:8080', timeoutMs: 1500, retries: 0 });
  });

  it('names each bad value, never echoing a URL, a password, a token or the secret', () => {
    const { problems } = parse(
      {
        SMTP_URL: 'http://mailer:pw-9z@smtp.bank.example',
        SMS_GATEWAY_URL: 'http://user:tk-7q@sms.example.com/x?y=1',
        SMS_GATEWAY_TOKEN: 'has space',
        SMS_GATEWAY_TIMEOUT_MS: '0',
        SMS_GATEWAY_RETRIES: 'many',
        WEBHOOK_URLS: 'ftp://hooks.internal/wh-5x,not a url',
        WEBHOOK_SECRET: 'short-secret-3k',
      },
      true,
    );
    const text = problems.join('\n');
    for (const name of ['SMTP_URL', 'SMTP_FROM', 'SMS_GATEWAY_URL', 'SMS_GATEWAY_TOKEN', 'SMS_GATEWAY_TIMEOUT_MS', 'SMS_GATEWAY_RETRIES', 'WEBHOOK_URLS (URL 1 of 2)', 'WEBHOOK_URLS (URL 2 of 2)', 'WEBHOOK_SECRET']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('https:// with NODE_ENV=production');
    expect(text).toContain('at least 32 bytes (it has 15)');
    for (const secret of ['pw-9z', 'tk-7q', 'has space', 'wh-5x', 'short-secret-3k']) expect(text).not.toContain(secret);
  });

  it('requires WEBHOOK_SECRET with WEBHOOK_URLS, and the URL with a token or a From', () => {
    expect(parse({ WEBHOOK_URLS: 'https://a.internal/hooks' }).problems).toEqual([expect.stringMatching(/^WEBHOOK_SECRET is required with WEBHOOK_URLS/)]);
    expect(parse({ SMS_GATEWAY_TOKEN: 't' }).problems).toEqual([expect.stringMatching(/^SMS_GATEWAY_TOKEN is set but SMS_GATEWAY_URL is not/)]);
    expect(parse({ SMTP_FROM: 'no-reply@bank.example' }).problems).toEqual([expect.stringMatching(/^SMTP_FROM is set but SMTP_URL is not/)]);
    expect(parse({ SMTP_URL: 'smtp://smtp.bank.example' }).problems).toEqual([expect.stringMatching(/^SMTP_FROM is required with SMTP_URL/)]);
    expect(parse({ WEBHOOK_URLS: 'https://a.internal/x,https://a.internal/x', WEBHOOK_SECRET: SECRET }).problems).toEqual(['WEBHOOK_URLS names the same URL twice']);
  });
});
