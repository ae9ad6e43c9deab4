import { Module } from '@nestjs/common';
import { AggregateRunner, EVENT_CODEC, PersonalDataEventCodec } from '@cards/application';
import { NotificationsModule } from '../notifications.module';
import { NotificationReactor } from './notification-reactor';
import { WebhookRelay } from './webhook-relay';

/**
 * The reactor that sends the notices and the relay that pushes lifecycle events to the webhooks. Both run where the
 * projections run (card-api with PROJECTIONS_IN_PROCESS, or card-projector). Their ports (EVENT_STORE, READ_STORE,
 * CLOCK, PersonalDataCipher) come from the global infrastructure module; the customer's stream is read decrypted
 * to find the address, which is never recorded.
 */
@Module({
  imports: [NotificationsModule],
  providers: [{ provide: EVENT_CODEC, useClass: PersonalDataEventCodec }, AggregateRunner, NotificationReactor, WebhookRelay],
  exports: [NotificationReactor],
})
export class NotificationReactorModule {}
