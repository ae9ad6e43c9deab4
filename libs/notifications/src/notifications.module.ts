import { Module } from '@nestjs/common';
import { quietHoursFromEnv } from './quiet-hours';
import { NotificationTemplates } from './templates';

/** The quiet hours in force (NOTIFY_QUIET_HOURS, default 22:00-08:00): a QuietHours value. */
export const QUIET_HOURS = Symbol('QUIET_HOURS');

/**
 * Loads and checks the templates when the app starts (a broken template stops the start with a message naming
 * the file), and reads the quiet hours from the environment.
 */
@Module({
  providers: [
    { provide: NotificationTemplates, useFactory: () => NotificationTemplates.load() },
    { provide: QUIET_HOURS, useFactory: () => quietHoursFromEnv(process.env) },
  ],
  exports: [NotificationTemplates, QUIET_HOURS],
})
export class NotificationsModule {}
