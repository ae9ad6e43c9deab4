import { civilDate, daysFromCivil, isoWeekOf, localDate, requireTimeZone } from './calendar';
import { parameterErrorFrom } from './testing/report-fixtures';

describe('local calendar dates', () => {
  it('puts 23:30 in Shanghai on that day, and 00:30 the next one on the next day', () => {
    // given 2026-11-22T15:30Z is 23:30 in Shanghai (UTC+8), 16:30Z is 00:30 on the 23rd
    const late = Date.parse('2026-11-22T15:30:00Z');
    const afterMidnight = Date.parse('2026-11-22T16:30:00Z');

    // then
    expect(localDate(late, 'Asia/Shanghai')).toBe('2026-11-22');
    expect(localDate(afterMidnight, 'Asia/Shanghai')).toBe('2026-11-23');
    expect(localDate(afterMidnight, 'UTC')).toBe('2026-11-22');
  });

  it('follows daylight saving time', () => {
    // New York is UTC−4 in summer and UTC−5 in winter
    expect(localDate(Date.parse('2026-07-01T03:30:00Z'), 'America/New_York')).toBe('2026-06-30');
    expect(localDate(Date.parse('2026-12-01T04:30:00Z'), 'America/New_York')).toBe('2026-11-30');
    expect(localDate(Date.parse('2026-12-01T05:30:00Z'), 'America/New_York')).toBe('2026-12-01');
  });

  it('accepts IANA zones and refuses unknown ones on the field given', async () => {
    expect(requireTimeZone('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(requireTimeZone('UTC')).toBe('UTC');

    const unknown = await parameterErrorFrom(() => requireTimeZone('Mars/Olympus_Mons'));
    expect(unknown.field).toBe('tz');
    expect(unknown.reason).toContain('Mars/Olympus_Mons');
    expect((await parameterErrorFrom(() => requireTimeZone(''))).field).toBe('tz');
    expect((await parameterErrorFrom(() => requireTimeZone('nope', 'zone'))).field).toBe('zone');
  });

  it('counts days like Date does', () => {
    for (const date of ['1970-01-01', '2000-02-29', '2026-12-31', '2027-01-01', '1969-12-31', '2100-03-01']) {
      expect(daysFromCivil(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8)))).toBe(Date.parse(date) / 86_400_000);
      expect(civilDate(Date.parse(date) / 86_400_000)).toBe(date);
    }
  });
});

describe('ISO weeks', () => {
  it.each([
    ['2026-11-22', '2026-W47', '2026-11-16'], // a Sunday: the week started on Monday the 16th
    ['2026-11-23', '2026-W48', '2026-11-23'],
    ['2026-12-31', '2026-W53', '2026-12-28'], // 2026 starts on a Thursday: 53 weeks
    ['2027-01-01', '2026-W53', '2026-12-28'], // a Friday of 2027 still in the last week of 2026
    ['2027-01-03', '2026-W53', '2026-12-28'],
    ['2027-01-04', '2027-W01', '2027-01-04'],
    ['2025-12-29', '2026-W01', '2025-12-29'], // a Monday of 2025 already in week 1 of 2026
    ['2026-01-01', '2026-W01', '2025-12-29'],
    ['2021-01-03', '2020-W53', '2020-12-28'],
    ['2024-12-30', '2025-W01', '2024-12-30'],
  ])('%s is in %s, which starts %s', (date, label, start) => {
    expect(isoWeekOf(date)).toEqual({ label, start });
  });

  it('agrees, day by day over 20 years, with counting weeks from the one holding 4 January', () => {
    // given a walk from Monday 2014-12-29 (2015-W01), counting Mondays
    let year = 2015;
    let week = 1;
    for (let day = daysFromCivil(2014, 12, 29); day < daysFromCivil(2035, 1, 1); day += 1) {
      const isMonday = (day - daysFromCivil(2014, 12, 29)) % 7 === 0;
      if (isMonday && day !== daysFromCivil(2014, 12, 29)) {
        // the week holding 4 January is week 1 of that year
        const jan4 = [0, 1, 2, 3, 4, 5, 6].map((d) => civilDate(day + d)).find((d) => d.endsWith('-01-04'));
        if (jan4 === undefined) {
          week += 1;
        } else {
          year = Number(jan4.slice(0, 4));
          week = 1;
        }
      }
      // then
      const expected = `${year}-W${String(week).padStart(2, '0')}`;
      const actual = isoWeekOf(civilDate(day)).label;
      if (actual !== expected) throw new Error(`${civilDate(day)}: expected ${expected}, got ${actual}`);
    }
  });
});
