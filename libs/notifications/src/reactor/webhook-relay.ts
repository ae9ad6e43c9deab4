import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CASE_TEXT_FIELDS, type CaseEventType } from '@cards/domain';
import { EVENT_STORE, type AllSubscription, type EventStore, type JsonObject, type RecordedEvent } from '@cards/event-store';
import { RetryingLoop } from '@cards/application';
import { PROJECTION_LEASE, READ_STORE, runUnderLease, type LeasedWorkHandle, type LeaseKeeper, type ReadStore } from '@cards/read-store';
import { backoffMs, WEBHOOK_PUBLISHER } from '../channels/channel';
import type { NotificationChannelsConfig } from '../channels/channels-config';
import type { WebhookPublisher } from '../channels/webhook-publisher';
import { NOTIFICATION_REACTOR_ENABLED } from './notification-reactor';

/** The relay's place in the log, kept in the read store beside the projections' checkpoints. */
export const WEBHOOK_RELAY_CHECKPOINT = 'webhook-relay';
/** The waits between rounds of a delivery that keeps failing: doubling from the first to the last. Optional. */
export const WEBHOOK_RELAY_BACKOFF_MS = Symbol('WEBHOOK_RELAY_BACKOFF_MS');
const DEFAULT_BACKOFF_MS: readonly [number, number] = [5_000, 300_000];

/**
 * The streams whose events internal systems receive (docs/notifications.md, "Webhooks relay"): the cards' lifecycles,
 * and customer service cases' (an agent desktop or a CRM learns of an assignment or an escalation at once).
 */
export function isLifecycleEvent(event: Pick<RecordedEvent, 'streamId' | 'metadata'>): boolean {
  return (event.streamId.startsWith('card-') || event.streamId.startsWith('case-')) && event.metadata.imported !== true;
}

/** The event's data as it is sent: a case's texts written by people (stored encrypted) are left out. */
export function relayedData(event: Pick<RecordedEvent, 'streamId' | 'type' | 'data'>): JsonObject {
  const texts = event.streamId.startsWith('case-') ? CASE_TEXT_FIELDS[event.type as CaseEventType] : undefined;
  if (texts === undefined) return event.data;
  return Object.fromEntries(Object.entries(event.data).filter(([field]) => !texts.includes(field)));
}

interface AppSettings {
  readonly notificationChannels?: NotificationChannelsConfig;
  readonly projectionsInProcess?: boolean;
}

/**
 * Pushes every card and case lifecycle event to WEBHOOK_URLS, in the order of the log, from its checkpoint: at least once
 * (a receiver drops repeats by X-Cards-Event-Id). A URL that answers a retryable failure (429, 5xx, timeout) after
 * the publisher's own retries holds the relay on that event, which is sent again after a growing pause, so nothing
 * is skipped; a URL that refuses it for good (another 4xx) is logged and passed.
 */
@Injectable()
export class WebhookRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookRelay');
  private readonly configured: boolean;
  private readonly enabled: boolean;
  private readonly backoff: readonly [number, number];
  private loop: RetryingLoop | undefined;
  private subscription: AllSubscription | undefined;
  private work: LeasedWorkHandle | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(WEBHOOK_PUBLISHER) private readonly publisher: WebhookPublisher,
    config: ConfigService,
    @Optional() @Inject(NOTIFICATION_REACTOR_ENABLED) enabled?: boolean,
    @Optional() @Inject(WEBHOOK_RELAY_BACKOFF_MS) backoff?: readonly [number, number],
    @Optional() @Inject(PROJECTION_LEASE) private readonly lease?: LeaseKeeper,
  ) {
    const app = config.get<AppSettings>('app') ?? {};
    this.configured = app.notificationChannels?.webhooks !== undefined;
    this.enabled = enabled ?? app.projectionsInProcess ?? true;
    this.backoff = backoff ?? DEFAULT_BACKOFF_MS;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled || !this.configured) return;
    // While this process holds the projections lease: one relay per store.
    this.work = runUnderLease(this.lease, {
      name: 'webhook relay',
      start: () => {
        this.start();
        this.logger.log('Relaying card and case lifecycle events to WEBHOOK_URLS from this process');
      },
      stop: () => this.stop(),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await (this.work?.close() ?? this.stop());
  }

  private start(): void {
    if (this.loop !== undefined) return;
    const loop: RetryingLoop = new RetryingLoop({
      what: 'Webhook relay',
      logger: this.logger,
      backoffMs: this.backoff,
      round: () => this.follow(loop),
      afterRound: () => this.closeSubscription(),
    });
    this.loop = loop;
    loop.start();
  }

  private async stop(): Promise<void> {
    const loop = this.loop;
    if (loop === undefined) return;
    await loop.stop(() => this.closeSubscription());
    if (this.loop === loop) this.loop = undefined;
  }

  private async closeSubscription(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close();
  }

  private async follow(loop: RetryingLoop): Promise<void> {
    const checkpoint = await this.readStore.checkpoint(WEBHOOK_RELAY_CHECKPOINT);
    if (loop.stopping) return;
    this.subscription = this.eventStore.subscribeToAll({ from: checkpoint?.position ?? 'start' });
    let skipped = 0;
    for await (const event of this.subscription) {
      if (loop.stopping) return;
      if (!isLifecycleEvent(event)) {
        skipped += 1;
        if (skipped >= 200) {
          await this.readStore.commit(WEBHOOK_RELAY_CHECKPOINT, event.position, skipped, []);
          skipped = 0;
        }
        continue;
      }
      const delivered = await this.deliver(loop, event);
      if (!delivered) return;
      await this.readStore.commit(WEBHOOK_RELAY_CHECKPOINT, event.position, skipped + 1, []);
      skipped = 0;
    }
  }

  /** Publishes one event until no URL answers a retryable failure; false when stopped before that. */
  private async deliver(loop: RetryingLoop, event: RecordedEvent): Promise<boolean> {
    for (let round = 1; !loop.stopping; round++) {
      const result = await this.publisher.publish({
        id: event.id,
        type: event.type,
        streamId: event.streamId,
        data: relayedData(event),
        metadata: event.metadata,
        recordedAt: event.recordedAt,
      });
      for (const d of result.deliveries) {
        if (d.outcome === 'PERMANENT') {
          this.logger.error({ eventId: event.id, target: d.target, reason: d.reason, error: d.error }, `Webhook refused for good by ${d.target}: ${d.reason}; passed`);
        }
      }
      const retryable = result.deliveries.flatMap((d) => (d.outcome === 'RETRYABLE' ? [d] : []));
      if (retryable.length === 0) return true;
      const waitMs = backoffMs(round, this.backoff[0], this.backoff[1], Math.random);
      this.logger.warn(
        { eventId: event.id, targets: retryable.map((d) => d.target), round, retryInMs: waitMs },
        `Webhook delivery of ${event.type} failed (${retryable.map((d) => `${d.target}: ${d.reason}`).join('; ')}); sending it again in ${waitMs} ms`,
      );
      await loop.pause(waitMs);
    }
    return false;
  }
}
