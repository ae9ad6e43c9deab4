/**
 * Spaces and middle dots are written or left out at will in names ("张 三", "阿依古丽·买买提"), and full-width
 * letters come from Chinese input methods, so none of them may decide whether two names are the same.
 *
 * The dots: U+00B7 middle dot (the one GB 18030 and resident ids use), U+0387 Greek ano teleia, U+2022 bullet,
 * U+2027 hyphenation point, U+2219 bullet operator, U+22C5 dot operator, U+2E31 word separator middle dot,
 * U+30FB katakana middle dot and U+FF65 its half-width form (which NFKC turns into U+30FB anyway). The spaces:
 * every \s (ASCII and ideographic spaces, no-break spaces, U+FEFF…) and the invisible U+200B zero-width space
 * and U+2060 word joiner. Full stops are not middle dots and are kept ("J. Smith" ≠ "JSmith").
 */
const IGNORED_IN_NAMES = /[\s\u00B7\u0387\u2022\u2027\u2219\u22C5\u2E31\u30FB\uFF65\u200B\u2060]/gu;

/**
 * Case folding: lower case, plus the two folds lower-casing alone misses — German ß is "ss" (a passport's
 * visual zone may print STRASSER for Straßer), and Greek final sigma is sigma (removing a space can move a
 * word's end). Letters without case (Han, Arabic…) are left as they are.
 */
function caseFold(text: string): string {
  return text.toLowerCase().replace(/ß/gu, 'ss').replace(/ς/gu, 'σ');
}

/**
 * The form in which two names are compared: NFKC (full-width letters become ASCII, compatibility forms their
 * plain ones), then spaces and middle dots removed, then case-folded.
 */
export function normalizeNameForMatching(name: string): string {
  return caseFold(name.normalize('NFKC').replace(IGNORED_IN_NAMES, ''));
}

/** Whether a presented name is the registered one. An empty name matches nothing. */
export function namesMatch(presented: string, registered: string): boolean {
  const a = normalizeNameForMatching(presented);
  return a.length > 0 && a === normalizeNameForMatching(registered);
}
