import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { errorCode, failure, unsendable, type ChannelLog, type NotificationChannel, type NotificationMessage, type SendResult } from './channel';

export interface SmtpEmailChannelOptions {
  /** SMTP_URL: smtp:// (STARTTLS when offered) or smtps:// (TLS from the start), credentials in the URL. Never logged. */
  readonly url: string;
  /** SMTP_FROM: the From address, e.g. `Card service <no-reply@bank.example>`. */
  readonly from: string;
  /** SMTP_TIMEOUT_MS: for the connection, the greeting, and each wait on the socket. */
  readonly timeoutMs: number;
  readonly log?: ChannelLog;
  /** Tests only: accept the test server's self-signed certificate. */
  readonly allowSelfSignedCertificate?: boolean;
}

/** The header carrying the notificationId as it is (the Message-ID holds it too, when it can). */
export const NOTIFICATION_ID_HEADER = 'X-Cards-Notification-ID';

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/**
 * The Message-ID of a notification: the same for every send of one notificationId, so that a retried send is
 * recognisable (and dropped by the receiving systems that deduplicate by Message-ID). The id itself is the left
 * part when it is a valid dot-atom; otherwise a hash of it. The right part is the From address's domain.
 */
export function messageIdFor(notificationId: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'cards.invalid';
  const left = DOT_ATOM.test(notificationId) ? notificationId : `n.${createHash('sha256').update(notificationId).digest('hex').slice(0, 40)}`;
  return `<${left}@${domain}>`;
}

/**
 * E-mail over SMTP with nodemailer: one multipart/alternative message (plain text, then HTML), Message-ID from the
 * notificationId. An SMTP 4xx reply is RETRYABLE (DEFERRED), a 5xx PERMANENT (REJECTED); a timeout or a failed
 * connection is RETRYABLE. Errors name the SMTP command, the reply code and the error code, never the server's
 * reply text (it often quotes the address).
 */
export class SmtpEmailChannel implements NotificationChannel {
  readonly channel = 'EMAIL' as const;
  private readonly transport: Transporter;
  private readonly log: ChannelLog;

  constructor(private readonly options: SmtpEmailChannelOptions) {
    const url = new URL(options.url);
    const secure = url.protocol === 'smtps:';
    this.transport = createTransport({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
      secure,
      ...(url.username !== '' && { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      ...(options.allowSelfSignedCertificate && { tls: { rejectUnauthorized: false } }),
      logger: false,
      debug: false,
    });
    this.log = options.log ?? new Logger(SmtpEmailChannel.name);
  }

  async send(message: NotificationMessage): Promise<SendResult> {
    const refused = unsendable(message, 'EMAIL') ?? (typeof message.subject === 'string' && message.subject.trim() !== '' ? undefined : 'the subject is empty');
    if (refused !== undefined) return failure('PERMANENT', 'INVALID_MESSAGE', `Not sent over SMTP: ${refused}`, 0);
    const tag = `[notification ${message.notificationId}]`;
    const messageId = messageIdFor(message.notificationId, this.options.from);
    try {
      const info = (await this.transport.sendMail({
        from: this.options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html !== undefined && { html: message.html }),
        messageId,
        headers: { [NOTIFICATION_ID_HEADER]: message.notificationId },
        disableFileAccess: true,
        disableUrlAccess: true,
      })) as { messageId?: string };
      this.log.debug(`SMTP server accepted the message ${tag}`);
      return { outcome: 'SENT', providerMessageId: info.messageId ?? messageId, attempts: 1 };
    } catch (error) {
      const { outcome, reason, summary } = classify(error);
      const detail = `SMTP send failed (${summary})`;
      this.log.warn(`${detail} ${tag}`);
      return failure(outcome, reason, detail, 1);
    }
  }

  /** Closes any open connection (nothing stays open between sends without pooling). */
  onApplicationShutdown(): void {
    this.transport.close();
  }
}

function classify(error: unknown): { outcome: 'RETRYABLE' | 'PERMANENT'; reason: 'DEFERRED' | 'REJECTED' | 'TIMEOUT' | 'CONNECTION_FAILED'; summary: string } {
  const e = (error ?? {}) as { responseCode?: unknown; command?: unknown; code?: unknown };
  const code = errorCode(error);
  const command = typeof e.command === 'string' && /^[A-Z][A-Z0-9 ]{0,19}$/.test(e.command) ? e.command : undefined;
  const reply = typeof e.responseCode === 'number' && e.responseCode >= 200 && e.responseCode < 600 ? e.responseCode : undefined;
  const parts = [command && `command ${command}`, reply !== undefined && `reply ${reply}`, code].filter(Boolean).join(', ');
  if (reply !== undefined && reply >= 500) {
    const hint = code === 'EAUTH' ? '; check the credentials in SMTP_URL' : '';
    return { outcome: 'PERMANENT', reason: 'REJECTED', summary: `${parts}${hint}` };
  }
  if (reply !== undefined && reply >= 400) return { outcome: 'RETRYABLE', reason: 'DEFERRED', summary: parts };
  if (code === 'ETIMEDOUT' || /timeout/i.test(code)) return { outcome: 'RETRYABLE', reason: 'TIMEOUT', summary: parts };
  return { outcome: 'RETRYABLE', reason: 'CONNECTION_FAILED', summary: parts };
}
