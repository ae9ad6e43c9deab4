import { expiryToYymm, isExpiryInPast, parseExpiry } from './expiry';

describe('parseExpiry', () => {
  it('reads MM/YY as a month and a four-digit year', () => {
    expect(parseExpiry('09/28')).toEqual({ ok: true, month: 9, year: 2028 });
  });

  it.each(['9/28', '09/2028', '2028-09', '0928', '', '09 / 28'])('rejects the format %p', (raw) => {
    expect(parseExpiry(raw)).toEqual({ ok: false, reason: 'must be MM/YY, e.g. 09/28' });
  });

  it.each(['00/28', '13/28'])('rejects the month of %s', (raw) => {
    expect(parseExpiry(raw)).toEqual({ ok: false, reason: 'must have a month from 01 to 12' });
  });
});

describe('isExpiryInPast', () => {
  const midJune2025 = '2025-06-15T12:00:00.000Z';

  it('a card is valid in its expiry month', () => {
    expect(isExpiryInPast('06/25', midJune2025)).toBe(false);
  });

  it('a card is valid through the last moment of its expiry month (UTC)', () => {
    expect(isExpiryInPast('06/25', '2025-06-30T23:59:59.999Z')).toBe(false);
    expect(isExpiryInPast('06/25', '2025-07-01T00:00:00.000Z')).toBe(true);
  });

  it('the month before is past, across a year boundary too', () => {
    expect(isExpiryInPast('05/25', midJune2025)).toBe(true);
    expect(isExpiryInPast('12/24', '2025-01-01T00:00:00.000Z')).toBe(true);
    expect(isExpiryInPast('01/26', '2025-12-31T23:00:00.000Z')).toBe(false);
  });

  it('refuses a malformed expiry or clock instead of guessing', () => {
    expect(() => isExpiryInPast('13/25', midJune2025)).toThrow(RangeError);
    expect(() => isExpiryInPast('06/25', 'yesterday')).toThrow(RangeError);
  });
});

describe('expiryToYymm', () => {
  it('turns MM/YY into YYMM', () => {
    expect(expiryToYymm('09/28')).toBe('2809');
    expect(expiryToYymm('01/05')).toBe('0501');
  });
});
