import { ignoresQuietHours, type NoticeKind } from './catalog';

/**
 * Quiet hours: notices that can wait are not sent between `start` and `end`, in the customer's own time zone.
 * Pure: the caller passes the current instant.
 */

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
export const DEFAULT_QUIET_HOURS_TEXT = '22:00-08:00';

export interface QuietHours {
  /** Minutes after local midnight. When start > end the period crosses midnight (22:00–08:00). */
  readonly start: number;
  readonly end: number;
}

export class QuietHoursConfigError extends Error {
  constructor(value: string) {
    super(`NOTIFY_QUIET_HOURS must be "HH:MM-HH:MM" with two different times (e.g. "22:00-08:00"), not "${value}"`);
    this.name = 'QuietHoursConfigError';
  }
}

/** Parses "22:00-08:00" (24-hour, local to the customer). Equal times are refused: it would mean never or always. */
export function parseQuietHours(value: string): QuietHours {
  const match = /^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(value);
  if (!match) throw new QuietHoursConfigError(value);
  const start = Number(match[1]) * 60 + Number(match[2]);
  const end = Number(match[3]) * 60 + Number(match[4]);
  if (start === end) throw new QuietHoursConfigError(value);
  return { start, end };
}

export const DEFAULT_QUIET_HOURS: QuietHours = parseQuietHours(DEFAULT_QUIET_HOURS_TEXT);

/** The quiet hours from the environment (NOTIFY_QUIET_HOURS), or the default 22:00–08:00. */
export function quietHoursFromEnv(env: Record<string, string | undefined>): QuietHours {
  const value = env.NOTIFY_QUIET_HOURS;
  return value === undefined || value.trim() === '' ? DEFAULT_QUIET_HOURS : parseQuietHours(value);
}

export function formatQuietHours(hours: QuietHours): string {
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hhmm(hours.start)}-${hhmm(hours.end)}`;
}

/**
 * Formatters with these options, one per time zone name, each made once: building an Intl.DateTimeFormat loads the
 * zone's rules from ICU and cost the notification reactor more than the rest of planning a notice (it was made two
 * or three times per notice). The function answers null for a name that is not a time zone. Names come from
 * customers' data, so each cache is emptied when it reaches MAX_CACHED_TIME_ZONES (there are some 600 IANA names).
 */
export function timeZoneFormatters(options: Omit<Intl.DateTimeFormatOptions, 'timeZone'>): (timeZone: string) => Intl.DateTimeFormat | null {
  const formatters = new Map<string, Intl.DateTimeFormat | null>();
  return (timeZone) => {
    let formatter = formatters.get(timeZone);
    if (formatter === undefined) {
      try {
        formatter = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
      } catch {
        formatter = null;
      }
      if (formatters.size >= MAX_CACHED_TIME_ZONES) formatters.clear();
      formatters.set(timeZone, formatter);
    }
    return formatter;
  };
}

const MAX_CACHED_TIME_ZONES = 1000;
const formatterFor = timeZoneFormatters({ hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });

export function isValidTimeZone(timeZone: string): boolean {
  return formatterFor(timeZone) !== null;
}

/** Minutes after local midnight of an instant in a time zone (a valid one: sendTimeFor checked it). */
function localMinutes(instant: Date, timeZone: string): number {
  let hour = NaN;
  let minute = NaN;
  for (const part of formatterFor(timeZone)!.formatToParts(instant)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return (hour % 24) * 60 + minute;
}

function isQuiet(minutes: number, hours: QuietHours): boolean {
  return hours.start < hours.end ? minutes >= hours.start && minutes < hours.end : minutes >= hours.start || minutes < hours.end;
}

export interface SendTime {
  /** `now`, or the first instant after the quiet period. */
  readonly sendAt: Date;
  readonly waits: boolean;
  /** The time zone used: the customer's, or the default when they have none or it is not a valid IANA name. */
  readonly timeZone: string;
}

export interface SendTimeOptions {
  /** The customer's IANA time zone; default Asia/Shanghai (also used when the name is not valid). */
  readonly timeZone?: string;
  readonly quietHours?: QuietHours;
}

/**
 * When a notice may be sent: now, unless it can wait (not SECURITY, not an urgent TRANSACTIONAL notice such as
 * the activation confirmation) and it is quiet hours where the customer is; then at the end of the quiet period
 * (local wall-clock time, so right across daylight-saving changes).
 */
export function sendTimeFor(notice: { readonly kind: NoticeKind; readonly urgent?: boolean }, now: Date, options: SendTimeOptions = {}): SendTime {
  const timeZone = options.timeZone !== undefined && isValidTimeZone(options.timeZone) ? options.timeZone : DEFAULT_TIME_ZONE;
  const hours = options.quietHours ?? DEFAULT_QUIET_HOURS;
  const minutes = localMinutes(now, timeZone);
  if (ignoresQuietHours(notice) || !isQuiet(minutes, hours)) return { sendAt: now, waits: false, timeZone };

  const startOfMinute = now.getTime() - (now.getTime() % 60_000);
  let candidate = startOfMinute + ((hours.end - minutes + 1440) % 1440) * 60_000;
  // An offset change (daylight saving) inside the wait moves the wall clock: correct towards the local end time.
  for (let i = 0; i < 3; i++) {
    let diff = hours.end - localMinutes(new Date(candidate), timeZone);
    if (diff > 720) diff -= 1440;
    if (diff < -720) diff += 1440;
    if (diff === 0) break;
    candidate += diff * 60_000;
  }
  return { sendAt: new Date(candidate), waits: true, timeZone };
}
