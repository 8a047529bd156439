import { type IsoDate, isValidDate } from '../dates.js';

/**
 * The day an export's date or timestamp names. A date (2026-11-25) is that day. A timestamp names an
 * instant, and its day is the UTC date of that instant: 2026-11-25T00:30:00+02:00 is
 * 2026-11-24T22:30:00Z, so the day is 2026-11-24 (never the first ten characters). A timestamp
 * without Z or an offset names no instant and is refused rather than guessed.
 */

const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:(Z)|([+-])(\d{2}):?(\d{2})?)?$/i;

export type DayOf = { ok: true; day: IsoDate } | { ok: false; problem: string; hint: string };

const HINT = 'write a date as YYYY-MM-DD, or a timestamp with Z or an offset, e.g. 2026-11-25T00:30:00+02:00';

export function dayOf(text: string): DayOf {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text))
    return isValidDate(text) ? { ok: true, day: text } : { ok: false, problem: 'is not a date', hint: HINT };
  const m = TIMESTAMP.exec(text);
  if (!m || !isValidDate(m[1]!)) return { ok: false, problem: 'is not a date or timestamp', hint: HINT };
  const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59)
    return { ok: false, problem: 'has a time of day that does not exist', hint: HINT };
  if (!m[5] && !m[6])
    return {
      ok: false,
      problem: 'is a timestamp without a time zone, so its day is unknown',
      hint: 'add Z (UTC) or the offset, e.g. 2026-11-25T00:30:00Z, or write the date alone',
    };
  let offsetMinutes = 0;
  if (m[6]) {
    const [oh, om] = [Number(m[7]), Number(m[8] ?? 0)];
    if (oh > 23 || om > 59) return { ok: false, problem: 'has an offset that does not exist', hint: HINT };
    offsetMinutes = (m[6] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const [year, month, day] = m[1]!.split('-').map(Number) as [number, number, number];
  const instant = Date.UTC(year, month - 1, day, hour, minute - offsetMinutes, second);
  return { ok: true, day: new Date(instant).toISOString().slice(0, 10) };
}
