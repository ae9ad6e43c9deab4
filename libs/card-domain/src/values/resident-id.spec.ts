import { residentIdCheckCharacter, validateResidentId } from './resident-id';

const NOW = '2025-06-01T10:00:00.000Z';

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
