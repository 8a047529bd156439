import { describe, expect, it } from 'vitest';
import {
  addDays,
  dayNumber,
  daysBetween,
  endOfDayMs,
  isValidDate,
  todayUtc,
} from '../../scripts/core/dates.js';

describe('calendar dates', () => {
  it('accepts real dates and refuses impossible ones', () => {
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(isValidDate('2027-02-29')).toBe(false);
    expect(isValidDate('2026-13-01')).toBe(false);
    expect(isValidDate('2026-1-01')).toBe(false);
  });

  it('counts whole days across month and year ends', () => {
    expect(daysBetween('2026-11-24', '2027-02-22')).toBe(90);
    expect(daysBetween('2027-01-01', '2026-12-31')).toBe(-1);
    expect(addDays('2026-11-24', 90)).toBe('2027-02-22');
  });

  it('treats an expiry as inclusive: valid through the end of that UTC day', () => {
    expect(endOfDayMs('2026-12-31')).toBe(Date.parse('2027-01-01T00:00:00Z'));
  });

  it('takes today from an instant in UTC, whatever the local time zone', () => {
    expect(todayUtc(new Date('2026-11-24T23:59:59-05:00'))).toBe('2026-11-25');
    expect(dayNumber('1970-01-02')).toBe(1);
  });

  it('refuses to compute with text that is not a date', () => {
    expect(() => addDays('tomorrow', 1)).toThrow(RangeError);
  });
});
