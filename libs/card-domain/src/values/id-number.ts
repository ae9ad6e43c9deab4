/**
 * How id numbers are compared. Both kinds are read after NFKC (full-width digits and letters from Chinese input
 * methods become ASCII) and without spaces; then
 * - a CN resident id is compared exactly, except that its final character may be x or X (GB 11643-1999 writes
 *   the check character 10 as X; people type it in either case). A lower-case letter anywhere else stays
 *   lower-case and so matches nothing: no resident id has one.
 * - a passport number is compared upper-cased throughout: ICAO 9303 documents carry only upper-case letters and
 *   digits (and registration stores the number upper-cased), so a lower-case letter is a matter of typing.
 * Without an id type, a number of the resident id's shape (17 digits and a digit or x/X) is read as one and any
 * other as a passport number, which is the same answer whenever the registered number was valid for its type.
 */
const RESIDENT_ID_SHAPE = /^\d{17}[\dXx]$/;

export function normalizeIdNumberForMatching(idNumber: string, idType?: string): string {
  const compact = idNumber.normalize('NFKC').replace(/\s/g, '');
  const asResidentId = idType === 'CN_RESIDENT_ID' || (idType !== 'PASSPORT' && RESIDENT_ID_SHAPE.test(compact));
  if (asResidentId) return compact.replace(/x$/, 'X');
  return compact.toUpperCase();
}

/**
 * Whether two id numbers are the same, by the rules above ('CN_RESIDENT_ID' or 'PASSPORT'; another type or none:
 * by the number's shape). An empty id number matches nothing.
 */
export function idNumbersMatch(a: string, b: string, idType?: string): boolean {
  const left = normalizeIdNumberForMatching(a, idType);
  return left.length > 0 && left === normalizeIdNumberForMatching(b, idType);
}
