import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NOTIFICATION_CHANNELS, WEBHOOK_PUBLISHER } from './channels/channel';
import type { NotificationChannelsConfig } from './channels/channels-config';
import { notificationChannelsFor, webhookPublisherFor } from './channels/not-configured';
import { DEFAULT_QUIET_HOURS, type QuietHours } from './quiet-hours';
import { NotificationTemplates } from './templates';

/** The quiet hours in force (NOTIFY_QUIET_HOURS, default 22:00-08:00): a QuietHours value. */
export const QUIET_HOURS = Symbol('QUIET_HOURS');

/** The validated quiet hours: `quietHours` of the app's configuration (NOTIFY_QUIET_HOURS, checked by loadAppConfig). */
function quietHours(config: ConfigService): QuietHours {
  return config.get<{ quietHours?: QuietHours }>('app')?.quietHours ?? DEFAULT_QUIET_HOURS;
}

/** The validated channel settings: `notificationChannels` of the app's configuration (ConfigModule key `app`). */
function channelsConfig(config: ConfigService): NotificationChannelsConfig {
  return config.get<{ notificationChannels?: NotificationChannelsConfig }>('app')?.notificationChannels ?? {};
}

/**
 * Loads and checks the templates when the app starts (a broken template stops the start with a message naming
 * the file), takes the quiet hours from the app's configuration, and provides the channels (NOTIFICATION_CHANNELS: SMS and
 * EMAIL, each answering NOT_CONFIGURED when unset) and the webhook publisher (WEBHOOK_PUBLISHER).
 */
@Module({
  providers: [
    { provide: NotificationTemplates, useFactory: () => NotificationTemplates.load() },
    { provide: QUIET_HOURS, inject: [ConfigService], useFactory: quietHours },
    { provide: NOTIFICATION_CHANNELS, inject: [ConfigService], useFactory: (config: ConfigService) => notificationChannelsFor(channelsConfig(config)) },
    { provide: WEBHOOK_PUBLISHER, inject: [ConfigService], useFactory: (config: ConfigService) => webhookPublisherFor(channelsConfig(config)) },
  ],
  exports: [NotificationTemplates, QUIET_HOURS, NOTIFICATION_CHANNELS, WEBHOOK_PUBLISHER],
})
export class NotificationsModule {}
