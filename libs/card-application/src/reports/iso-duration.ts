import { ReportParameterError } from './report-parameter-error';

const NUMBER = '(\\d+(?:[.,]\\d+)?)';
const WEEKS = new RegExp(`^P${NUMBER}W$`);
const DAYS_TIME = new RegExp(`^P(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`);
const EXAMPLES = 'such as P2D, PT36H, P1DT12H, PT90M or P1W';

/**
 * Reads an ISO-8601 duration into seconds: weeks alone (`P1W`), or days and a time part (`P2D`, `PT36H`,
 * `P1DT12H`, `PT90M`, `PT45S`). A decimal fraction (`PT1.5H`) is allowed on the last component. Years and months
 * are refused: they have no fixed length. `field` names the parameter in the ReportParameterError.
 */
export function parseIsoDuration(text: unknown, field: string): number {
  const fail = (reason: string): never => {
    throw new ReportParameterError(field, reason);
  };
  if (typeof text !== 'string' || text.trim() === '') return fail(`is empty; expected an ISO-8601 duration ${EXAMPLES}`);
  const value = text.trim().toUpperCase();
  if (!value.startsWith('P')) return fail(`"${text}" is not an ISO-8601 duration; expected one ${EXAMPLES}`);
  const timeAt = value.indexOf('T');
  const datePart = timeAt === -1 ? value : value.slice(0, timeAt);
  if (/[YM]/.test(datePart)) {
    return fail(`"${text}" uses years or months, which have no fixed length; give days or weeks instead (e.g. P30D rather than P1M)`);
  }

  let components: (string | undefined)[];
  let unitSeconds: number[];
  const weeks = WEEKS.exec(value);
  if (weeks !== null) {
    components = [weeks[1]];
    unitSeconds = [604_800];
  } else {
    if (value.includes('W')) return fail(`"${text}" combines weeks with other units; give days instead (e.g. P9D rather than P1W2D)`);
    const match = DAYS_TIME.exec(value);
    if (match === null) return fail(`"${text}" is not an ISO-8601 duration; expected one ${EXAMPLES}`);
    components = [match[1], match[2], match[3], match[4]];
    unitSeconds = [86_400, 3_600, 60, 1];
    if (timeAt !== -1 && components.slice(1).every((c) => c === undefined)) {
      return fail(`"${text}" has a T but no hours, minutes or seconds after it; e.g. PT36H`);
    }
  }
  const present = components.map((c, i) => ({ c, i })).filter((x): x is { c: string; i: number } => x.c !== undefined);
  if (present.length === 0) return fail(`"${text}" has no amount; expected a duration ${EXAMPLES}`);
  let seconds = 0;
  present.forEach(({ c, i }, position) => {
    const fractional = /[.,]/.test(c);
    if (fractional && position !== present.length - 1) {
      fail(`"${text}" has a fraction before its last component; only the last may have one (e.g. P1DT1.5H)`);
    }
    seconds += Number(c.replace(',', '.')) * (unitSeconds[i] as number);
  });
  if (!Number.isFinite(seconds) || seconds > Number.MAX_SAFE_INTEGER) return fail(`"${text}" is too long a duration`);
  return seconds;
}

/**
 * Milliseconds as an ISO-8601 duration in the units parseIsoDuration reads back: days, then a time part (`P1DT2H`,
 * `PT3M4.5S`, `PT0.012S`, `PT0S`). Seconds keep their milliseconds (trailing zeros dropped); no weeks, months or
 * years. Negative or non-finite durations are a programming error.
 */
export function formatIsoDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatIsoDuration needs a finite, non-negative number of milliseconds, got ${ms}`);
  const total = Math.round(ms);
  const days = Math.floor(total / 86_400_000);
  const hours = Math.floor((total % 86_400_000) / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = millis % 1000 === 0 ? String(millis / 1000) : (millis / 1000).toFixed(3).replace(/0+$/, '');
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${millis > 0 ? `${seconds}S` : ''}`;
  if (days === 0) return `PT${time || '0S'}`;
  return `P${days}D${time ? `T${time}` : ''}`;
}
