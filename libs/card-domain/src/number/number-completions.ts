/**
 * The completions of a number's first digits that a search accepts: for a block (a number's first seven digits), which
 * last four digits make a match. A search then looks those few numbers up by id instead of reading the block in order
 * (docs/numbers.md, "Choosing"). The criteria are run as one automaton over the digits: the glob as a set of pattern
 * positions, excluded digits as a dead end, the birthday as how much of MMDD the digits read so far end with (from the
 * fourth digit on). Counts are memoised by (state, digits left), so that only completions that lead to a match are
 * ever enumerated, and a search that would have too many of them learns it from the count alone.
 */

interface DigitState {
  /** Bit i: the glob may be at token i. 0: the glob can no longer match. */
  readonly glob: number;
  /** How many leading digits of the birthday the digits read so far end with (4: found). */
  readonly birthday: number;
  /** Digits read so far. */
  readonly read: number;
}

export interface CompletionCriteria {
  /** A glob of digits, `*` and `?` (no shape names): null for any digits. */
  readonly glob: string | null;
  readonly exclude: string;
  /** MMDD, found from the fourth digit on; null when not asked. */
  readonly birthday: string | null;
  /** Digits of a whole number. */
  readonly length: number;
}

/** Where the birthday search starts: it is found within the last eight of eleven digits. */
const BIRTHDAY_FROM = 3;

export class NumberCompletions {
  private readonly tokens: readonly string[];
  private readonly banned: ReadonlySet<string>;
  private readonly counts = new Map<string, number>();

  constructor(private readonly criteria: CompletionCriteria) {
    // Runs of '*' are one '*'.
    this.tokens = [...(criteria.glob ?? '*').replace(/\*+/g, '*')];
    this.banned = new Set(criteria.exclude);
  }

  /**
   * The digits that complete `prefix` into a match, in ascending order; null when they are more than `max` (or the
   * prefix is not shorter than a number). Exactly the completions c for which the search's `matches(prefix + c)` holds.
   */
  completionsOf(prefix: string, max: number): string[] | null {
    const left = this.criteria.length - prefix.length;
    if (left <= 0) return null;
    let state: DigitState | null = this.start();
    for (const digit of prefix) {
      state = this.step(state, digit);
      if (state === null) return [];
    }
    if (this.count(state, left) > max) return null;
    const out: string[] = [];
    this.enumerate(state, left, '', out);
    return out;
  }

  /** How many completions of `prefix` match (0 when none): cheap, from the memoised counts. */
  countOf(prefix: string): number {
    const left = this.criteria.length - prefix.length;
    if (left <= 0) return 0;
    let state: DigitState | null = this.start();
    for (const digit of prefix) {
      state = this.step(state, digit);
      if (state === null) return 0;
    }
    return this.count(state, left);
  }

  private start(): DigitState {
    return { glob: this.closure(1), birthday: 0, read: 0 };
  }

  /** Adds the positions after each '*' a set may skip to. */
  private closure(set: number): number {
    let out = set;
    for (let i = 0; i < this.tokens.length; i++) if (out & (1 << i) && this.tokens[i] === '*') out |= 1 << (i + 1);
    return out;
  }

  private step(state: DigitState, digit: string): DigitState | null {
    if (this.banned.has(digit)) return null;
    let glob = 0;
    for (let i = 0; i < this.tokens.length; i++) {
      if (!(state.glob & (1 << i))) continue;
      const token = this.tokens[i];
      if (token === '*') glob |= 1 << i;
      else if (token === '?' || token === digit) glob |= 1 << (i + 1);
    }
    glob = this.closure(glob);
    if (glob === 0) return null;
    return { glob, birthday: this.birthdayAfter(state, digit), read: state.read + 1 };
  }

  /** The birthday's progress after one more digit: the longest start of MMDD the digits read from the fourth on end with. */
  private birthdayAfter(state: DigitState, digit: string): number {
    const mmdd = this.criteria.birthday;
    if (mmdd === null) return 0;
    if (state.birthday === mmdd.length) return mmdd.length;
    // `digit` is at index state.read: before BIRTHDAY_FROM it cannot be part of the birthday.
    if (state.read < BIRTHDAY_FROM) return 0;
    // Any start of MMDD the text ends with now is one it ended with before, plus this digit (as in KMP).
    const text = mmdd.slice(0, state.birthday) + digit;
    for (let k = Math.min(mmdd.length, text.length); k > 0; k--) if (text.endsWith(mmdd.slice(0, k))) return k;
    return 0;
  }

  private accepts(state: DigitState): boolean {
    const globDone = (state.glob & (1 << this.tokens.length)) !== 0;
    const birthdayDone = this.criteria.birthday === null || state.birthday === this.criteria.birthday.length;
    return globDone && birthdayDone;
  }

  private count(state: DigitState, left: number): number {
    if (left === 0) return this.accepts(state) ? 1 : 0;
    const key = `${state.glob}|${state.birthday}|${state.read}|${left}`;
    const known = this.counts.get(key);
    if (known !== undefined) return known;
    let total = 0;
    for (let d = 0; d <= 9; d++) {
      const next = this.step(state, String(d));
      if (next !== null) total += this.count(next, left - 1);
    }
    this.counts.set(key, total);
    return total;
  }

  private enumerate(state: DigitState, left: number, digits: string, out: string[]): void {
    if (left === 0) {
      if (this.accepts(state)) out.push(digits);
      return;
    }
    for (let d = 0; d <= 9; d++) {
      const next = this.step(state, String(d));
      if (next !== null && this.count(next, left - 1) > 0) this.enumerate(next, left - 1, digits + String(d), out);
    }
  }
}
