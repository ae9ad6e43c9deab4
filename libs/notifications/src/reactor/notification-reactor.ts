import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  AggregateRunner,
  RetryingLoop,
  CASE_SURVEY_LINKS,
  type CaseSurveyLinks,
  CLOCK,
  customerStream,
  deterministicUuid,
  EVENT_SCHEMA_VERSION,
  NOTIFICATIONS,
  notificationStream,
  type Clock,
  type NotificationDocument,
} from '@cards/application';
import {
  customerDecider,
  evolveNotification,
  initialNotificationState,
  type CardIssued,
  type CustomerState,
  type NotificationEvent,
  type NotificationRequested,
  type NotificationState,
} from '@cards/domain';
import {
  EVENT_STORE,
  StreamRevisionConflictError,
  type AllSubscription,
  type EventStore,
  type JsonObject,
  type Position,
  type RecordedEvent,
} from '@cards/event-store';
import { PROJECTION_LEASE, READ_STORE, runUnderLease, type LeasedWorkHandle, type LeaseKeeper, type ReadStore } from '@cards/read-store';
import { NOTIFICATION_CHANNELS, type NotificationChannels, type SendResult } from '../channels/channel';
import { NotConfiguredChannel } from '../channels/not-configured';
import { type NoticeLocale } from '../catalog';
import { QUIET_HOURS } from '../notifications.module';
import { DEFAULT_QUIET_HOURS, type QuietHours } from '../quiet-hours';
import { NotificationTemplates } from '../templates';
import { templateValues, type NoticeFacts } from '../variables';
import { abandoned, eventsAfterAttempt } from './delivery-policy';
import { planNotices, templatesFor, type CardFacts, type CaseFacts } from './notice-planner';
import { DEFAULT_REACTOR_CONFIG, type NotificationReactorConfig } from './reactor-config';

/** The reactor's place in the log, kept in the read store beside the projections' checkpoints. */
export const NOTIFICATION_REACTOR_CHECKPOINT = 'notification-reactor';
/** How the reactor's events are signed in their metadata. */
export const NOTIFICATION_REACTOR_ACTOR = { id: 'notification-reactor', role: 'system' } as const;
/** Whether the reactor runs in this process (where the projections run). Optional: default from the app's configuration. */
export const NOTIFICATION_REACTOR_ENABLED = Symbol('NOTIFICATION_REACTOR_ENABLED');

/** Irrelevant events are checkpointed in batches of this many (re-reading them after a crash only costs time). */
const CHECKPOINT_EVERY = 200;
const FOLLOW_BACKOFF_MS: readonly [number, number] = [500, 30_000];

interface AppSettings {
  readonly notificationReactor?: NotificationReactorConfig;
  readonly projectionsInProcess?: boolean;
}

/**
 * Sends the notices (docs/notifications.md, "Reliability"). Two loops:
 * - intake follows the event store from its checkpoint and, for each event the catalog names, records one
 *   `NotificationRequested` per preferred channel in the notice's own stream (`notification-<id>`, the id derived
 *   from the event, template and channel, so deciding it twice writes it once);
 * - delivery takes the due notices (the `notifications` read model, checked against the notice's stream, which is
 *   the truth), renders the template, sends with the notice id as the provider's idempotency key, and records
 *   NotificationSent, or NotificationFailed with the next attempt's time, or NotificationAbandoned.
 * Killed between a send and its record, it sends again after the restart under the same id: at least once, and
 * never twice to a provider that honours the key.
 */
@Injectable()
export class NotificationReactor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NotificationReactor');
  private readonly config: NotificationReactorConfig;
  private readonly quietHours: QuietHours;
  private readonly enabled: boolean;
  private stopping = false;
  private intake: RetryingLoop | undefined;
  private delivery: Promise<void> | undefined;
  private work: LeasedWorkHandle | undefined;
  private subscription: AllSubscription | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Notices just requested and due now: delivered without waiting for the read model. */
  private readonly dueNow = new Set<string>();
  private wakeDelivery: (() => void) | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFICATION_CHANNELS) private readonly channels: NotificationChannels,
    private readonly templates: NotificationTemplates,
    private readonly runner: AggregateRunner,
    config: ConfigService,
    @Optional() @Inject(QUIET_HOURS) quietHours?: QuietHours,
    @Optional() @Inject(NOTIFICATION_REACTOR_ENABLED) enabled?: boolean,
    @Optional() @Inject(CASE_SURVEY_LINKS) private readonly surveyLinks?: CaseSurveyLinks,
    @Optional() @Inject(PROJECTION_LEASE) private readonly lease?: LeaseKeeper,
  ) {
    const app = config.get<AppSettings>('app') ?? {};
    this.config = app.notificationReactor ?? DEFAULT_REACTOR_CONFIG;
    this.quietHours = quietHours ?? DEFAULT_QUIET_HOURS;
    this.enabled = enabled ?? app.projectionsInProcess ?? true;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    // While this process holds the projections lease: two reactors on one store would both send the due notices.
    this.work = runUnderLease(this.lease, {
      name: 'notification reactor',
      start: () => {
        this.start();
        this.announce();
      },
      stop: () => this.stop(),
    });
  }

  private announce(): void {
    const channels = (['SMS', 'EMAIL'] as const).filter((c) => !(this.channels[c] instanceof NotConfiguredChannel));
    this.logger.log(
      channels.length === 0
        ? 'Notices: no channel is configured (SMS_GATEWAY_URL, SMTP_URL), so none is sent; the reactor follows the log all the same'
        : `Sending notices by ${channels.join(' and ')} from this process (up to ${this.config.retry.maxAttempts} attempts each, ${this.config.concurrency} at a time)`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await (this.work?.close() ?? this.stop());
  }

  /** Starts both loops; again after a stop (the projections lease taken back). */
  start(): void {
    if (this.delivery !== undefined) return;
    this.stopping = false;
    this.intake = new RetryingLoop({
      what: 'Notification intake',
      logger: this.logger,
      backoffMs: FOLLOW_BACKOFF_MS,
      round: (progressed) => this.follow(progressed),
      afterRound: () => this.closeSubscription(),
    });
    this.intake.start();
    this.delivery = this.runDelivery();
  }

  /** Stops taking events and due notices; waits for the sends under way and their records. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeDelivery?.();
    await this.intake?.stop(() => this.closeSubscription());
    await this.delivery;
    await Promise.all(this.inFlight.values());
    this.intake = undefined;
    this.delivery = undefined;
    // Whoever runs next finds these in the read model.
    this.dueNow.clear();
  }

  private async closeSubscription(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close();
  }

  // ---- intake ----

  private async follow(onProgress: () => void): Promise<void> {
    const checkpoint = await this.readStore.checkpoint(NOTIFICATION_REACTOR_CHECKPOINT);
    if (this.stopping) return;
    this.subscription = this.eventStore.subscribeToAll({ from: checkpoint?.position ?? 'start' });
    let pending: { position: Position; count: number } | undefined;
    const save = async () => {
      if (pending === undefined) return;
      await this.readStore.commit(NOTIFICATION_REACTOR_CHECKPOINT, pending.position, pending.count, []);
      pending = undefined;
    };
    try {
      for await (const event of this.subscription) {
        if (this.stopping) return;
        const requested = await this.take(event);
        pending = { position: event.position, count: (pending?.count ?? 0) + 1 };
        if (requested > 0 || pending.count >= CHECKPOINT_EVERY) await save();
        onProgress();
      }
    } finally {
      await save().catch(() => undefined);
    }
  }

  /**
   * Records the notices one event causes; answers how many it causes. Taking an event again writes nothing new:
   * each notice's NotificationRequested has an id derived from the notice, so a repeat is an idempotent append.
   */
  async take(event: RecordedEvent): Promise<number> {
    // Card events, and customer service cases' (docs/cases.md): both tell the customer they concern.
    const onCard = event.streamId.startsWith('card-');
    const onCase = event.streamId.startsWith('case-');
    if ((!onCard && !onCase) || event.metadata.imported === true) return 0;
    if (templatesFor(event).length === 0) return 0;
    const now = this.clock.now();
    if (now.getTime() - event.recordedAt.getTime() > this.config.maxEventAgeMs) {
      this.logger.debug({ eventId: event.id, type: event.type }, 'No notice: the event is older than NOTIFY_MAX_EVENT_AGE_HOURS');
      return 0;
    }
    const card = onCard ? await this.cardFacts(event.streamId) : undefined;
    const caseFacts = onCase ? await this.caseFacts(event.streamId) : undefined;
    if (card === null || caseFacts === null) return 0;
    const customerId = card?.customerId ?? caseFacts!.customerId;
    const customer = await this.customer(customerId);
    if (!customer.exists || customer.personalDataErasedAt !== undefined) {
      this.logger.log({ eventId: event.id, cardId: card?.cardId, caseId: caseFacts?.caseId }, 'No notice: the customer is unknown or their personal data was erased');
      return 0;
    }
    const plans = planNotices({
      event,
      ...(card !== undefined && { card }),
      ...(caseFacts !== undefined && { caseFacts }),
      customer: {
        customerId,
        preferredChannels: customer.preferredChannels,
        locale: customer.locale,
        timeZone: customer.timeZone,
      },
      quietHours: this.quietHours,
      now,
    });
    let created = 0;
    for (const request of plans) {
      // A channel this deployment has not configured is not part of it: no notice is recorded for it.
      if (this.channels[request.channel] instanceof NotConfiguredChannel) continue;
      const requested: NotificationRequested = { type: 'NotificationRequested', data: request };
      const appended = await this.append(request, [requested], 'no_stream', event);
      if (!appended) continue;
      created += 1;
      if (Date.parse(request.sendAt) <= now.getTime()) this.dueNow.add(request.notificationId);
    }
    if (created > 0) this.wakeDelivery?.();
    return created;
  }

  private async cardFacts(streamId: string): Promise<CardFacts | null> {
    const events = await this.eventStore.readStream(streamId);
    const issued = events.find((e) => e.type === 'CardIssued');
    if (issued === undefined) return null;
    const data = issued.data as unknown as CardIssued['data'];
    const disputeReasons: Record<string, string> = {};
    for (const e of events) {
      if (e.type === 'CardDisputed' && typeof e.data.disputeId === 'string' && typeof e.data.reason === 'string') {
        disputeReasons[e.data.disputeId] = e.data.reason;
      }
    }
    return { cardId: data.cardId, customerId: data.customerId, product: data.product, panLast4: data.panLast4, disputeReasons };
  }

  /** A case's number, customer and card, from its CaseOpened (plain fields; its texts stay encrypted, unread); null for a case on no customer. */
  private async caseFacts(streamId: string): Promise<CaseFacts | null> {
    const [opened] = await this.eventStore.readStream(streamId, { toRevision: 0n });
    if (opened === undefined || opened.type !== 'CaseOpened' || typeof opened.data.customerId !== 'string') return null;
    const data = opened.data;
    return {
      caseId: String(data.caseId),
      caseNumber: String(data.caseNumber),
      customerId: data.customerId as string,
      cardId: typeof data.cardId === 'string' ? data.cardId : null,
    };
  }

  private async customer(customerId: string): Promise<CustomerState> {
    return (await this.runner.load(customerStream(customerId), customerDecider)).state;
  }

  // ---- delivery ----

  private async runDelivery(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.deliverDue();
      } catch (error) {
        if (this.stopping) break;
        this.logger.warn({ err: error }, `Notification delivery: ${(error as Error).message}; trying again in ${this.config.pollMs} ms`);
      }
      if (this.dueNow.size === 0) await this.pause(this.config.pollMs);
    }
  }

  /** Starts the due notices (up to the concurrency limit) and waits for them. */
  async deliverDue(): Promise<void> {
    const ids = new Set(this.dueNow);
    this.dueNow.clear();
    const room = Math.max(0, this.config.concurrency * 4 - ids.size);
    if (room > 0) {
      const due = await this.readStore.find(NOTIFICATIONS, {
        filter: { status: 'PENDING', nextAttemptAt: { $lte: this.clock.now().toISOString() } },
        sort: [{ field: 'nextAttemptAt', direction: 'asc' }],
        limit: room,
      });
      for (const doc of due as unknown as NotificationDocument[]) ids.add(doc.notificationId);
    }
    const queue = [...ids].filter((id) => !this.inFlight.has(id));
    const workers = Array.from({ length: Math.min(this.config.concurrency, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined && !this.stopping; id = queue.shift()) {
        const work = this.deliver(id).finally(() => this.inFlight.delete(id));
        this.inFlight.set(id, work);
        await work;
      }
    });
    await Promise.all(workers);
  }

  /** One attempt at one notice, if it is still due; its outcome recorded in the notice's stream. */
  async deliver(notificationId: string): Promise<void> {
    const streamId = notificationStream(notificationId);
    const recorded = await this.eventStore.readStream(streamId);
    if (recorded.length === 0) return;
    const state = recorded.reduce<NotificationState>(
      (s, e) => evolveNotification(s, { type: e.type, data: e.data } as unknown as NotificationEvent),
      initialNotificationState,
    );
    const revision = recorded[recorded.length - 1].revision;
    if (!state.exists || state.status !== 'PENDING') return;
    const now = this.clock.now();
    if (state.dueAt !== null && Date.parse(state.dueAt) > now.getTime()) return;
    const request = state.request;
    const attempt = state.attempts + 1;

    const customer = await this.customer(request.customerId);
    const reachable = customer.exists && customer.personalDataErasedAt === undefined;
    const to = reachable ? (request.channel === 'SMS' ? customer.phone : customer.email) : undefined;
    if (!customer.exists || to === undefined || to === '') {
      await this.append(request, [abandoned(request, 'NO_RECIPIENT', state.attempts, now)], revision);
      this.logger.warn({ notificationId, channel: request.channel }, 'Notice abandoned: no address for its channel (none given, or erased)');
      return;
    }
    const result = await this.send(request, to, customer.exists ? customer.name : undefined);
    const after = this.clock.now();
    const events = eventsAfterAttempt(request, attempt, result, after, this.config.retry);
    await this.append(request, events, revision);
    if (result.outcome !== 'SENT') {
      this.logger.warn(
        { notificationId, channel: request.channel, templateId: request.templateId, attempt, reason: result.reason, error: result.error },
        events.some((e) => e.type === 'NotificationAbandoned')
          ? `Notice abandoned after attempt ${attempt}: ${result.reason}`
          : `Notice attempt ${attempt} failed (${result.reason}); next at ${(events[0].data as { nextAttemptAt: string | null }).nextAttemptAt}`,
      );
    }
  }

  private async send(request: NotificationRequested['data'], to: string, customerName: string | undefined): Promise<SendResult> {
    const locale: NoticeLocale = request.locale === 'en' ? 'en' : 'zh-CN';
    // A resolved case's e-mail carries its survey link, made now (it expires CASE_SURVEY_LINK_DAYS after the send).
    const caseId = request.facts.caseId;
    const surveyLink =
      caseId !== undefined && this.surveyLinks !== undefined && this.templates.variablesOf(request.templateId).includes('surveyLink')
        ? this.surveyLinks.link(caseId, this.clock.now())
        : undefined;
    const facts: NoticeFacts = {
      ...request.facts,
      ...(customerName !== undefined && { customerName }),
      ...(surveyLink !== undefined && { surveyLink }),
      occurredAt: request.occurredAt,
      timeZone: request.timeZone,
      hotline: this.config.hotline,
    };
    let rendered;
    try {
      rendered = this.templates.render(request.templateId, request.channel, locale, templateValues(facts, locale));
    } catch (error) {
      return { outcome: 'PERMANENT', reason: 'INVALID_MESSAGE', error: `cannot render: ${(error as Error).message}`, attempts: 0 };
    }
    const message =
      rendered.channel === 'SMS'
        ? { notificationId: request.notificationId, channel: 'SMS' as const, to, text: rendered.text }
        : { notificationId: request.notificationId, channel: 'EMAIL' as const, to, subject: rendered.subject, text: rendered.text, html: rendered.html };
    try {
      return await this.channels[request.channel].send(message);
    } catch (error) {
      // A channel must not throw; if one does, the notice may or may not have gone: try again under the same id.
      return { outcome: 'RETRYABLE', reason: 'CONNECTION_FAILED', error: `the channel threw ${(error as Error).name}`, attempts: 1 };
    }
  }

  // ---- plumbing ----

  /** Appends to the notice's stream; false when another writer got there first (the notice is theirs to finish). */
  private async append(
    request: NotificationRequested['data'],
    events: readonly NotificationEvent[],
    expectedRevision: 'no_stream' | bigint,
    cause?: RecordedEvent,
  ): Promise<boolean> {
    const streamId = notificationStream(request.notificationId);
    const at = this.clock.now().toISOString();
    const nextRevision = expectedRevision === 'no_stream' ? 0n : expectedRevision + 1n;
    try {
      await this.eventStore.appendToStream(
        streamId,
        events.map((e, i) => ({
          id: deterministicUuid(streamId, String(nextRevision + BigInt(i)), e.type),
          type: e.type,
          data: e.data as unknown as JsonObject,
          metadata: {
            schemaVersion: EVENT_SCHEMA_VERSION,
            actor: { ...NOTIFICATION_REACTOR_ACTOR },
            channel: 'notification-reactor',
            correlationId: typeof cause?.metadata.correlationId === 'string' ? cause.metadata.correlationId : request.sourceEventId,
            causationId: cause?.id ?? request.sourceEventId,
            occurredAt: at,
          },
        })),
        { expectedRevision },
      );
      return true;
    } catch (error) {
      if (error instanceof StreamRevisionConflictError) return false;
      throw error;
    }
  }

  /** The delivery loop's wait for the next poll; a new due notice or stop() ends it early. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeDelivery = done;
    });
  }
}

