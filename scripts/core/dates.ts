/**
 * Calendar dates as YYYY-MM-DD strings in UTC. Flags speak in whole days: a flag that "expires"
 * on a date is still valid through the end of that day.
 *
 * `flags check` reads every date of every flag file on every run (tens of thousands on a large
 * repository), so the conversions are written out by hand: no regular expression, no `Date` and no
 * array per call. They answer exactly as `Date.UTC` and `toISOString` do; dates outside their fast
 * range (and any input that is not a string) take the `Date` path, and test/core/dates.test.ts holds
 * the two together.
 */

export type IsoDate = string;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
const DASH = 45;
const ZERO = 48;
/** Day numbers of 0000-01-01 and 9999-12-31: the days `toISOString` writes with a four-digit year. */
const FIRST_DAY = -719_528;
const LAST_DAY = 2_932_896;

/** Day number since the epoch, or undefined when the text is not a real calendar date. */
export function dayNumber(date: IsoDate): number | undefined {
  if (typeof date !== 'string') return dayNumberByDate(date);
  if (date.length !== 10 || date.charCodeAt(4) !== DASH || date.charCodeAt(7) !== DASH) return undefined;
  const year = digits(date, 0, 4);
  const month = digits(date, 5, 2);
  const day = digits(date, 8, 2);
  // Date.UTC reads years 0-99 as 1900-1999, so the round trip of the Date path refuses them.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

/** The value of `length` decimal digits from `start`, or -1 when one is not an ASCII digit. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil): years
 * start in March, so the leap day is the last day of its 400-year era's year.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The original definition, for inputs the fast path does not take. */
function dayNumberByDate(date: IsoDate): number | undefined {
  const match = DATE.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day)
    return undefined;
  return ms / DAY_MS;
}

export const isValidDate = (date: IsoDate): boolean => dayNumber(date) !== undefined;

export function fromDayNumber(day: number): IsoDate {
  if (!Number.isInteger(day) || day < FIRST_DAY || day > LAST_DAY)
    return new Date(day * DAY_MS).toISOString().slice(0, 10);
  // Hinnant's civil_from_days, the inverse of daysFromCivil.
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const date = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${date < 10 ? '0' : ''}${date}`;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const day = dayNumber(date);
  if (day === undefined) throw new RangeError(`not a date: ${date}`);
  return fromDayNumber(day + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  const a = dayNumber(from);
  const b = dayNumber(to);
  if (a === undefined || b === undefined) throw new RangeError(`not a date: ${a === undefined ? from : to}`);
  return b - a;
}

export const todayUtc = (now: Date): IsoDate => now.toISOString().slice(0, 10);

/** End of the given day, as epoch milliseconds: the instant an expiry date stops applying. */
export function endOfDayMs(date: IsoDate): number {
  const day = dayNumber(date);
  if (day === undefined) throw new RangeError(`not a date: ${date}`);
  return (day + 1) * DAY_MS;
}
