import { DEFAULT_QUIET_HOURS, isValidTimeZone, parseQuietHours, quietHoursFromEnv, QuietHoursConfigError, sendTimeFor } from './quiet-hours';

const at = (iso: string) => new Date(iso);
const TRANSACTIONAL = { kind: 'TRANSACTIONAL' } as const;

describe('sendTimeFor: quiet hours in the customer\'s time zone', () => {
  it('given a transactional notice outside the quiet hours (Shanghai, 14:00), sends now', () => {
    const now = at('2026-11-23T06:00:00Z'); // 14:00 in Shanghai
    expect(sendTimeFor(TRANSACTIONAL, now)).toEqual({ sendAt: now, waits: false, timeZone: 'Asia/Shanghai' });
  });

  it('given 23:30 in Shanghai (before midnight), waits until 08:00 the next morning', () => {
    const result = sendTimeFor(TRANSACTIONAL, at('2026-11-23T15:30:45Z'));
    expect(result).toEqual({ sendAt: at('2026-11-24T00:00:00Z'), waits: true, timeZone: 'Asia/Shanghai' });
  });

  it('given 03:10 in Shanghai (after midnight), waits until 08:00 the same day', () => {
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-23T19:10:00Z')).sendAt).toEqual(at('2026-11-24T00:00:00Z'));
  });

  it('at the edges: 22:00 is quiet, 07:59 is quiet, 08:00 and 21:59 are not', () => {
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-23T14:00:00Z')).waits).toBe(true); // 22:00
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-22T23:59:00Z')).sendAt).toEqual(at('2026-11-23T00:00:00Z')); // 07:59
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-23T00:00:00Z')).waits).toBe(false); // 08:00
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-23T13:59:00Z')).waits).toBe(false); // 21:59
  });

  it('uses the customer\'s time zone: the same instant is quiet in Shanghai and not in London', () => {
    const now = at('2026-11-23T15:30:00Z'); // 23:30 Shanghai, 15:30 London
    expect(sendTimeFor(TRANSACTIONAL, now, { timeZone: 'Europe/London' })).toEqual({ sendAt: now, waits: false, timeZone: 'Europe/London' });
    const night = at('2026-11-23T23:00:00Z'); // 23:00 London
    expect(sendTimeFor(TRANSACTIONAL, night, { timeZone: 'Europe/London' }).sendAt).toEqual(at('2026-11-24T08:00:00Z'));
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-24T03:00:00Z'), { timeZone: 'America/New_York' }).sendAt).toEqual(at('2026-11-24T13:00:00Z'));
  });

  it('ends the wait at 08:00 local time across a daylight-saving change (London, night of 29 March 2026)', () => {
    // 23:00 GMT on 28 March; clocks go forward at 01:00 GMT, so 08:00 local is 07:00 UTC.
    expect(sendTimeFor(TRANSACTIONAL, at('2026-03-28T23:00:00Z'), { timeZone: 'Europe/London' }).sendAt).toEqual(at('2026-03-29T07:00:00Z'));
  });

  it('given an unknown time zone, falls back to Asia/Shanghai and says so', () => {
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-23T15:30:00Z'), { timeZone: 'Mars/Olympus' })).toMatchObject({ waits: true, timeZone: 'Asia/Shanghai' });
  });

  it('answers the same for a time zone asked about again, and past more names than it keeps formatters for', () => {
    const sendsFrom = (timeZone: string) => sendTimeFor(TRANSACTIONAL, at('2026-11-23T15:30:00Z'), { timeZone });
    for (let round = 0; round < 2; round++) {
      expect(sendsFrom('Europe/London')).toMatchObject({ waits: false, timeZone: 'Europe/London' });
      expect(sendsFrom('Mars/Olympus')).toMatchObject({ waits: true, timeZone: 'Asia/Shanghai', sendAt: at('2026-11-24T00:00:00Z') });
    }
    // More unknown names than the cache holds (1,000): each refused, and the known ones still answered right after.
    for (let i = 0; i < 1_100; i++) expect(isValidTimeZone(`Nowhere/Place_${i}`)).toBe(false);
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(sendsFrom('America/New_York')).toMatchObject({ waits: false, timeZone: 'America/New_York' });
    expect(sendsFrom('Asia/Tokyo')).toMatchObject({ waits: true, timeZone: 'Asia/Tokyo', sendAt: at('2026-11-23T23:00:00Z') }); // 00:30 there
  });

  it('never holds back a SECURITY notice, nor an urgent one (the activation confirmation); always a MARKETING one', () => {
    const now = at('2026-11-23T15:30:00Z'); // 23:30 in Shanghai
    expect(sendTimeFor({ kind: 'SECURITY' }, now)).toMatchObject({ sendAt: now, waits: false });
    expect(sendTimeFor({ kind: 'TRANSACTIONAL', urgent: true }, now)).toMatchObject({ sendAt: now, waits: false });
    expect(sendTimeFor({ kind: 'MARKETING', urgent: true }, now)).toMatchObject({ waits: true });
  });

  it('given quiet hours that do not cross midnight (13:00-14:00), waits only within them', () => {
    const lunch = parseQuietHours('13:00-14:00');
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-23T05:30:00Z'), { quietHours: lunch }).sendAt).toEqual(at('2026-11-23T06:00:00Z'));
    expect(sendTimeFor(TRANSACTIONAL, at('2026-11-23T15:30:00Z'), { quietHours: lunch }).waits).toBe(false);
  });
});

describe('the quiet hours setting', () => {
  it('defaults to 22:00-08:00 and reads NOTIFY_QUIET_HOURS', () => {
    expect(DEFAULT_QUIET_HOURS).toEqual({ start: 22 * 60, end: 8 * 60 });
    expect(quietHoursFromEnv({})).toEqual(DEFAULT_QUIET_HOURS);
    expect(quietHoursFromEnv({ NOTIFY_QUIET_HOURS: '21:30-07:15' })).toEqual({ start: 21 * 60 + 30, end: 7 * 60 + 15 });
  });

  it.each(['22-08', '24:00-08:00', '22:00-22:00', 'night'])('refuses %j, naming the variable', (value) => {
    expect(() => parseQuietHours(value)).toThrow(QuietHoursConfigError);
    expect(() => parseQuietHours(value)).toThrow(/NOTIFY_QUIET_HOURS/);
  });
});
