import { idNumbersMatch, normalizeIdNumberForMatching } from './id-number';

describe('normalizeIdNumberForMatching', () => {
  it.each([
    ['a resident id with a lower-case final x', '11010519491231002x', 'CN_RESIDENT_ID', '11010519491231002X'],
    ['a resident id with spaces', ' 110105 19491231 002X', 'CN_RESIDENT_ID', '11010519491231002X'],
    ['a resident id in full-width digits', '１１０１０５１９４９１２３１００２ｘ', 'CN_RESIDENT_ID', '11010519491231002X'],
    ['a resident id with a lower-case letter before the end (kept as it is)', '1101051949123100x2', 'CN_RESIDENT_ID', '1101051949123100x2'],
    ['a passport number in lower case', 'e 1234 5678', 'PASSPORT', 'E12345678'],
    ['a passport number in full-width letters', 'Ｅ１２３４５６７８', 'PASSPORT', 'E12345678'],
    ['a passport number of resident id shape', '11010519491231002x', 'PASSPORT', '11010519491231002X'],
  ])('given %s, when normalised as its type, then it is the compared form', (_case, idNumber, idType, normalised) => {
    expect(normalizeIdNumberForMatching(idNumber, idType)).toBe(normalised);
  });

  it.each([
    ['a resident id', '11010519491231002x', '11010519491231002X'],
    ['a passport number', 'e12345678', 'E12345678'],
    ['something else', 'ab-12 c', 'AB-12C'],
  ])('given %s without a type, when normalised, then its shape decides', (_case, idNumber, normalised) => {
    expect(normalizeIdNumberForMatching(idNumber)).toBe(normalised);
  });
});

describe('idNumbersMatch', () => {
  describe('given CN resident ids', () => {
    it.each([undefined, 'CN_RESIDENT_ID'])('when only the case of the final X differs (type %p), then they match', (idType) => {
      expect(idNumbersMatch('11010519491231002x', '11010519491231002X', idType)).toBe(true);
      expect(idNumbersMatch('11010519491231002X', '11010519491231002x', idType)).toBe(true);
    });

    it('when spaces or full-width digits differ, then they match', () => {
      expect(idNumbersMatch('110105 19491231 002X', '11010519491231002X', 'CN_RESIDENT_ID')).toBe(true);
      expect(idNumbersMatch('１１０１０５１９４９１２３１００２Ｘ', '11010519491231002X', 'CN_RESIDENT_ID')).toBe(true);
    });

    it('when a lower-case x is not the final character, then it is not taken for X', () => {
      expect(idNumbersMatch('1101051949123100x2', '1101051949123100X2', 'CN_RESIDENT_ID')).toBe(false);
    });

    it.each([
      ['another check character', '110105194912310021'],
      ['one digit more', '11010519491231002X1'],
      ['one digit fewer', '1101051949123100X'],
      ['nothing', ''],
    ])('when one has %s, then they do not match', (_case, presented) => {
      expect(idNumbersMatch(presented, '11010519491231002X', 'CN_RESIDENT_ID')).toBe(false);
      expect(idNumbersMatch(presented, '11010519491231002X')).toBe(false);
    });
  });

  describe('given passport numbers', () => {
    it.each([undefined, 'PASSPORT'])('when only the case of letters differs (type %p), then they match', (idType) => {
      expect(idNumbersMatch('e12345678', 'E12345678', idType)).toBe(true);
      expect(idNumbersMatch('l898902c3', 'L898902C3', idType)).toBe(true);
    });

    it('when a letter differs, then they do not match', () => {
      expect(idNumbersMatch('G12345678', 'E12345678', 'PASSPORT')).toBe(false);
      expect(idNumbersMatch('E1234567', 'E12345678', 'PASSPORT')).toBe(false);
    });
  });

  it('given two empty numbers, when compared, then they do not match', () => {
    expect(idNumbersMatch('', '')).toBe(false);
    expect(idNumbersMatch(' ', '\u3000', 'PASSPORT')).toBe(false);
  });
});
