import { birthDatesMatch, isIsoCalendarDate, validateBirthDate } from './birth-date';

const NOW = '2025-06-01T10:00:00.000Z';

describe('isIsoCalendarDate', () => {
  it.each(['1949-12-31', '2000-02-29', '2024-02-29', '1900-01-01'])('given %p, when checked, then it is a calendar date', (text) => {
    expect(isIsoCalendarDate(text)).toBe(true);
  });

  it.each([
    '1900-02-29', '2025-02-29', '2025-04-31', '2025-13-01', '2025-00-10', '2025-01-00',
    '1949-1-1', '19491231', '1949/12/31', ' 1949-12-31', '1949-12-31T00:00:00Z', '', '１９４９-１２-３１',
  ])('given %p, when checked, then it is not', (text) => {
    expect(isIsoCalendarDate(text)).toBe(false);
  });
});

describe('validateBirthDate', () => {
  it('given a past date with spaces around it, when validated, then the date is kept without them', () => {
    expect(validateBirthDate(' 1949-12-31 ', NOW)).toEqual({ ok: true, value: '1949-12-31' });
  });

  it('given today (UTC), when validated, then it is accepted', () => {
    expect(validateBirthDate('2025-06-01', NOW)).toEqual({ ok: true, value: '2025-06-01' });
  });

  it.each([
    ['another format', '31/12/1949', 'must be a date, YYYY-MM-DD'],
    ['a timestamp', '1949-12-31T00:00:00Z', 'must be a date, YYYY-MM-DD'],
    ['30 February', '1990-02-30', 'is not a real date'],
    ['a year before 1900', '1899-12-31', 'is before 1900'],
    ['tomorrow', '2025-06-02', 'is in the future'],
  ])('given %s, when validated, then it is refused', (_case, raw, reason) => {
    expect(validateBirthDate(raw, NOW)).toEqual({ ok: false, reason });
  });

  it('given a clock that is not a timestamp, when validated, then it fails loudly', () => {
    expect(() => validateBirthDate('1949-12-31', 'soon')).toThrow(RangeError);
  });
});

describe('birthDatesMatch', () => {
  it('given the same day, when compared, then they match (spaces around forgiven)', () => {
    expect(birthDatesMatch('1949-12-31', '1949-12-31')).toBe(true);
    expect(birthDatesMatch(' 1949-12-31', '1949-12-31 ')).toBe(true);
  });

  it.each([
    ['another day', '1949-12-31', '1949-12-30'],
    ['day and month swapped', '1949-05-04', '1949-04-05'],
    ['another century', '1974-08-12', '2074-08-12'],
    ['another format of the same day', '19491231', '1949-12-31'],
    ['no leading zeros', '1949-1-1', '1949-01-01'],
    ['the same day that does not exist', '2025-02-30', '2025-02-30'],
    ['the same text that is no date', 'unknown', 'unknown'],
    ['two empty dates', '', ''],
  ])('given %s, when compared, then they do not match', (_case, a, b) => {
    expect(birthDatesMatch(a, b)).toBe(false);
  });
});
