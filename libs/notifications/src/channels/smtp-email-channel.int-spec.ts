import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { NotificationMessage, SendResult } from './channel';
import { messageIdFor, NOTIFICATION_ID_HEADER, SmtpEmailChannel } from './smtp-email-channel';
import { NotConfiguredChannel } from './not-configured';

const USER = 'mailer';
const PASSWORD = 'p@ss:w0rd/secret';
const ADDRESS = 'zhang.san@example.com';
const SUBJECT = '您的借记卡已激活';
const TEXT = '张三，您好：尾号1234的借记卡已激活。';
const HTML = '<p>张三，您好：尾号<b>1234</b>的借记卡已激活。</p>';
const MESSAGE: NotificationMessage = { notificationId: 'ntf-7f3a-email-1', channel: 'EMAIL', to: ADDRESS, subject: SUBJECT, text: TEXT, html: HTML };
const SECRETS = [ADDRESS, 'zhang.san', TEXT, SUBJECT, '张三', PASSWORD, encodeURIComponent(PASSWORD)];

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

/** What the server says to each RCPT TO: undefined accepts, else an SMTP reply code to refuse with. */
let refuseRecipientWith: number | undefined;
let received: Received[];
let logLines: string[];
let results: SendResult[];
let server: SMTPServer;
let port: number;

beforeAll(async () => {
  server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (refuseRecipientWith === undefined) return callback();
      callback(Object.assign(new Error(`Mailbox ${address.address} unavailable`), { responseCode: refuseRecipientWith }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  refuseRecipientWith = undefined;
  received = [];
  logLines = [];
  results = [];
});
afterEach(() => {
  for (const result of results) if (result.outcome !== 'SENT') logLines.push(result.error);
  for (const line of logLines) for (const secret of SECRETS) expect(line).not.toContain(secret);
});

function channel(password = PASSWORD, timeoutMs = 2000): SmtpEmailChannel {
  return new SmtpEmailChannel({
    url: `smtp://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    from: 'Card service <no-reply@bank.example>',
    timeoutMs,
    log: { warn: (l) => logLines.push(l), debug: (l) => logLines.push(l) },
  });
}

async function send(adapter: SmtpEmailChannel | NotConfiguredChannel = channel(), message = MESSAGE): Promise<SendResult> {
  const result = await adapter.send(message);
  results.push(result);
  return result;
}

/** The body of the MIME part with this Content-Type, decoded. */
function part(raw: string, contentType: string): string {
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(raw)?.[1];
  if (!boundary) throw new Error('not multipart');
  const section = raw.split(`--${boundary}`).find((s) => new RegExp(`Content-Type: ${contentType}`, 'i').test(s));
  if (!section) throw new Error(`no ${contentType} part`);
  const [headers, ...body] = section.split(/\r\n\r\n/);
  const content = body.join('\r\n\r\n').trim();
  if (/Content-Transfer-Encoding: base64/i.test(headers)) return Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/Content-Transfer-Encoding: quoted-printable/i.test(headers)) {
    const bytes = content.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return content;
}

describe('SmtpEmailChannel against a local SMTP server', () => {
  it('sends one multipart/alternative message, text and HTML, with a Message-ID derived from the notificationId', async () => {
    const result = await send();

    const messageId = messageIdFor('ntf-7f3a-email-1', 'no-reply@bank.example');
    expect(messageId).toBe('<ntf-7f3a-email-1@bank.example>');
    expect(result).toEqual({ outcome: 'SENT', providerMessageId: messageId, attempts: 1 });
    expect(received).toHaveLength(1);
    const [mail] = received;
    expect(mail.from).toBe('no-reply@bank.example');
    expect(mail.to).toEqual([ADDRESS]);
    const headers = mail.raw.split(/\r\n\r\n/)[0];
    expect(headers).toMatch(/^Content-Type: multipart\/alternative;/im);
    expect(headers).toContain(`Message-ID: ${messageId}`);
    expect(headers).toContain(`${NOTIFICATION_ID_HEADER}: ntf-7f3a-email-1`);
    expect(headers).toMatch(/^From: Card service <no-reply@bank\.example>$/m);
    expect(headers).toMatch(/^To: zhang\.san@example\.com$/m);
    expect(headers).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(part(mail.raw, 'text/plain')).toBe(TEXT);
    expect(part(mail.raw, 'text/html')).toBe(HTML);
  });

  it('gives a retried send the same Message-ID', async () => {
    await send();
    await send();
    const ids = received.map((m) => /^Message-ID: (.*)$/im.exec(m.raw)?.[1]);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBe(ids[0]);
    // An id that is not a valid dot-atom still gives a stable, valid Message-ID.
    expect(messageIdFor('id with spaces', 'x@bank.example')).toBe(messageIdFor('id with spaces', 'x@bank.example'));
    expect(messageIdFor('id with spaces', 'x@bank.example')).toMatch(/^<n\.[0-9a-f]{40}@bank\.example>$/);
  });

  it('answers RETRYABLE DEFERRED on an SMTP 4xx', async () => {
    refuseRecipientWith = 450;
    const result = await send();
    expect(result).toMatchObject({ outcome: 'RETRYABLE', reason: 'DEFERRED', attempts: 1 });
    expect(result.outcome !== 'SENT' && result.error).toContain('reply 450');
    expect(received).toHaveLength(0);
  });

  it('answers PERMANENT REJECTED on an SMTP 5xx', async () => {
    refuseRecipientWith = 550;
    const result = await send();
    expect(result).toMatchObject({ outcome: 'PERMANENT', reason: 'REJECTED', attempts: 1 });
    expect(result.outcome !== 'SENT' && result.error).toContain('command RCPT TO, reply 550');
  });

  it('answers PERMANENT on refused credentials, naming SMTP_URL and never the password', async () => {
    const result = await send(channel('wrong-password'));
    expect(result).toMatchObject({ outcome: 'PERMANENT', reason: 'REJECTED' });
    expect(result.outcome !== 'SENT' && result.error).toContain('SMTP_URL');
    expect(result.outcome !== 'SENT' && result.error).not.toContain('wrong-password');
  });

  it('answers RETRYABLE CONNECTION_FAILED when no server listens', async () => {
    const adapter = new SmtpEmailChannel({ url: 'smtp://127.0.0.1:1', from: 'no-reply@bank.example', timeoutMs: 1000, log: { warn: (l) => logLines.push(l), debug: () => undefined } });
    expect(await send(adapter)).toMatchObject({ outcome: 'RETRYABLE', reason: 'CONNECTION_FAILED', attempts: 1 });
  });

  it('answers RETRYABLE TIMEOUT when the server never greets', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const silentPort = (silent.address() as AddressInfo).port;
      const adapter = new SmtpEmailChannel({ url: `smtp://127.0.0.1:${silentPort}`, from: 'no-reply@bank.example', timeoutMs: 200, log: { warn: (l) => logLines.push(l), debug: () => undefined } });
      expect(await send(adapter)).toMatchObject({ outcome: 'RETRYABLE', reason: 'TIMEOUT', attempts: 1 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses a message without a subject, PERMANENT INVALID_MESSAGE, without connecting', async () => {
    expect(await send(channel(), { ...MESSAGE, subject: undefined })).toMatchObject({ outcome: 'PERMANENT', reason: 'INVALID_MESSAGE', attempts: 0 });
    expect(received).toHaveLength(0);
  });

  it('without SMTP_URL: PERMANENT NOT_CONFIGURED at once', async () => {
    expect(await send(new NotConfiguredChannel('EMAIL'))).toEqual({
      outcome: 'PERMANENT',
      reason: 'NOT_CONFIGURED',
      error: 'No SMTP server is configured: e-mail needs SMTP_URL and SMTP_FROM',
      attempts: 0,
    });
  });
});
