/**
 * What the service tells a customer, and when: one row per template. The template texts themselves are files
 * under libs/notifications/templates/<templateId>/ (see docs/notifications.md); this table says which events
 * send them, on which channels, and how urgent they are.
 */

export const NOTICE_CHANNELS = ['SMS', 'EMAIL'] as const;
export type NoticeChannel = (typeof NOTICE_CHANNELS)[number];

export const NOTICE_LOCALES = ['zh-CN', 'en'] as const;
export type NoticeLocale = (typeof NOTICE_LOCALES)[number];

/**
 * SECURITY: sent at once, day or night. TRANSACTIONAL: about the customer's own card; waits for the end of the
 * quiet hours unless the row says `urgent`. MARKETING: anything the customer did not cause; always waits.
 */
export const NOTICE_KINDS = ['SECURITY', 'TRANSACTIONAL', 'MARKETING'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface NotificationTemplateEntry {
  readonly templateId: string;
  readonly kind: NoticeKind;
  /** Never waits for the quiet hours although it is not a SECURITY notice (the activation confirmation). */
  readonly urgent: boolean;
  /** Event types that send it (one template may answer several, or one event of a certain shape). */
  readonly eventTypes: readonly string[];
  /** Only when the event has this shape, in words (for the list endpoint and the docs). */
  readonly when?: string;
  readonly channels: readonly NoticeChannel[];
  readonly locales: readonly NoticeLocale[];
  readonly description: string;
}

const BOTH_CHANNELS: readonly NoticeChannel[] = ['SMS', 'EMAIL'];

function entry(
  templateId: string,
  kind: NoticeKind,
  eventTypes: readonly string[],
  description: string,
  options: { urgent?: boolean; when?: string } = {},
): NotificationTemplateEntry {
  return {
    templateId,
    kind,
    urgent: options.urgent ?? false,
    eventTypes,
    ...(options.when !== undefined && { when: options.when }),
    channels: BOTH_CHANNELS,
    locales: NOTICE_LOCALES,
    description,
  };
}

export const NOTIFICATION_CATALOG: readonly NotificationTemplateEntry[] = [
  entry('activation-confirmation', 'TRANSACTIONAL', ['CardActivated'], 'The card is active: confirmation, a short usage guide and the precautions', { urgent: true }),
  entry('identity-verification-failed', 'TRANSACTIONAL', ['IdentityVerificationFailed'], 'Identity verification failed: what to do next'),
  entry('identity-review-requested', 'TRANSACTIONAL', ['IdentityReviewRequested'], 'Identity verification goes to a person for review: what happens next'),
  entry('dispute-opened', 'TRANSACTIONAL', ['CardDisputed'], 'A dispute was opened on the card'),
  entry('dispute-resolved', 'TRANSACTIONAL', ['DisputeResolved'], 'A dispute was resolved, with its outcome'),
  entry('card-suspended', 'TRANSACTIONAL', ['CardSuspended'], 'The card is suspended'),
  entry('card-cancelled', 'TRANSACTIONAL', ['CardCancelled'], 'The card is cancelled'),
  entry('security-alert-wrong-cvv', 'SECURITY', ['ActivationAttemptFailed'], 'Security alert: someone tried to activate the card with a wrong CVV2', {
    when: 'data.reason is CVV_MISMATCH',
  }),
  entry('case-received', 'TRANSACTIONAL', ['CaseOpened'], 'A customer service case was opened for the customer: its number, and that it is being handled', {
    when: 'the case has a customer',
  }),
  entry('case-waiting-customer', 'TRANSACTIONAL', ['CaseStatusChanged'], 'A customer service case needs the customer\'s input', {
    when: 'data.to is WAITING_CUSTOMER and the case has a customer',
  }),
  entry('case-resolved', 'TRANSACTIONAL', ['CaseResolved'], 'A customer service case was resolved (the e-mail asks for a satisfaction score)', {
    when: 'the case has a customer',
  }),
];

export function catalogEntry(templateId: string): NotificationTemplateEntry | undefined {
  return NOTIFICATION_CATALOG.find((e) => e.templateId === templateId);
}

/** Whether a notice of this kind may go out during the quiet hours. */
export function ignoresQuietHours(notice: { readonly kind: NoticeKind; readonly urgent?: boolean }): boolean {
  return notice.kind === 'SECURITY' || (notice.kind === 'TRANSACTIONAL' && notice.urgent === true);
}
