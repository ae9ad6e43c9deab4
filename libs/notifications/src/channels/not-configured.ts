import { failure, type ChannelLog, type ChannelName, type NotificationChannel, type NotificationChannels, type SendResult } from './channel';
import type { NotificationChannelsConfig } from './channels-config';
import { HttpSmsChannel } from './http-sms-channel';
import { SmtpEmailChannel } from './smtp-email-channel';
import { HttpWebhookPublisher, NoWebhookPublisher, webhookTarget, type WebhookPublisher } from './webhook-publisher';

const WHAT_IS_MISSING: Record<ChannelName, string> = {
  EMAIL: 'No SMTP server is configured: e-mail needs SMTP_URL and SMTP_FROM',
  SMS: 'No SMS gateway is configured: SMS needs SMS_GATEWAY_URL',
};

/** A channel without its configuration: every send is PERMANENT / NOT_CONFIGURED, at once and without I/O. */
export class NotConfiguredChannel implements NotificationChannel {
  constructor(readonly channel: ChannelName) {}

  send(): Promise<SendResult> {
    return Promise.resolve(failure('PERMANENT', 'NOT_CONFIGURED', WHAT_IS_MISSING[this.channel], 0));
  }
}

/** The adapters behind NOTIFICATION_CHANNELS: SMTP and the SMS gateway when configured, NotConfiguredChannel otherwise. */
export function notificationChannelsFor(config: NotificationChannelsConfig, log?: ChannelLog): NotificationChannels {
  return {
    EMAIL: config.smtp
      ? new SmtpEmailChannel({ url: config.smtp.url, from: config.smtp.from, timeoutMs: config.smtp.timeoutMs, ...(log && { log }) })
      : new NotConfiguredChannel('EMAIL'),
    SMS: config.sms
      ? new HttpSmsChannel({
          url: config.sms.url,
          ...(config.sms.token !== undefined && { token: config.sms.token }),
          timeoutMs: config.sms.timeoutMs,
          retries: config.sms.retries,
          ...(log && { log }),
        })
      : new NotConfiguredChannel('SMS'),
  };
}

export function webhookPublisherFor(config: NotificationChannelsConfig, log?: ChannelLog): WebhookPublisher {
  if (!config.webhooks) return new NoWebhookPublisher();
  const { urls, secret, timeoutMs, retries } = config.webhooks;
  return new HttpWebhookPublisher({ urls, secret, timeoutMs, retries, ...(log && { log }) });
}

/** One line per channel for start-up messages; `configured: false` lines are warnings. Never shows a credential. */
export function describeNotificationChannels(config: NotificationChannelsConfig): { readonly configured: boolean; readonly line: string }[] {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    config.smtp
      ? { configured: true, line: `E-mail: SMTP ${config.smtp.display}, from ${config.smtp.from} (timeout ${config.smtp.timeoutMs} ms)` }
      : { configured: false, line: 'E-mail: not configured: e-mails answer NOT_CONFIGURED until SMTP_URL and SMTP_FROM are set' },
    config.sms
      ? {
          configured: true,
          line: `SMS: gateway ${config.sms.url} (timeout ${config.sms.timeoutMs} ms, ${plural(config.sms.retries, 'retry', 'retries')}${config.sms.token !== undefined ? ', bearer token' : ''})`,
        }
      : { configured: false, line: 'SMS: not configured: SMS answer NOT_CONFIGURED until SMS_GATEWAY_URL is set' },
    config.webhooks
      ? {
          configured: true,
          line: `Webhooks: ${config.webhooks.urls.map(webhookTarget).join(', ')} (signed, timeout ${config.webhooks.timeoutMs} ms, ${plural(config.webhooks.retries, 'retry', 'retries')})`,
        }
      : { configured: true, line: 'Webhooks: none (WEBHOOK_URLS unset)' },
  ];
}
