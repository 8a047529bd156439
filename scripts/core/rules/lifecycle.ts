import { addDays, daysBetween, type IsoDate, isValidDate } from '../dates.js';
import { isTemporary } from '../model/constants.js';
import type { FlagRule } from './context.js';

/**
 * Rules that depend on today's date. They run after the cache, so a cached file is judged against
 * the day of the check, never the day it was cached.
 */
export function lifecycleRules(today: IsoDate): FlagRule[] {
  const expiry: FlagRule = ({ flag, policy, report }) => {
    if (!isTemporary(flag.type)) return;
    const max = policy.types[flag.type].maxLifetimeDays;
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
    if (!isValidDate(flag.expires)) return;
    const left = daysBetween(today, flag.expires);
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

  const longLivedExpiry: FlagRule = ({ flag, report }) => {
    if (isTemporary(flag.type) || flag.expires === undefined || !isValidDate(flag.expires)) return;
    const left = daysBetween(today, flag.expires);
    if (left < 0)
      report(
        'lifecycle/expired',
        ['expires'],
        `flag expired on ${flag.expires} (${-left} day${left === -1 ? '' : 's'} ago)`,
        'remove the flag, or extend expires',
      );
  };

  // Runs over every grant of every flag on every check: a plain loop, with the path built only for
  // a finding (forEachGrant allocates one per grant).
  const grants: FlagRule = ({ flag, report }) => {
    const environments = flag.environments;
    for (const env of Object.keys(environments)) {
      const list = environments[env]!.grants;
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i++) {
        const grant = list[i]!;
        if (grant.expires === undefined || !isValidDate(grant.expires)) continue;
        if (daysBetween(today, grant.expires) < 0) {
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

  const review: FlagRule = ({ flag, policy, report }) => {
    if (flag.reviewed !== undefined && isValidDate(flag.reviewed) && daysBetween(today, flag.reviewed) > 0) {
      report(
        'lifecycle/date-in-future',
        ['reviewed'],
        `reviewed ${flag.reviewed} is after today (${today})`,
        `set reviewed to ${today} or earlier`,
      );
      return;
    }
    if (isTemporary(flag.type)) return;
    const cadence = policy.types[flag.type].reviewEveryDays;
    if (cadence === undefined) return;
    if (flag.reviewed === undefined) {
      report(
        'lifecycle/missing-review',
        ['type'],
        `${flag.type} flags are long-lived and need a review date`,
        `add reviewed: ${today} once the owner has confirmed the flag`,
      );
      return;
    }
    if (!isValidDate(flag.reviewed)) return;
    const due = addDays(flag.reviewed, cadence);
    if (daysBetween(due, today) > 0) {
      report(
        'lifecycle/review-overdue',
        ['reviewed'],
        `review was due on ${due} (last reviewed ${flag.reviewed}, every ${cadence} days)`,
        `have ${flag.owner} confirm the flag and set reviewed: ${today}, or retire it`,
      );
    }
  };

  return [expiry, longLivedExpiry, grants, review];
}
