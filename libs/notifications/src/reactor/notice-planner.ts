import { deterministicUuid } from '@cards/application';
import type { NotificationChannel, NotificationFacts, NotificationRequested } from '@cards/domain';
import type { RecordedEvent } from '@cards/event-store';
import { eventTime } from '@cards/read-store';
import { NOTIFICATION_CATALOG, type NotificationTemplateEntry, type NoticeLocale } from '../catalog';
import { sendTimeFor, type QuietHours } from '../quiet-hours';

/** Only events of this shape send the template (the catalog's `when`, in code). */
const CONDITIONS: Readonly<Record<string, (event: RecordedEvent) => boolean>> = {
  'security-alert-wrong-cvv': (event) => event.data.reason === 'CVV_MISMATCH',
  // A case tells its customer; a case on no customer tells nobody.
  'case-received': (event) => isCaseEvent(event) && typeof event.data.customerId === 'string',
  'case-waiting-customer': (event) => isCaseEvent(event) && event.data.to === 'WAITING_CUSTOMER' && typeof event.data.customerId === 'string',
  'case-resolved': (event) => isCaseEvent(event) && typeof event.data.customerId === 'string',
};

function isCaseEvent(event: Pick<RecordedEvent, 'streamId'>): boolean {
  return typeof event.streamId === 'string' && event.streamId.startsWith('case-');
}

/** The catalog rows an event sends. */
export function templatesFor(event: Pick<RecordedEvent, 'type' | 'data'>): NotificationTemplateEntry[] {
  return NOTIFICATION_CATALOG.filter(
    (entry) => entry.eventTypes.includes(event.type) && (CONDITIONS[entry.templateId]?.(event as RecordedEvent) ?? true),
  );
}

/** What the card's stream says that a notice needs. */
export interface CardFacts {
  readonly cardId: string;
  readonly customerId: string;
  readonly product: string;
  readonly panLast4: string;
  /** Each dispute's reason code, by dispute id (a resolution names its dispute, not the reason). */
  readonly disputeReasons: Readonly<Record<string, string>>;
}

/** What a customer service case's stream says that a notice needs (its CaseOpened: ids and the number, no text). */
export interface CaseFacts {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly customerId: string;
  /** The card the case is on, if any: the notice shows on that card too. */
  readonly cardId: string | null;
}

/** What the customer's record says that a notice needs (nothing personal). */
export interface CustomerPreferences {
  readonly customerId: string;
  readonly preferredChannels: readonly NotificationChannel[];
  readonly locale: string;
  readonly timeZone?: string;
}

export interface PlanInput {
  readonly event: RecordedEvent;
  /** The card a card event is about; for a case event, the case instead (`caseFacts`). */
  readonly card?: CardFacts;
  readonly caseFacts?: CaseFacts;
  readonly customer: CustomerPreferences;
  readonly quietHours: QuietHours;
  readonly now: Date;
}

/** The notice's id: the same event, template and channel always give the same id (and so one stream, one send). */
export function notificationIdFor(sourceEventId: string, templateId: string, channel: NotificationChannel): string {
  return deterministicUuid('notification', sourceEventId, templateId, channel);
}

function localeOf(locale: string): NoticeLocale {
  return locale === 'en' ? 'en' : 'zh-CN';
}

/** The facts of one event that its template shows (codes and the last 4 digits; never free text). */
function factsOf(event: RecordedEvent, card: CardFacts): NotificationFacts {
  const facts: { -readonly [K in keyof NotificationFacts]: NotificationFacts[K] } = { panLast4: card.panLast4, product: card.product };
  const data = event.data;
  if (event.type === 'CardDisputed' && typeof data.reason === 'string') facts.reasonCode = data.reason;
  if (event.type === 'DisputeResolved') {
    if (typeof data.outcome === 'string') facts.outcomeCode = data.outcome;
    const reason = typeof data.disputeId === 'string' ? card.disputeReasons[data.disputeId] : undefined;
    if (reason !== undefined) facts.reasonCode = reason;
  }
  if (event.type === 'ActivationAttemptFailed' && typeof data.attemptsLeft === 'number') facts.attemptsLeft = data.attemptsLeft;
  return facts;
}

/**
 * The notices one event causes: for each catalog row it matches, one per channel the row offers that the customer
 * prefers, each not before the end of the quiet hours where the customer is (unless it never waits).
 */
export function planNotices(input: PlanInput): NotificationRequested['data'][] {
  const { event, card, caseFacts, customer, quietHours, now } = input;
  if (card === undefined && caseFacts === undefined) return [];
  const occurredAt = eventTime(event);
  const cardId = card?.cardId ?? caseFacts?.cardId ?? null;
  const facts: NotificationFacts = card !== undefined ? factsOf(event, card) : { caseNumber: caseFacts!.caseNumber, caseId: caseFacts!.caseId };
  return templatesFor(event).flatMap((entry) => {
    const send = sendTimeFor(entry, now, { quietHours, ...(customer.timeZone !== undefined && { timeZone: customer.timeZone }) });
    return entry.channels
      .filter((channel) => customer.preferredChannels.includes(channel))
      .map((channel) => ({
        notificationId: notificationIdFor(event.id, entry.templateId, channel),
        templateId: entry.templateId,
        channel,
        customerId: customer.customerId,
        cardId,
        kind: entry.kind,
        locale: localeOf(customer.locale),
        timeZone: send.timeZone,
        sourceEventId: event.id,
        sourceEventType: event.type,
        occurredAt,
        facts,
        requestedAt: now.toISOString(),
        sendAt: send.sendAt.toISOString(),
      }));
  });
}
