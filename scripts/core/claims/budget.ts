import { defaultVariantOf, offVariantOf, targetVariantOf } from '../model/variants.js';
import { bucketAfter, bucketOf, type KeyPrefix, keyPrefix } from '../../runtime/murmur3.js';
import { type IsoDate, isValidDate } from '../dates.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { claimBytes } from './claim.js';

/**
 * Which organizations' `feature_flags` claims exceed `policy.limits.maxClaimBytes`, per environment.
 *
 * Evaluating every organization against every flag is organizations × flags; this runs inside
 * `flags check` on 10,000-flag repositories, so it bounds first and evaluates only when the bound
 * is over budget. A claim's size is additive: 2 bytes of brackets, plus each key's JSON bytes,
 * plus a comma between keys. Per environment:
 * - `base`: flags on for every organization without a grant (on by default and not rolled back, a
 *   100% rollout, or off-variant true). When the base alone is over budget, so is every organization
 *   without grants, and that is one overrun with no organization named.
 * - each organization named in a grant: its bound is base + its grants + every flag whose value
 *   depends on the rollout bucket; only when the bound is over budget are those bucketed, exactly
 *   as the Evaluator does.
 * Organizations without grants get base plus the partial rollouts their id falls into; those cannot
 * be listed, so they are judged by the base.
 *
 * The whole pass reads each flag once and keeps running totals per environment and organization
 * instead of a reduced copy of every flag with a map of its grants: on 10,000 flags the copies and
 * their collection cost more than the arithmetic.
 */

export interface ClaimOverrun {
  environment: string;
  /** Undefined when every organization is over budget (the flags on by default already are). */
  organization?: string;
  bytes: number;
  keys: number;
  budget: number;
  /** For an organization: the flag file of its first grant in the environment (files in path order). */
  firstGrant?: { file: string; index: number };
}

/** A flag whose value in one environment depends on the organization's rollout bucket. */
interface Rollout {
  key: string;
  bytes: number;
  percentage: number;
  /** Whether organizations inside the rollout get the key (those outside get the opposite). */
  inRolloutOn: boolean;
  /** murmur3 state after the key, computed the first time an organization is bucketed. */
  prefix: KeyPrefix | undefined | null;
  /** The serial of the organization whose grant overrides this rollout, while it is being sized. */
  overriddenFor: number;
}

/** One organization in one environment: how its applying grants change the base claim. */
interface Tally {
  /** Keys its grants add (on, not in the base) minus keys they remove (off, in the base). */
  keys: number;
  bytes: number;
  /** Bucket-dependent flags its grants decide instead of the bucket. */
  overrides: Rollout[] | undefined;
}

/** Running totals of one environment. */
interface Environment {
  name: string;
  baseKeys: number;
  baseBytes: number;
  rollouts: Rollout[];
  rolloutBytes: number;
  tallies: Map<string, Tally>;
}

const ASCII_KEY = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON bytes of one key in the claim array, with its comma. */
export const claimKeyBytes = (key: string): number =>
  ASCII_KEY.test(key) ? key.length + 3 : claimBytes([key]) - 1;

/** Bytes of a claim with `keys` keys whose bytes (each with its comma) add up to `bytes`. */
const claimSize = (keys: number, bytes: number): number => (keys === 0 ? 2 : 1 + bytes);

export function claimOverruns(
  flags: readonly { file: string; flag: Flag }[],
  policy: Policy,
  today: IsoDate,
): ClaimOverrun[] {
  const budget = policy.limits.maxClaimBytes;
  // One flag per key, the last one winning, as in a compiled bundle.
  const byKey = new Map<string, Flag>();
  for (const { flag } of flags) byKey.set(flag.key, flag);
  const environments: Environment[] = policy.environments.map((name) => ({
    name,
    baseKeys: 0,
    baseBytes: 0,
    rollouts: [],
    rolloutBytes: 0,
    tallies: new Map(),
  }));
  for (const flag of byKey.values()) tallyFlag(flag, environments, today);

  const out: ClaimOverrun[] = [];
  let firstGrants: Map<string, Map<string, { file: string; index: number }>> | undefined;
  let serial = 0;
  for (const env of environments) {
    const baseSize = claimSize(env.baseKeys, env.baseBytes);
    if (baseSize > budget) {
      out.push({ environment: env.name, bytes: baseSize, keys: env.baseKeys, budget });
      continue;
    }
    const over: ClaimOverrun[] = [];
    for (const [org, tally] of env.tallies) {
      let keys = env.baseKeys + tally.keys;
      let bytes = env.baseBytes + tally.bytes;
      // The bound: as if the organization were inside every rollout that turns a key on.
      if (claimSize(keys + env.rollouts.length, bytes + env.rolloutBytes) <= budget) continue;
      serial++;
      for (const rollout of tally.overrides ?? []) rollout.overriddenFor = serial;
      for (const rollout of env.rollouts) {
        if (rollout.overriddenFor === serial) continue;
        if (bucket(rollout, org) < rollout.percentage === rollout.inRolloutOn) {
          keys++;
          bytes += rollout.bytes;
        }
      }
      const size = claimSize(keys, bytes);
      if (size <= budget) continue;
      firstGrants ??= firstGrantsOf(flags);
      over.push({
        environment: env.name,
        organization: org,
        bytes: size,
        keys,
        budget,
        firstGrant: firstGrants.get(env.name)?.get(org),
      });
    }
    over.sort((a, b) => (a.organization! < b.organization! ? -1 : a.organization! > b.organization! ? 1 : 0));
    out.push(...over);
  }
  return out;
}

/**
 * Adds one flag to the totals of every environment. The same answers as compileFlag +
 * Evaluator.isEnabled (test/governance/claims.test.ts holds the two together), without building a
 * bundle.
 */
function tallyFlag(flag: Flag, environments: readonly Environment[], today: IsoDate): void {
  const variants = flag.variants;
  if (variants !== undefined) {
    // Flags whose variants are not booleans never appear in a claim.
    const first = Object.keys(variants)[0];
    if (typeof (first === undefined ? undefined : variants[first]) !== 'boolean') return;
  }
  const bytes = claimKeyBytes(flag.key);
  for (const env of environments) {
    const config = flag.environments[env.name];
    if (!config?.enabled) {
      if (isOn(variants, offVariantOf(flag))) {
        env.baseKeys++;
        env.baseBytes += bytes;
      }
      continue;
    }
    const defaultOn = isOn(variants, defaultVariantOf(flag, config));
    const percentage = config.rollout?.percentage ?? 0;
    const rolloutOn =
      config.rollout !== undefined && isOn(variants, targetVariantOf(flag, config.rollout.variant));
    const everyone = everyoneOf(percentage, defaultOn, rolloutOn);
    let rollout: Rollout | undefined;
    if (everyone === true) {
      env.baseKeys++;
      env.baseBytes += bytes;
    } else if (everyone === undefined) {
      rollout = {
        key: flag.key,
        bytes,
        percentage,
        inRolloutOn: rolloutOn,
        prefix: undefined,
        overriddenFor: 0,
      };
      env.rollouts.push(rollout);
      env.rolloutBytes += bytes;
    }
    const grants = config.grants;
    if (grants === undefined) continue;
    const lastOf = grants.length > 16 ? lastIndexByOrganization(grants) : undefined;
    for (let i = 0; i < grants.length; i++) {
      const grant = grants[i]!;
      // A later grant of the same organization replaces this one, as in the compiled bundle; an
      // expired grant applies to no one (and so removes the ones it replaced).
      if (lastOf ? lastOf.get(grant.org) !== i : replacedLater(grants, i)) continue;
      if (grant.expires !== undefined && isValidDate(grant.expires) && grant.expires < today) continue;
      const on = isOn(variants, targetVariantOf(flag, grant.variant));
      let tally = env.tallies.get(grant.org);
      if (tally === undefined) {
        tally = { keys: 0, bytes: 0, overrides: undefined };
        env.tallies.set(grant.org, tally);
      }
      if (on && everyone !== true) {
        tally.keys++;
        tally.bytes += bytes;
      } else if (!on && everyone === true) {
        tally.keys--;
        tally.bytes -= bytes;
      }
      if (rollout) {
        if (tally.overrides === undefined) tally.overrides = [rollout];
        else tally.overrides.push(rollout);
      }
    }
  }
}

/** On for every organization without a grant, off for all of them, or undefined: it depends on the bucket. */
function everyoneOf(percentage: number, defaultOn: boolean, rolloutOn: boolean): boolean | undefined {
  if (percentage <= 0) return defaultOn;
  if (percentage >= 100) return rolloutOn;
  return rolloutOn === defaultOn ? defaultOn : undefined;
}

/** Whether a variant puts the key in the claim: `on` of a boolean flag, a variant whose value is true. */
const isOn = (variants: Flag['variants'], variant: string): boolean =>
  variants === undefined ? variant === 'on' : variants[variant] === true;

type Grants = NonNullable<Flag['environments'][string]['grants']>;

function replacedLater(grants: Grants, i: number): boolean {
  const org = grants[i]!.org;
  for (let j = i + 1; j < grants.length; j++) if (grants[j]!.org === org) return true;
  return false;
}

/** For long grant lists, where scanning ahead from every grant would be quadratic. */
function lastIndexByOrganization(grants: Grants): Map<string, number> {
  const last = new Map<string, number>();
  for (let i = 0; i < grants.length; i++) last.set(grants[i]!.org, i);
  return last;
}

/** bucketOf(key, org), continuing from the key's murmur3 state as the Evaluator does. */
function bucket(rollout: Rollout, org: string): number {
  if (rollout.prefix === undefined) rollout.prefix = keyPrefix(rollout.key) ?? null;
  return rollout.prefix === null ? bucketOf(rollout.key, org) : bucketAfter(rollout.prefix, rollout.key, org);
}

/** One flag in one environment, reduced to what decides whether its key is in a claim. */
export interface ReducedFlag {
  key: string;
  bytes: number;
  /** On for organizations without a grant, or undefined when that depends on the rollout bucket. */
  everyone: boolean | undefined;
  /** For bucket-dependent flags: the rollout share and whether the rolled-out value is on. */
  percentage: number;
  inRolloutOn: boolean;
  /** Organization → whether its grant (not expired) turns the key on. */
  grants: Map<string, boolean>;
}

/**
 * One flag in one environment as claims see it, or undefined for a flag that is never in a claim
 * (variants that are not booleans). The straightforward form of what tallyFlag adds up; the claim
 * peaks of the incremental check (peaks.ts) read it, and the tests hold the two together.
 */
export function reduceForClaims(flag: Flag, environment: string, today: IsoDate): ReducedFlag | undefined {
  const variants = flag.variants;
  if (variants !== undefined) {
    const first = Object.keys(variants)[0];
    if (typeof (first === undefined ? undefined : variants[first]) !== 'boolean') return undefined;
  }
  const config = flag.environments[environment];
  const reduced: ReducedFlag = {
    key: flag.key,
    bytes: claimKeyBytes(flag.key),
    everyone: false,
    percentage: 0,
    inRolloutOn: false,
    grants: new Map(),
  };
  if (!config?.enabled) {
    reduced.everyone = isOn(variants, offVariantOf(flag));
    return reduced;
  }
  const percentage = config.rollout?.percentage ?? 0;
  const rolloutOn =
    config.rollout !== undefined && isOn(variants, targetVariantOf(flag, config.rollout.variant));
  reduced.everyone = everyoneOf(percentage, isOn(variants, defaultVariantOf(flag, config)), rolloutOn);
  reduced.percentage = percentage;
  reduced.inRolloutOn = rolloutOn;
  for (const grant of config.grants ?? []) {
    // Later grants of the same organization replace earlier ones, as in the compiled bundle.
    if (grant.expires !== undefined && isValidDate(grant.expires) && grant.expires < today) {
      reduced.grants.delete(grant.org);
      continue;
    }
    reduced.grants.set(grant.org, isOn(variants, targetVariantOf(flag, grant.variant)));
  }
  return reduced;
}

/** Environment → organization → its first grant (flag files in path order). */
function firstGrantsOf(
  flags: readonly { file: string; flag: Flag }[],
): Map<string, Map<string, { file: string; index: number }>> {
  const first = new Map<string, Map<string, { file: string; index: number }>>();
  const sorted = [...flags].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const { file, flag } of sorted) {
    for (const [environment, config] of Object.entries(flag.environments)) {
      const orgs = first.get(environment) ?? new Map<string, { file: string; index: number }>();
      first.set(environment, orgs);
      (config.grants ?? []).forEach((grant, index) => {
        if (!orgs.has(grant.org)) orgs.set(grant.org, { file, index });
      });
    }
  }
  return first;
}
