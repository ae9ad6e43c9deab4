import type { FieldViolation } from '../shared/domain-error';
import { isCalendarDate } from '../shared/time';
import { NumberCompletions } from './number-completions';
import { hasTailShape, type TailShape } from './number-shapes';

/** Shapes a search may ask for by name, matched on the last four digits. ASCENDING is ABCD. */
export const SEARCH_SHAPES = ['AAAA', 'AABB', 'ABAB', 'ABCD', 'ASCENDING'] as const;

/** A special-number request: what the number must look like (docs/numbers.md, "Choosing"). */
export interface NumberSearchCriteria {
  /** A glob of digits, `*` and `?`, or a shape name. */
  readonly pattern?: string;
  /** Digits the number must not contain. */
  readonly exclude?: string;
  /** MMDD, found within the last eight digits. */
  readonly birthday?: string;
}

export interface CompiledNumberSearch {
  matches(msisdn: string): boolean;
  /** Digits every match starts with (narrows the scan by the number's index); '' when none. */
  readonly literalHead: string;
  /** The shape every match's tail has (narrows the scan by the shape's index); null when none is asked for. */
  readonly shape: SearchShape | null;
  /**
   * The last digits that complete a number's first ones into a match, exactly as `matches` decides; null for a
   * shape (its index narrows better).
   */
  readonly completions: NumberCompletions | null;
}

/** The shapes of SEARCH_SHAPES as a number's tail has them: at most one of these fits any number. */
export type SearchShape = 'AAAA' | 'AABB' | 'ABAB' | 'ABCD';

/**
 * The searchable shape of a number's last four digits, or null: what the numbers read model records so that a
 * shape search reads only the numbers of that shape. The four exclude each other (AAAA has no two different
 * digits, AABB and ABAB need them, ABCD has four).
 */
export function searchShapeOf(msisdn: string): SearchShape | null {
  // Runs for every imported number: the four digits read once, the same tests as hasTailShape.
  const n = msisdn.length;
  const [a, b, c, d] = [msisdn.charCodeAt(n - 4), msisdn.charCodeAt(n - 3), msisdn.charCodeAt(n - 2), msisdn.charCodeAt(n - 1)];
  if (a === b && b === c && c === d) return 'AAAA';
  if (a === b && c === d) return 'AABB';
  if (a === c && b === d) return 'ABAB';
  if (b === a + 1 && c === b + 1 && d === c + 1) return 'ABCD';
  return null;
}

const GLOB = /^[0-9*?]{1,22}$/;
/** Digits of a mainland mobile number. */
const MSISDN_LENGTH = 11;

/** Turns the criteria into a matcher, or names what is wrong with them. */
export function compileNumberSearch(criteria: NumberSearchCriteria): { ok: true; search: CompiledNumberSearch } | { ok: false; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const checks: ((msisdn: string) => boolean)[] = [];
  let literalHead = '';
  let shapeAsked: SearchShape | null = null;

  const pattern = criteria.pattern?.trim();
  if (pattern !== undefined && pattern !== '') {
    const shape = pattern.toUpperCase();
    if ((SEARCH_SHAPES as readonly string[]).includes(shape)) {
      const tailShape: TailShape = shape === 'ASCENDING' ? 'ABCD' : (shape as TailShape);
      checks.push((m) => hasTailShape(m, tailShape));
      shapeAsked = tailShape as SearchShape;
    } else if (!GLOB.test(pattern) || !/\d/.test(pattern)) {
      violations.push({
        field: 'pattern',
        reason: `must be digits with * (any digits) and ? (one digit), e.g. *8888 or 138*1234*, or a shape: ${SEARCH_SHAPES.join(', ')}`,
      });
    } else if (pattern.replace(/\*/g, '').length > 11) {
      violations.push({ field: 'pattern', reason: 'asks for more than the 11 digits a number has' });
    } else {
      const regex = new RegExp(`^${pattern.replace(/\*+/g, '\\d*').replace(/\?/g, '\\d')}$`);
      checks.push((m) => regex.test(m));
      literalHead = /^\d*/.exec(pattern)![0];
    }
  }

  const exclude = criteria.exclude?.trim();
  if (exclude !== undefined && exclude !== '') {
    if (!/^\d{1,10}$/.test(exclude)) violations.push({ field: 'exclude', reason: 'must be the digits to leave out, e.g. 4 or 47' });
    else checks.push((m) => ![...exclude].some((d) => m.includes(d)));
  }

  const birthday = criteria.birthday?.trim();
  if (birthday !== undefined && birthday !== '') {
    const match = /^(\d{2})(\d{2})$/.exec(birthday);
    // 2000 is a leap year: 0229 is a birthday too.
    if (!match || !isCalendarDate(2000, Number(match[1]), Number(match[2]))) {
      violations.push({ field: 'birthday', reason: 'must be a day of the year as MMDD, e.g. 0815' });
    } else checks.push((m) => m.slice(3).includes(birthday));
  }

  if (violations.length > 0) return { ok: false, violations };
  const completions =
    shapeAsked === null
      ? new NumberCompletions({ glob: pattern ? pattern : null, exclude: exclude ?? '', birthday: birthday ? birthday : null, length: MSISDN_LENGTH })
      : null;
  return { ok: true, search: { matches: (m) => checks.every((check) => check(m)), literalHead, shape: shapeAsked, completions } };
}
