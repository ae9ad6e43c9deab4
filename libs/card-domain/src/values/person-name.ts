/**
 * Spaces and middle dots are written or left out at will in names ("张 三", "阿依古丽·买买提"), and full-width
 * letters come from Chinese input methods, so none of them may decide whether two names are the same.
 */
const IGNORED_IN_NAMES = /[\s\u00B7\u30FB\u2022\u2027\uFF65\u200B]/gu;

export function normalizeNameForMatching(name: string): string {
  return name.normalize('NFKC').replace(IGNORED_IN_NAMES, '').toLowerCase();
}

/** Whether a presented name is the registered one. An empty name matches nothing. */
export function namesMatch(presented: string, registered: string): boolean {
  const a = normalizeNameForMatching(presented);
  return a.length > 0 && a === normalizeNameForMatching(registered);
}
