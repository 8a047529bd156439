import { defaultVariantOf, offVariantOf, targetVariantOf } from '../model/variants.js';
import { bucketOf } from '../../runtime/murmur3.js';
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

interface Candidate {
  key: string;
  bytes: number;
}

/** One flag in one environment, reduced to what decides whether its key is in a claim. */
interface Reduced {
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

const ASCII_KEY = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON bytes of one key in the array, with its comma. */
const keyBytes = (key: string): number => (ASCII_KEY.test(key) ? key.length + 3 : claimBytes([key]) - 1);

/**
 * The same answers as compileFlag + Evaluator.isEnabled (the tests hold the two together), without
 * building a bundle: this runs in every `flags check`.
 */
function reduce(flag: Flag, environment: string, today: IsoDate): Reduced | undefined {
  const boolean = flag.variants === undefined;
  const variants = flag.variants ?? {};
  const first = Object.keys(variants)[0];
  if (!boolean && typeof (first === undefined ? undefined : variants[first]) !== 'boolean') return undefined;
  const isOn = (variant: string) => (boolean ? variant === 'on' : variants[variant] === true);
  const offVariant = offVariantOf(flag);
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
    reduced.everyone = isOn(offVariant);
    return reduced;
  }
  const fallback = defaultVariantOf(flag, config);
  const defaultOn = isOn(fallback);
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
    // Later grants of the same organization replace earlier ones, as in the compiled bundle.
    if (grant.expires !== undefined && isValidDate(grant.expires) && grant.expires < today) {
      reduced.grants.delete(grant.org);
      continue;
    }
    reduced.grants.set(grant.org, isOn(targetVariantOf(flag, grant.variant)));
  }
  return reduced;
}

export function claimOverruns(
  flags: readonly { file: string; flag: Flag }[],
  policy: Policy,
  today: IsoDate,
): ClaimOverrun[] {
  const budget = policy.limits.maxClaimBytes;
  // One flag per key, the last one winning, as in a compiled bundle.
  const byKey = new Map<string, Flag>();
  for (const { flag } of flags) byKey.set(flag.key, flag);
  const out: ClaimOverrun[] = [];
  let firstGrants: Map<string, Map<string, { file: string; index: number }>> | undefined;
  for (const environment of policy.environments) {
    const base = new Set<string>();
    let baseSum = 0;
    const mixed: Reduced[] = [];
    let mixedSum = 0;
    /** Organization → its applying grants: which flags they turn on (or off). */
    const granted = new Map<string, { key: string; on: boolean }[]>();
    for (const flag of byKey.values()) {
      const r = reduce(flag, environment, today);
      if (!r) continue;
      if (r.everyone === true) {
        base.add(r.key);
        baseSum += r.bytes;
      } else if (r.everyone === undefined) {
        mixed.push(r);
        mixedSum += r.bytes;
      }
      for (const [org, on] of r.grants) {
        const list = granted.get(org);
        if (list) list.push({ key: r.key, on });
        else granted.set(org, [{ key: r.key, on }]);
      }
    }
    const size = (count: number, sum: number) => (count === 0 ? 2 : 1 + sum);
    const baseSize = size(base.size, baseSum);
    if (baseSize > budget) {
      out.push({ environment, bytes: baseSize, keys: base.size, budget });
      continue;
    }
    for (const org of [...granted.keys()].sort()) {
      const grants = granted.get(org)!;
      const added: Candidate[] = [];
      const removed = new Set<string>();
      const overridden = new Set<string>();
      for (const grant of grants) {
        overridden.add(grant.key);
        if (grant.on && !base.has(grant.key)) added.push({ key: grant.key, bytes: keyBytes(grant.key) });
        if (!grant.on && base.has(grant.key)) removed.add(grant.key);
      }
      let count = base.size - removed.size + added.length;
      let sum = baseSum + added.reduce((s, c) => s + c.bytes, 0);
      for (const key of removed) sum -= keyBytes(key);
      if (size(count + mixed.length, sum + mixedSum) <= budget) continue;
      for (const rollout of mixed) {
        if (overridden.has(rollout.key)) continue;
        if (bucketOf(rollout.key, org) < rollout.percentage === rollout.inRolloutOn) {
          count++;
          sum += rollout.bytes;
        }
      }
      const bytes = size(count, sum);
      if (bytes <= budget) continue;
      firstGrants ??= firstGrantsOf(flags);
      out.push({
        environment,
        organization: org,
        bytes,
        keys: count,
        budget,
        firstGrant: firstGrants.get(environment)?.get(org),
      });
    }
  }
  return out;
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
