import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, daysBetween, fromDayNumber, isValidDate } from '../../scripts/core/dates.js';
import { refAddDays, refDayNumber, refDaysBetween, refFromDayNumber } from './reference.js';

/**
 * The lifecycle rules read every date of every flag on every check, so dates.ts converts by hand
 * instead of with a regular expression and `Date`. It must answer exactly as `Date.UTC` and
 * `toISOString` do (./reference.ts), including their quirks: years 0-99 are not dates (Date.UTC
 * reads them as 1900-1999), and days outside years 0-9999 print with a sign and six digits.
 */

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('calendar dates by hand, against Date', () => {
  it('read every year, month and day text as Date.UTC does, real or not', () => {
    const years = [
      ...Array.from({ length: 130 }, (_, i) => i),
      ...Array.from({ length: 520 }, (_, i) => 1590 + i),
      ...Array.from({ length: 120 }, (_, i) => 9880 + i),
    ];
    let mismatches = 0;
    for (const year of years)
      for (let month = 0; month <= 13; month++)
        for (let day = 0; day <= 32; day++) {
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          if (!Object.is(dayNumber(text), refDayNumber(text))) mismatches++;
        }
    expect(mismatches).toBe(0);
  });

  it.each([
    '',
    '2026-11-24 ',
    ' 2026-11-24',
    '2026-11-24\n',
    '2026-1-24',
    '2026-11-2',
    '20261-11-24',
    '+02026-11-24',
    '2026/11/24',
    '2026-11-2a',
    '２０２６-11-24',
    '2026-11-24T00:00:00Z',
    '0000-01-01',
    '0099-12-31',
    '0100-01-01',
    '9999-12-31',
    '2000-02-29',
    '1900-02-29',
    '2100-02-29',
    '2400-02-29',
  ])('reads %j as Date does', (text) => {
    expect(dayNumber(text)).toBe(refDayNumber(text));
    expect(isValidDate(text)).toBe(refDayNumber(text) !== undefined);
  });

  it('writes day numbers as toISOString does, inside and outside four-digit years', () => {
    const days = [
      ...Array.from({ length: 6000 }, (_, i) => -721_000 + i),
      ...Array.from({ length: 6000 }, (_, i) => 2_930_000 + i),
      ...Array.from({ length: 400_000 }, (_, i) => -300_000 + i * 7),
      0,
      -0,
      1.5,
      -1.5,
      2_932_896.9,
    ];
    let mismatches = 0;
    for (const day of days) if (fromDayNumber(day) !== refFromDayNumber(day)) mismatches++;
    expect(mismatches).toBe(0);
    expect(() => fromDayNumber(Number.NaN)).toThrow(RangeError);
  });

  it('adds and counts days as before, and refuses the same texts', () => {
    for (const [from, to] of [
      ['2026-11-24', '2027-02-22'],
      ['2027-01-01', '2026-12-31'],
      ['0100-03-01', '9999-12-31'],
    ] as const) {
      expect(daysBetween(from, to)).toBe(refDaysBetween(from, to));
      expect(addDays(from, 90)).toBe(refAddDays(from, 90));
      expect(addDays(to, -3650)).toBe(refAddDays(to, -3650));
    }
    expect(addDays('9999-12-31', 1)).toBe(refAddDays('9999-12-31', 1));
    expect(() => daysBetween('2026-02-30', '2026-11-24')).toThrow('not a date: 2026-02-30');
    expect(() => daysBetween('2026-11-24', 'soon')).toThrow('not a date: soon');
  });
});
