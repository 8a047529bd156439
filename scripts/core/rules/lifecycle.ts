import { addDays, dayNumber, fromDayNumber, type IsoDate } from '../dates.js';
import type { Flag } from '../model/flag.js';
import { isTemporary } from '../model/constants.js';
import type { Policy } from '../model/policy.js';
import type { FlagRule, FlagRuleContext } from './context.js';

/**
 * Rules that depend on today's date. They run after the cache, so a cached file is judged against
 * the day of the check, never the day it was cached.
 *
 * They run on every flag file on every check, mostly before the JIT has warmed up, so they are one
 * rule that reads the flag once, with the findings, and their order, of the four rules this was
 * (expiry, expiry of long-lived flags, grants, review). Dates are compared as strings first: real
 * dates (YYYY-MM-DD) order as strings exactly as they do as days, so a date inside the allowed range
 * needs no reading whether it is real or not (a date that is not real is never reported here). Only
 * a date outside it is read, as a day number against today's, and only a finding builds a date.
 */
export function lifecycleRules(today: IsoDate): FlagRule[] {
  const todayNumber = dayNumber(today);
  /** Whole days from today to `date` (daysBetween(today, date)); undefined when `date` is not a date. */
  const daysFromToday = (date: IsoDate): number | undefined => {
    const day = dayNumber(date);
    if (day === undefined) return undefined;
    if (todayNumber === undefined) throw new RangeError(`not a date: ${today}`);
    return day - todayNumber;
  };
  /** Today as a string to compare with: undefined when today is not a date (then every date is read). */
  const todayText = todayNumber === undefined ? undefined : today;
  const offsets = new Map<number, IsoDate | undefined>();
  /** The date `days` after today, for comparing as a string; undefined when it is not a four-digit date. */
  const todayPlus = (days: number): IsoDate | undefined => {
    if (offsets.has(days)) return offsets.get(days);
    let date: IsoDate | undefined;
    if (todayNumber !== undefined && Number.isInteger(days)) {
      date = fromDayNumber(todayNumber + days);
      if (dayNumber(date) !== todayNumber + days) date = undefined;
    }
    offsets.set(days, date);
    return date;
  };
  type Report = FlagRuleContext['report'];
  type TypePolicy = Policy['types'][Flag['type']];

  const expiry = (flag: Flag, types: TypePolicy, report: Report): void => {
    const max = types.maxLifetimeDays;
    if (flag.expires === undefined) {
      const suggestion = max === undefined ? '' : ` (at most ${addDays(today, max)})`;
      report(
        'lifecycle/missing-expiry',
        ['type'],
        `${flag.type} flags are temporary and need an expiry`,
        `add expires: <date>${suggestion}`,
      );
      return;
    }
    const latest = max === undefined ? undefined : todayPlus(max);
    if (
      todayText !== undefined &&
      flag.expires >= todayText &&
      (max === undefined || (latest !== undefined && flag.expires <= latest))
    )
      return;
    const left = daysFromToday(flag.expires);
    if (left === undefined) return;
    if (left < 0) {
      report(
        'lifecycle/expired',
        ['expires'],
        `flag expired on ${flag.expires} (${-left} day${left === -1 ? '' : 's'} ago)`,
        'remove the flag and its code paths, or extend expires with a reason in the pull request',
      );
    } else if (max !== undefined && left > max) {
      report(
        'lifecycle/expiry-too-far',
        ['expires'],
        `expires ${flag.expires} is ${left} days away; ${flag.type} flags live at most ${max} days`,
        `set expires to ${addDays(today, max)} or earlier`,
      );
    }
  };

  const longLivedExpiry = (expires: IsoDate, report: Report): void => {
    if (todayText !== undefined && expires >= todayText) return;
    const left = daysFromToday(expires);
    if (left !== undefined && left < 0)
      report(
        'lifecycle/expired',
        ['expires'],
        `flag expired on ${expires} (${-left} day${left === -1 ? '' : 's'} ago)`,
        'remove the flag, or extend expires',
      );
  };

  // Every grant of every flag: the environments' values (the name and the path are looked up only
  // for a finding), and dates compared as strings, which for real dates orders them as days do;
  // only a date before today is read.
  const grants = (flag: Flag, report: Report): void => {
    const configs = Object.values(flag.environments);
    for (let e = 0; e < configs.length; e++) {
      const list = configs[e]!.grants;
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i++) {
        const grant = list[i]!;
        if (grant.expires === undefined || (todayText !== undefined && grant.expires >= todayText)) continue;
        const left = daysFromToday(grant.expires);
        if (left !== undefined && left < 0) {
          const env = Object.keys(flag.environments)[e]!;
          report(
            'lifecycle/grant-expired',
            ['environments', env, 'grants', i, 'expires'],
            `grant to "${grant.org}" in ${env} expired on ${grant.expires}`,
            'remove the grant, or extend it with the agreement or ticket that justifies it',
          );
        }
      }
    }
  };

  const review = (flag: Flag, temporary: boolean, types: TypePolicy, report: Report): void => {
    const reviewed = flag.reviewed;
    if (reviewed !== undefined && !(todayText !== undefined && reviewed <= todayText)) {
      const ahead = daysFromToday(reviewed);
      if (ahead !== undefined && ahead > 0) {
        report(
          'lifecycle/date-in-future',
          ['reviewed'],
          `reviewed ${reviewed} is after today (${today})`,
          `set reviewed to ${today} or earlier`,
        );
        return;
      }
    }
    if (temporary) return;
    const cadence = types.reviewEveryDays;
    if (cadence === undefined) return;
    if (reviewed === undefined) {
      report(
        'lifecycle/missing-review',
        ['type'],
        `${flag.type} flags are long-lived and need a review date`,
        `add reviewed: ${today} once the owner has confirmed the flag`,
      );
      return;
    }
    // Due `cadence` days after the review: overdue once today is past that day, that is for reviews
    // before today minus the cadence.
    const earliest = todayPlus(-cadence);
    if (earliest !== undefined && reviewed >= earliest) return;
    const since = daysFromToday(reviewed);
    if (since === undefined || since + cadence >= 0) return;
    report(
      'lifecycle/review-overdue',
      ['reviewed'],
      `review was due on ${addDays(reviewed, cadence)} (last reviewed ${reviewed}, every ${cadence} days)`,
      `have ${flag.owner} confirm the flag and set reviewed: ${today}, or retire it`,
    );
  };

  const lifecycle: FlagRule = ({ flag, policy, report }) => {
    // An archived flag is served nowhere: its dates no longer ask anything of anyone.
    if (flag.archived === true) return;
    const temporary = isTemporary(flag.type);
    const types = policy.types[flag.type];
    if (temporary) expiry(flag, types, report);
    else if (flag.expires !== undefined) longLivedExpiry(flag.expires, report);
    grants(flag, report);
    review(flag, temporary, types, report);
  };
  return [lifecycle];
}
