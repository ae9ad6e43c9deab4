import { randomUUID } from 'node:crypto';
import type { AbandonReason, NotificationEvent } from '@cards/domain';
import { EVENT_STORE, formatPosition, type EventStore, type EventToAppend, type JsonObject } from '@cards/event-store';
import type { TestApp } from './test-app';

/**
 * How one notice went, as the notification reactor would record it in `notification-<id>` (times in epoch ms).
 * Tests append these straight to the app's event store: the projections read them like any other events.
 */
export interface NoticeStory {
  readonly notificationId?: string;
  readonly templateId: string;
  readonly channel: 'SMS' | 'EMAIL';
  readonly customerId: string;
  readonly cardId: string | null;
  readonly requestedAt: number;
  /** Not before (the end of the quiet hours); default requestedAt. */
  readonly sendAt?: number;
  /** When each failed attempt failed, in order. */
  readonly failedAt?: readonly number[];
  /** When it went through (the attempt after the failed ones). */
  readonly sentAt?: number;
  /** Given up, after the failed attempts. */
  readonly abandoned?: { readonly reason: AbandonReason; readonly at: number };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The events of one notice, in stream order. */
export function noticeEvents(story: NoticeStory): { readonly notificationId: string; readonly events: NotificationEvent[] } {
  const notificationId = story.notificationId ?? randomUUID();
  const ref = { notificationId, templateId: story.templateId, channel: story.channel, customerId: story.customerId, cardId: story.cardId };
  const sendAt = story.sendAt ?? story.requestedAt;
  const failures = story.failedAt ?? [];
  const events: NotificationEvent[] = [
    {
      type: 'NotificationRequested',
      data: {
        ...ref,
        kind: 'TRANSACTIONAL',
        locale: 'zh-CN',
        timeZone: 'Asia/Shanghai',
        sourceEventId: randomUUID(),
        sourceEventType: 'CardActivated',
        occurredAt: iso(story.requestedAt),
        facts: { panLast4: '1111' },
        requestedAt: iso(story.requestedAt),
        sendAt: iso(sendAt),
      },
    },
  ];
  failures.forEach((at, i) => {
    const last = i === failures.length - 1 && story.abandoned !== undefined;
    events.push({
      type: 'NotificationFailed',
      data: { ...ref, attempt: i + 1, reason: 'TIMEOUT', error: 'the gateway did not answer in 10 s', nextAttemptAt: last ? null : iso(at + 60_000), failedAt: iso(at) },
    });
  });
  if (story.sentAt !== undefined) {
    events.push({ type: 'NotificationSent', data: { ...ref, providerMessageId: `msg-${notificationId}`, attempt: failures.length + 1, sentAt: iso(story.sentAt) } });
  }
  if (story.abandoned !== undefined) {
    events.push({ type: 'NotificationAbandoned', data: { ...ref, reason: story.abandoned.reason, attempts: failures.length, abandonedAt: iso(story.abandoned.at) } });
  }
  return { notificationId, events };
}

/** Appends each notice's events to its own stream through the app's event store; returns the last position. */
export async function appendNotices(t: TestApp, stories: readonly NoticeStory[]): Promise<string> {
  const store = t.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
  let position = '0';
  for (const story of stories) {
    const { notificationId, events } = noticeEvents(story);
    const toAppend: EventToAppend[] = events.map((event) => ({
      id: randomUUID(),
      type: event.type,
      data: event.data as unknown as JsonObject,
      metadata: { schemaVersion: 1, actor: { id: 'notification-reactor', role: 'system' }, occurredAt: new Date(story.requestedAt).toISOString() },
    }));
    const written = await store.appendToStream(`notification-${notificationId}`, toAppend, { expectedRevision: 'no_stream' });
    position = formatPosition(written.position);
  }
  return position;
}
