/**
 * Calendar dates as YYYY-MM-DD strings in UTC. Flags speak in whole days: a flag that "expires"
 * on a date is still valid through the end of that day.
 */

export type IsoDate = string;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Day number since the epoch, or undefined when the text is not a real calendar date. */
export function dayNumber(date: IsoDate): number | undefined {
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
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
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
