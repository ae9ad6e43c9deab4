import { CN_PROVINCES } from './cn-regions';
import { checkResidentIdDocument, residentIdCheckCharacter, validateResidentId } from './resident-id';

const NOW = '2025-06-01T10:00:00.000Z';

/** An id made of 17 digits and the check character they call for. */
const withCheckCharacter = (first17: string): string => first17 + residentIdCheckCharacter(first17);

describe('validateResidentId', () => {
  it('accepts the example of GB 11643-1999 and reads its birth date', () => {
    expect(validateResidentId('11010519491231002X', NOW)).toEqual({
      ok: true,
      value: '11010519491231002X',
      birthDate: '1949-12-31',
    });
  });

  it('accepts a lower-case x and spaces, and normalises them', () => {
    expect(validateResidentId('110105 19491231 002x', NOW)).toMatchObject({ ok: true, value: '11010519491231002X' });
  });

  it('computes the check character with ISO 7064 MOD 11-2', () => {
    expect(residentIdCheckCharacter('11010519491231002')).toBe('X');
    expect(residentIdCheckCharacter('44052418800101001')).toBe('4');
    expect(residentIdCheckCharacter('11010519900101123')).toBe('2');
  });

  it.each([
    ['a wrong check character', '110105194912310021', 'check character is wrong'],
    ['17 characters', '11010519491231002', 'must be 18 characters long'],
    ['19 characters', '11010519491231002X1', 'must be 18 characters long'],
    ['an X before the end', '1101051949123100X2', 'must be 17 digits followed by a digit or X'],
    ['a letter other than X', '11010519491231002Y', 'must be 17 digits followed by a digit or X'],
    ['30 February', '110105194902300012', 'birth date (characters 7–14) is not a real date'],
    ['month 13', '110105194913010016', 'birth date (characters 7–14) is not a real date'],
    ['a birth date in the future', '11010520300101001X', 'birth date (characters 7–14) is in the future'],
    ['tomorrow’s birth date', '110105202506020016', 'birth date (characters 7–14) is in the future'],
    ['a birth year before 1900', '440524188001010014', 'birth date (characters 7–14) is before 1900'],
  ])('rejects %s', (_case, raw, reason) => {
    expect(validateResidentId(raw, NOW)).toEqual({ ok: false, reason });
  });

  it('accepts a birth date of today', () => {
    expect(validateResidentId('110105202506010010', NOW)).toMatchObject({ ok: true, birthDate: '2025-06-01' });
  });

  it('accepts 29 February of a leap year only', () => {
    const leap = `11010520000229001`;
    const notLeap = `11010519000229001`;
    expect(validateResidentId(leap + residentIdCheckCharacter(leap), NOW).ok).toBe(true);
    expect(validateResidentId(notLeap + residentIdCheckCharacter(notLeap), NOW)).toEqual({
      ok: false,
      reason: 'birth date (characters 7–14) is not a real date',
    });
  });

  it('never echoes the id number back in a reason', () => {
    expect(JSON.stringify(validateResidentId('110105194912310021', NOW))).not.toContain('1101051949');
  });
});

describe('validateResidentId, given the region code (characters 1–2)', () => {
  it.each(CN_PROVINCES.map((province) => [province.code, province.nameEn]))(
    'when it is %s (%s), then the id is accepted',
    (code) => {
      expect(validateResidentId(withCheckCharacter(`${code}010519491231002`), NOW)).toMatchObject({ ok: true });
    },
  );

  it.each(['00', '10', '19', '20', '39', '40', '47', '59', '60', '70', '80', '83', '90', '91', '99'])(
    'when it is %s, then the id is refused with a reason of its own even though its check character is right',
    (code) => {
      expect(validateResidentId(withCheckCharacter(`${code}010519491231002`), NOW)).toEqual({
        ok: false,
        reason: 'region code (characters 1–2) is not a province code of GB/T 2260',
      });
    },
  );

  it('when the result is given, then it has exactly the fields it always had', () => {
    expect(Object.keys(validateResidentId('11010519491231002X', NOW)).sort()).toEqual(['birthDate', 'ok', 'value']);
  });

  it('when the id is typed in full-width digits, then registration still refuses it (as before)', () => {
    expect(validateResidentId('１１０１０５１９４９１２３１００２Ｘ', NOW)).toEqual({
      ok: false,
      reason: 'must be 17 digits followed by a digit or X',
    });
  });
});

describe('checkResidentIdDocument', () => {
  describe('given a genuine id', () => {
    it('when checked, then it gives the id, its birth date and its province', () => {
      expect(checkResidentIdDocument('11010519491231002X', NOW)).toEqual({
        ok: true,
        value: '11010519491231002X',
        birthDate: '1949-12-31',
        provinceCode: '11',
      });
    });

    it.each([
      ['a lower-case x', '11010519491231002x'],
      ['spaces', ' 110105 19491231 002X '],
      ['full-width digits and X (Chinese input methods)', '１１０１０５１９４９１２３１００２Ｘ'],
      ['an ideographic space', '110105\u300019491231002X'],
    ])('when written with %s, then it reads the same', (_case, raw) => {
      expect(checkResidentIdDocument(raw, NOW)).toMatchObject({ ok: true, value: '11010519491231002X' });
    });

    it('when it is from Guangdong, then the province is 44', () => {
      expect(checkResidentIdDocument(withCheckCharacter('44030519900101123'), NOW)).toMatchObject({
        ok: true,
        provinceCode: '44',
        birthDate: '1990-01-01',
      });
    });
  });

  describe('given an id that fails a check', () => {
    it.each([
      ['17 characters', '11010519491231002', 'ID_FORMAT_INVALID', 'must be 18 characters long'],
      ['19 characters', '11010519491231002X1', 'ID_FORMAT_INVALID', 'must be 18 characters long'],
      ['nothing', '', 'ID_FORMAT_INVALID', 'must be 18 characters long'],
      ['an X before the end', '1101051949123100X2', 'ID_FORMAT_INVALID', 'must be 17 digits followed by a digit or X'],
      ['a letter other than X', '11010519491231002Y', 'ID_FORMAT_INVALID', 'must be 17 digits followed by a digit or X'],
      ['a dash', '110105-1949123100X', 'ID_FORMAT_INVALID', 'must be 17 digits followed by a digit or X'],
      ['region 10', withCheckCharacter('10010519491231002'), 'ID_REGION_INVALID', 'region code (characters 1–2) is not a province code of GB/T 2260'],
      ['region 83', withCheckCharacter('83000019900101002'), 'ID_REGION_INVALID', 'region code (characters 1–2) is not a province code of GB/T 2260'],
      ['30 February', withCheckCharacter('11010519490230001'), 'ID_BIRTH_DATE_INVALID', 'birth date (characters 7–14) is not a real date'],
      ['month 13', withCheckCharacter('11010519491301001'), 'ID_BIRTH_DATE_INVALID', 'birth date (characters 7–14) is not a real date'],
      ['a birth year before 1900', '440524188001010014', 'ID_BIRTH_DATE_INVALID', 'birth date (characters 7–14) is before 1900'],
      ['tomorrow’s birth date', '110105202506020016', 'ID_BIRTH_DATE_INVALID', 'birth date (characters 7–14) is in the future'],
      ['a wrong check character', '110105194912310021', 'ID_CHECK_CHARACTER_INVALID', 'check character is wrong'],
      ['two digits swapped', '11100519491231002X', 'ID_CHECK_CHARACTER_INVALID', 'check character is wrong'],
    ])('when it has %s, then it is refused with its code', (_case, raw, code, reason) => {
      expect(checkResidentIdDocument(raw, NOW)).toEqual({ ok: false, code, reason });
    });

    it('when it fails several checks, then the first from the left is the answer: region, birth date, check character', () => {
      const badEverything = '100105194902300011'; // region 10, 30 February, and (as it happens) a wrong check character
      expect(residentIdCheckCharacter(badEverything.slice(0, 17))).not.toBe(badEverything[17]);
      expect(checkResidentIdDocument(badEverything, NOW)).toMatchObject({ code: 'ID_REGION_INVALID' });
      expect(checkResidentIdDocument(`11${badEverything.slice(2)}`, NOW)).toMatchObject({ code: 'ID_BIRTH_DATE_INVALID' });
      expect(checkResidentIdDocument('110105194912310021', NOW)).toMatchObject({ code: 'ID_CHECK_CHARACTER_INVALID' });
    });

    it('when the birth date is today, then it is accepted; when tomorrow, then refused', () => {
      expect(checkResidentIdDocument(withCheckCharacter('11010520250601001'), NOW)).toMatchObject({ ok: true, birthDate: '2025-06-01' });
      expect(checkResidentIdDocument(withCheckCharacter('11010520250601001'), '2025-05-31T23:59:59.999Z')).toMatchObject({
        code: 'ID_BIRTH_DATE_INVALID',
      });
    });

    it('when refused, then the reason never echoes the id number', () => {
      for (const raw of ['110105194912310021', withCheckCharacter('10010519491231002'), '11010519491231002']) {
        expect(JSON.stringify(checkResidentIdDocument(raw, NOW))).not.toContain('1949');
      }
    });

    it('when the clock is not a timestamp, then it fails loudly', () => {
      expect(() => checkResidentIdDocument('11010519491231002X', 'now')).toThrow(RangeError);
    });
  });

  it('given any id, when both are asked, then validateResidentId says what checkResidentIdDocument says', () => {
    for (const raw of ['11010519491231002X', '110105194912310021', withCheckCharacter('10010519491231002'), '440524188001010014', '1101']) {
      const document = checkResidentIdDocument(raw, NOW);
      const registration = validateResidentId(raw, NOW);
      expect(registration.ok).toBe(document.ok);
      if (!document.ok && !registration.ok) expect(registration.reason).toBe(document.reason);
    }
  });
});
