import { bucketOf } from '../../scripts/runtime/murmur3.js';
import { claimBytes } from '../../scripts/core/claims/claim.js';
import type { ClaimOverrun } from '../../scripts/core/claims/budget.js';
import type { Codeowners, CodeownersRule } from '../../scripts/core/codeowners/parse.js';
import { isTemporary } from '../../scripts/core/model/constants.js';
import type { Flag } from '../../scripts/core/model/flag.js';
import type { Policy } from '../../scripts/core/model/policy.js';
import { defaultVariantOf, offVariantOf, targetVariantOf } from '../../scripts/core/model/variants.js';
import type { FlagRule } from '../../scripts/core/rules/context.js';

/**
 * The rules after the cache as they were written before they were made fast: straightforward, one
 * concern per function, every date parsed with a regular expression and `Date`, CODEOWNERS scanned
 * from the last rule, claims sized by reducing every flag in every environment. The fast rules must
 * answer exactly as these do (test/rules/fast-rules.test.ts).
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function refDayNumber(date: string): number | undefined {
  const match = DATE.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day)
    return undefined;
  return ms / DAY_MS;
}

export const refIsValidDate = (date: string): boolean => refDayNumber(date) !== undefined;

export const refFromDayNumber = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export function refAddDays(date: string, days: number): string {
  const day = refDayNumber(date);
  if (day === undefined) throw new RangeError(`not a date: ${date}`);
  return refFromDayNumber(day + days);
}

export function refDaysBetween(from: string, to: string): number {
  const a = refDayNumber(from);
  const b = refDayNumber(to);
  if (a === undefined || b === undefined) throw new RangeError(`not a date: ${a === undefined ? from : to}`);
  return b - a;
}

function forEachGrant(
  flag: Flag,
  visit: (
    grant: NonNullable<Flag['environments'][string]['grants']>[number],
    path: (string | number)[],
    env: string,
  ) => void,
): void {
  for (const [env, config] of Object.entries(flag.environments)) {
    (config.grants ?? []).forEach((grant, i) => {
      visit(grant, ['environments', env, 'grants', i], env);
    });
  }
}

export function refLifecycleRules(today: string): FlagRule[] {
  const expiry: FlagRule = ({ flag, policy, report }) => {
    if (!isTemporary(flag.type)) return;
    const max = policy.types[flag.type].maxLifetimeDays;
    if (flag.expires === undefined) {
      const suggestion = max === undefined ? '' : ` (at most ${refAddDays(today, max)})`;
      report(
        'lifecycle/missing-expiry',
        ['type'],
        `${flag.type} flags are temporary and need an expiry`,
        `add expires: <date>${suggestion}`,
      );
      return;
    }
    if (!refIsValidDate(flag.expires)) return;
    const left = refDaysBetween(today, flag.expires);
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
        `set expires to ${refAddDays(today, max)} or earlier`,
      );
    }
  };

  const longLivedExpiry: FlagRule = ({ flag, report }) => {
    if (isTemporary(flag.type) || flag.expires === undefined || !refIsValidDate(flag.expires)) return;
    const left = refDaysBetween(today, flag.expires);
    if (left < 0)
      report(
        'lifecycle/expired',
        ['expires'],
        `flag expired on ${flag.expires} (${-left} day${left === -1 ? '' : 's'} ago)`,
        'remove the flag, or extend expires',
      );
  };

  const grants: FlagRule = ({ flag, report }) => {
    forEachGrant(flag, (grant, path, env) => {
      if (grant.expires === undefined || !refIsValidDate(grant.expires)) return;
      const left = refDaysBetween(today, grant.expires);
      if (left < 0) {
        report(
          'lifecycle/grant-expired',
          [...path, 'expires'],
          `grant to "${grant.org}" in ${env} expired on ${grant.expires}`,
          'remove the grant, or extend it with the agreement or ticket that justifies it',
        );
      }
    });
  };

  const review: FlagRule = ({ flag, policy, report }) => {
    if (
      flag.reviewed !== undefined &&
      refIsValidDate(flag.reviewed) &&
      refDaysBetween(today, flag.reviewed) > 0
    ) {
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
    if (!refIsValidDate(flag.reviewed)) return;
    const due = refAddDays(flag.reviewed, cadence);
    if (refDaysBetween(due, today) > 0) {
      report(
        'lifecycle/review-overdue',
        ['reviewed'],
        `review was due on ${due} (last reviewed ${flag.reviewed}, every ${cadence} days)`,
        `have ${flag.owner} confirm the flag and set reviewed: ${today}, or retire it`,
      );
    }
  };

  // An archived flag owes no dates.
  return [expiry, longLivedExpiry, grants, review].map(
    (rule): FlagRule =>
      (ctx) => {
        if (ctx.flag.archived !== true) rule(ctx);
      },
  );
}

/** GitHub's rule read literally: from the last rule back, the first whose pattern matches. */
export function refOwnersOf(codeowners: Pick<Codeowners, 'rules'>, path: string): CodeownersRule | undefined {
  for (let i = codeowners.rules.length - 1; i >= 0; i--) {
    const rule = codeowners.rules[i]!;
    if (rule.regex.test(path)) return rule;
  }
  return undefined;
}

export function refOwnershipRule(codeowners: Codeowners): FlagRule {
  return ({ file, flag, report }) => {
    const rule = refOwnersOf(codeowners, file);
    if (rule === undefined || rule.owners.length === 0) {
      report(
        'ownership/unowned-file',
        ['owner'],
        `no ${codeowners.file} rule assigns owners to ${file}`,
        `add a line "${file} ${flag.owner}" to ${codeowners.file}, or run flags codeowners --write`,
      );
      return;
    }
    const owners = rule.owners.map((o) => o.toLowerCase());
    if (!owners.includes(flag.owner.toLowerCase())) {
      report(
        'ownership/owner-mismatch',
        ['owner'],
        `owner ${flag.owner} is not a code owner of ${file} (${codeowners.file}:${rule.line} "${rule.pattern}" assigns ${rule.owners.join(' ')})`,
        `make ${flag.owner} an owner in ${codeowners.file}, or set owner to one of ${rule.owners.join(', ')}`,
      );
    }
  };
}

interface Reduced {
  key: string;
  bytes: number;
  everyone: boolean | undefined;
  percentage: number;
  inRolloutOn: boolean;
  grants: Map<string, boolean>;
}

const keyBytes = (key: string): number => claimBytes([key]) - 1;

function reduce(flag: Flag, environment: string, today: string): Reduced | undefined {
  const boolean = flag.variants === undefined;
  const variants = flag.variants ?? {};
  const first = Object.keys(variants)[0];
  if (!boolean && typeof (first === undefined ? undefined : variants[first]) !== 'boolean') return undefined;
  const isOn = (variant: string) => (boolean ? variant === 'on' : variants[variant] === true);
  const config = flag.environments[environment];
  const reduced: Reduced = {
    key: flag.key,
    bytes: keyBytes(flag.key),
    everyone: false,
    percentage: 0,
    inRolloutOn: false,
    grants: new Map(),
  };
  if (!config?.enabled) {
    reduced.everyone = isOn(offVariantOf(flag));
    return reduced;
  }
  const defaultOn = isOn(defaultVariantOf(flag, config));
  const percentage = config.rollout?.percentage ?? 0;
  const rolloutOn = config.rollout !== undefined && isOn(targetVariantOf(flag, config.rollout.variant));
  reduced.everyone =
    percentage <= 0
      ? defaultOn
      : percentage >= 100
        ? rolloutOn
        : rolloutOn === defaultOn
          ? defaultOn
          : undefined;
  reduced.percentage = percentage;
  reduced.inRolloutOn = rolloutOn;
  for (const grant of config.grants ?? []) {
    if (grant.expires !== undefined && refIsValidDate(grant.expires) && grant.expires < today) {
      reduced.grants.delete(grant.org);
      continue;
    }
    reduced.grants.set(grant.org, isOn(targetVariantOf(flag, grant.variant)));
  }
  return reduced;
}

/** Every organization named in a grant, sized flag by flag (only bucketing when it could matter). */
export function refClaimOverruns(
  flags: readonly { file: string; flag: Flag }[],
  policy: Policy,
  today: string,
): ClaimOverrun[] {
  const budget = policy.limits.maxClaimBytes;
  const byKey = new Map<string, Flag>();
  for (const { flag } of flags) byKey.set(flag.key, flag);
  const out: ClaimOverrun[] = [];
  for (const environment of policy.environments) {
    const base = new Set<string>();
    const reduced: Reduced[] = [];
    for (const flag of byKey.values()) {
      const r = reduce(flag, environment, today);
      if (!r) continue;
      reduced.push(r);
      if (r.everyone === true) base.add(r.key);
    }
    const size = (keys: Iterable<string>) => claimBytes([...keys]);
    if (size(base) > budget) {
      out.push({ environment, bytes: size(base), keys: base.size, budget });
      continue;
    }
    const orgs = new Set<string>();
    for (const r of reduced) for (const org of r.grants.keys()) orgs.add(org);
    for (const org of [...orgs].sort()) {
      const keys: string[] = [];
      for (const r of reduced) {
        const granted = r.grants.get(org);
        const on =
          granted !== undefined
            ? granted
            : r.everyone !== undefined
              ? r.everyone
              : bucketOf(r.key, org) < r.percentage === r.inRolloutOn;
        if (on) keys.push(r.key);
      }
      const bytes = size(keys);
      if (bytes <= budget) continue;
      out.push({
        environment,
        organization: org,
        bytes,
        keys: keys.length,
        budget,
        firstGrant: firstGrant(flags, environment, org),
      });
    }
  }
  return out;
}

function firstGrant(
  flags: readonly { file: string; flag: Flag }[],
  environment: string,
  org: string,
): { file: string; index: number } | undefined {
  const sorted = [...flags].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const { file, flag } of sorted) {
    const index = (flag.environments[environment]?.grants ?? []).findIndex((g) => g.org === org);
    if (index !== -1) return { file, index };
  }
  return undefined;
}
