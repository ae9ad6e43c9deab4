import { maskName } from '@cards/security';
import type { NoticeLocale } from './catalog';
import { DEFAULT_TIME_ZONE, isValidTimeZone, timeZoneFormatters } from './quiet-hours';

/**
 * The fixed set of placeholders a template may use. A template using any other name is refused at start-up.
 * Every value is safe to show: the name is masked, the card number is reduced to its last 4 digits, reasons
 * and outcomes are labels chosen from codes (never free text somebody typed).
 */
export const TEMPLATE_VARIABLES = {
  customerName: 'The customer\'s name, masked: 张* / Z*** S**',
  cardLast4: 'The last 4 digits of the card number: 1234',
  maskedCardNumber: 'The card number with all but the last 4 digits hidden: **** **** **** 1234',
  product: 'The card product in the notice\'s language: 借记卡 / debit card',
  occurredAt: 'When it happened, in the customer\'s time zone: 2026年11月23日 17:05 / 23 Nov 2026 17:05',
  hotline: 'The service hotline to call (to report a lost card, ask a question): 400-800-1234',
  reason: 'The dispute reason, as a label in the notice\'s language: 未认出这次激活 / unrecognised activation',
  outcome: 'The outcome of a dispute in the notice\'s language: 成立 / upheld',
  attemptsLeft: 'Activation attempts left before the card is suspended: 2',
  caseNumber: 'The number of the customer service case the notice is about: CS-1A2B3C4D',
  surveyLink: 'The link to the satisfaction survey of a resolved case (signed, expiring; e-mail only): https://bank.example/survey?token=…',
} as const;

export type TemplateVariable = keyof typeof TEMPLATE_VARIABLES;
export type TemplateValues = Partial<Record<TemplateVariable, string>>;

export function isTemplateVariable(name: string): name is TemplateVariable {
  return Object.prototype.hasOwnProperty.call(TEMPLATE_VARIABLES, name);
}

const PRODUCT_LABELS: Record<string, Record<NoticeLocale, string>> = {
  DEBIT: { 'zh-CN': '借记卡', en: 'debit card' },
  CREDIT: { 'zh-CN': '信用卡', en: 'credit card' },
  LOYALTY: { 'zh-CN': '会员卡', en: 'loyalty card' },
  SIM: { 'zh-CN': 'SIM卡', en: 'SIM card' },
};
const DEFAULT_PRODUCT: Record<NoticeLocale, string> = { 'zh-CN': '卡', en: 'card' };

const REASON_LABELS: Record<string, Record<NoticeLocale, string>> = {
  UNRECOGNIZED_ACTIVATION: { 'zh-CN': '未认出这次激活', en: 'unrecognised activation' },
  NOT_RECEIVED: { 'zh-CN': '未收到卡片', en: 'card not received' },
  WRONG_CUSTOMER: { 'zh-CN': '持卡人不符', en: 'wrong cardholder' },
  FRAUD: { 'zh-CN': '疑似欺诈', en: 'suspected fraud' },
  OTHER: { 'zh-CN': '其他', en: 'other' },
};
const DEFAULT_REASON: Record<NoticeLocale, string> = { 'zh-CN': '其他', en: 'other' };

const OUTCOME_LABELS: Record<string, Record<NoticeLocale, string>> = {
  UPHELD: { 'zh-CN': '成立', en: 'upheld' },
  REJECTED: { 'zh-CN': '不成立', en: 'not upheld' },
};

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Built from numeric parts (formatInstant); one formatter per time zone, made once (quiet-hours.ts). */
const instantFormatterFor = timeZoneFormatters({ hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/**
 * An instant as the customer reads it, in their time zone: '2026年11月23日 17:05' or '23 Nov 2026 17:05'. Built from
 * numeric parts rather than a locale's full format, so that it is the same on every ICU version and stays within
 * the GSM alphabet in English (some ICU versions put a narrow no-break space in times).
 */
export function formatInstant(instant: Date, locale: NoticeLocale, timeZone: string = DEFAULT_TIME_ZONE): string {
  const zone = isValidTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
  const parts = instantFormatterFor(zone)!.formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const [year, month, day, hour, minute] = [part('year'), part('month'), part('day'), part('hour') % 24, part('minute')];
  const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  return locale === 'zh-CN' ? `${year}年${month}月${day}日 ${time}` : `${day} ${EN_MONTHS[month - 1]} ${year} ${time}`;
}

/** What a notice is about, as the event and the customer's record give it (unmasked, as codes). */
export interface NoticeFacts {
  readonly customerName?: string;
  readonly panLast4?: string;
  readonly product?: string;
  readonly occurredAt?: string | Date;
  readonly timeZone?: string;
  readonly hotline?: string;
  /** A dispute reason code; unknown codes read as "other". */
  readonly reasonCode?: string;
  readonly outcomeCode?: string;
  readonly attemptsLeft?: number;
  /** A customer service case's number, e.g. CS-1A2B3C4D. */
  readonly caseNumber?: string;
  /** The survey link of a resolved case, made when the notice is sent. */
  readonly surveyLink?: string;
}

/** The template values for some facts in one language: masked, labelled and formatted. */
export function templateValues(facts: NoticeFacts, locale: NoticeLocale): TemplateValues {
  const values: TemplateValues = {};
  if (facts.customerName !== undefined) values.customerName = maskName(facts.customerName);
  if (facts.panLast4 !== undefined) {
    const last4 = /^\d{4}$/.test(facts.panLast4) ? facts.panLast4 : '****';
    values.cardLast4 = last4;
    values.maskedCardNumber = `**** **** **** ${last4}`;
  }
  if (facts.product !== undefined) values.product = PRODUCT_LABELS[facts.product]?.[locale] ?? DEFAULT_PRODUCT[locale];
  if (facts.occurredAt !== undefined) values.occurredAt = formatInstant(new Date(facts.occurredAt), locale, facts.timeZone);
  if (facts.hotline !== undefined) values.hotline = facts.hotline;
  if (facts.reasonCode !== undefined) values.reason = REASON_LABELS[facts.reasonCode]?.[locale] ?? DEFAULT_REASON[locale];
  if (facts.outcomeCode !== undefined) values.outcome = OUTCOME_LABELS[facts.outcomeCode]?.[locale] ?? DEFAULT_REASON[locale];
  if (facts.attemptsLeft !== undefined) values.attemptsLeft = String(facts.attemptsLeft);
  if (facts.surveyLink !== undefined) values.surveyLink = facts.surveyLink;
  if (facts.caseNumber !== undefined) values.caseNumber = /^CS-[0-9A-F]{8}$/.test(facts.caseNumber) ? facts.caseNumber : 'CS-????????';
  return values;
}

/** The hotline the samples use; the preview and the notices use NOTIFY_HOTLINE (the same by default). */
export const SAMPLE_HOTLINE = '400-800-1234';

/** Realistic facts for previews and tests: a fictitious customer, every value masked once rendered. */
export const SAMPLE_FACTS: NoticeFacts = {
  customerName: '欧阳娜娜',
  panLast4: '1234',
  product: 'DEBIT',
  occurredAt: '2026-11-23T09:05:00.000Z',
  timeZone: DEFAULT_TIME_ZONE,
  hotline: SAMPLE_HOTLINE,
  reasonCode: 'UNRECOGNIZED_ACTIVATION',
  outcomeCode: 'UPHELD',
  attemptsLeft: 2,
  caseNumber: 'CS-0B8C7A1E',
  surveyLink: 'https://bank.example/survey?token=S14fKpuzjU6fWmt8jZ4PGmlXz0A.q3Z0dFpUn8wYk2xVhJ5mRb',
};
