/** How the notification channels are reached (docs/notifications.md, "Channels"); validated at start-up. */
export interface NotificationChannelsConfig {
  readonly smtp?: {
    /** SMTP_URL as given (it holds the credentials): never logged. */
    readonly url: string;
    /** SMTP_URL without its credentials, for start-up messages. */
    readonly display: string;
    readonly from: string;
    readonly timeoutMs: number;
  };
  readonly sms?: { readonly url: string; readonly token?: string; readonly timeoutMs: number; readonly retries: number };
  readonly webhooks?: { readonly urls: readonly string[]; readonly secret: string; readonly timeoutMs: number; readonly retries: number };
}

export const CHANNEL_DEFAULTS = {
  smtpTimeoutMs: 10_000,
  smsTimeoutMs: 3000,
  smsRetries: 2,
  webhookTimeoutMs: 5000,
  webhookRetries: 3,
  webhookSecretMinBytes: 32,
} as const;

type Value = (name: string) => string | undefined;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Reads SMTP_*, SMS_GATEWAY_* and WEBHOOK_*, adding one message per bad value to `problems`. Messages never
 * repeat a URL, a token or the secret: any of them may hold a credential.
 */
export function parseNotificationChannelsConfig(value: Value, production: boolean, problems: string[]): NotificationChannelsConfig {
  return {
    ...optional('smtp', parseSmtp(value, problems)),
    ...optional('sms', parseSms(value, production, problems)),
    ...optional('webhooks', parseWebhooks(value, production, problems)),
  };
}

function optional<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}

function parseSmtp(value: Value, problems: string[]): NotificationChannelsConfig['smtp'] {
  const given = value('SMTP_URL');
  const from = value('SMTP_FROM');
  const timeoutMs = wholeNumber('SMTP_TIMEOUT_MS', value, CHANNEL_DEFAULTS.smtpTimeoutMs, 100, 120_000, 'milliseconds', problems);
  if (given === undefined) {
    if (from !== undefined) problems.push('SMTP_FROM is set but SMTP_URL is not: set the SMTP server too, or remove SMTP_FROM');
    return undefined;
  }
  const before = problems.length;
  const shape = 'SMTP_URL must be smtp://[user:password@]host[:port] or smtps://… (user and password URL-encoded)';
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    problems.push(shape);
  }
  if (url !== undefined) {
    if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') problems.push(shape);
    else if (url.username !== '' && url.password === '') problems.push('SMTP_URL names a user without a password: write smtp://user:password@host');
    else if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
      problems.push('SMTP_URL must not have a path, a query or a fragment: smtp://[user:password@]host[:port]');
    } else {
      try {
        decodeURIComponent(url.username);
        decodeURIComponent(url.password);
      } catch {
        problems.push('SMTP_URL has a user name or password that is not valid URL encoding (write % as %25)');
      }
    }
  }
  if (from === undefined) problems.push('SMTP_FROM is required with SMTP_URL: the From address, e.g. "Card service <no-reply@bank.example>"');
  else if (!/^([^<>\r\n]*<[^\s<>@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}>|[^\s<>@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})$/.test(from)) {
    problems.push('SMTP_FROM must be an address such as no-reply@bank.example or "Card service <no-reply@bank.example>"');
  }
  if (problems.length > before || url === undefined || from === undefined) return undefined;
  return { url: given, display: `${url.protocol}//${url.host}${url.username !== '' ? ' (with credentials)' : ''}`, from, timeoutMs };
}

function parseSms(value: Value, production: boolean, problems: string[]): NotificationChannelsConfig['sms'] {
  const given = value('SMS_GATEWAY_URL');
  const token = value('SMS_GATEWAY_TOKEN');
  const timeoutMs = wholeNumber('SMS_GATEWAY_TIMEOUT_MS', value, CHANNEL_DEFAULTS.smsTimeoutMs, 1, 60_000, 'milliseconds', problems);
  const retries = wholeNumber('SMS_GATEWAY_RETRIES', value, CHANNEL_DEFAULTS.smsRetries, 0, 10, 'retries', problems);
  if (token !== undefined && !/^[\x21-\x7e]{1,4096}$/.test(token)) {
    problems.push('SMS_GATEWAY_TOKEN must be at most 4096 visible ASCII characters, without spaces (it is sent as a bearer token)');
  }
  if (given === undefined) {
    if (token !== undefined) problems.push('SMS_GATEWAY_TOKEN is set but SMS_GATEWAY_URL is not: set the gateway\'s URL too, or remove the token');
    return undefined;
  }
  const url = httpBaseUrl('SMS_GATEWAY_URL', given, production, 'https://sms.example.com', 'put the token in SMS_GATEWAY_TOKEN', problems);
  if (url === undefined) return undefined;
  return { url, ...(token !== undefined && { token }), timeoutMs, retries };
}

function parseWebhooks(value: Value, production: boolean, problems: string[]): NotificationChannelsConfig['webhooks'] {
  const given = value('WEBHOOK_URLS');
  const secret = value('WEBHOOK_SECRET');
  const timeoutMs = wholeNumber('WEBHOOK_TIMEOUT_MS', value, CHANNEL_DEFAULTS.webhookTimeoutMs, 1, 60_000, 'milliseconds', problems);
  const retries = wholeNumber('WEBHOOK_RETRIES', value, CHANNEL_DEFAULTS.webhookRetries, 0, 10, 'retries', problems);
  if (given === undefined) return undefined;
  const before = problems.length;
  const entries = given.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (entries.length === 0) problems.push('WEBHOOK_URLS must be a comma-separated list of http:// or https:// URLs');
  const urls: string[] = [];
  entries.forEach((entry, i) => {
    const which = `WEBHOOK_URLS (URL ${i + 1} of ${entries.length})`;
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      problems.push(`${which} is not an http:// or https:// URL`);
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${which} is not an http:// or https:// URL`);
    else if (url.username !== '' || url.password !== '') problems.push(`${which} must not carry a user name or password: receivers check the signature`);
    else if (url.hash !== '') problems.push(`${which} must not have a fragment`);
    else if (production && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
      problems.push(`${which} must use https:// with NODE_ENV=production (events carry customer and card data)`);
    } else urls.push(url.href);
  });
  if (new Set(urls).size !== urls.length) problems.push('WEBHOOK_URLS names the same URL twice');
  if (secret === undefined) {
    problems.push(`WEBHOOK_SECRET is required with WEBHOOK_URLS: at least ${CHANNEL_DEFAULTS.webhookSecretMinBytes} bytes, e.g. from \`openssl rand -hex 32\``);
  } else if (Buffer.byteLength(secret, 'utf8') < CHANNEL_DEFAULTS.webhookSecretMinBytes) {
    problems.push(`WEBHOOK_SECRET must be at least ${CHANNEL_DEFAULTS.webhookSecretMinBytes} bytes (it has ${Buffer.byteLength(secret, 'utf8')}), e.g. from \`openssl rand -hex 32\``);
  }
  if (problems.length > before || secret === undefined) return undefined;
  return { urls, secret, timeoutMs, retries };
}

function httpBaseUrl(name: string, given: string, production: boolean, example: string, credentialsHint: string, problems: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    problems.push(`${name} must be an http:// or https:// URL, e.g. ${example}`);
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${name} must be an http:// or https:// URL, e.g. ${example}`);
  if (url.username !== '' || url.password !== '') problems.push(`${name} must not carry a user name or password: ${credentialsHint}`);
  if (url.search !== '' || url.hash !== '' || given.includes('?') || given.includes('#')) {
    problems.push(`${name} must not have a query or a fragment: give the base URL, to which /v1/messages is added`);
  }
  if (production && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    problems.push(`${name} must use https:// with NODE_ENV=production (it carries phone numbers and message texts)`);
  }
  if (problems.length > before) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A whole number setting within [min, max], or `fallback` when unset; a problem naming the variable otherwise. */
export function wholeNumber(name: string, value: Value, fallback: number, min: number, max: number, unit: string, problems: string[]): number {
  const given = value(name);
  if (given === undefined) return fallback;
  if (/^\d+$/.test(given) && Number(given) >= min && Number(given) <= max) return Number(given);
  problems.push(`${name} must be a whole number of ${unit} from ${min} to ${max}`);
  return fallback;
}
