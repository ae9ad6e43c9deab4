/** Id numbers are compared without spaces and regardless of case (the final X of a resident id). */
export function normalizeIdNumberForMatching(idNumber: string): string {
  return idNumber.normalize('NFKC').replace(/\s/g, '').toUpperCase();
}

/** Whether two id numbers are the same. An empty id number matches nothing. */
export function idNumbersMatch(a: string, b: string): boolean {
  const left = normalizeIdNumberForMatching(a);
  return left.length > 0 && left === normalizeIdNumberForMatching(b);
}
