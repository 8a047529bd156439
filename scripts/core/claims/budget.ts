import { defaultVariantOf, offVariantOf, targetVariantOf } from '../model/variants.js';
import { bucketAfter, bucketOf, type KeyPrefix, keyPrefix } from '../../runtime/murmur3.js';
import { type IsoDate, isValidDate } from '../dates.js';
import type { Flag, FlagEnvironment } from '../model/flag.js';
import type { Policy } from '../model/policy.js';

/**
 * Which organizations' `feature_flags` claims exceed `policy.limits.maxClaimBytes`, per environment.
 *
 * Evaluating every organization against every flag is organizations × flags; this runs inside
 * `flags check` on 10,000-flag repositories, so it bounds first and looks closer only while a bound
 * is over budget. A claim's size is additive: 2 bytes of brackets, plus each key's JSON bytes, plus
 * a comma between keys. The bounds, from the cheapest:
 * - every key: no claim can hold more than all the keys there are. When they fit, nothing is over
 *   budget and no flag is looked into (the usual case: budgets are set with room to grow).
 * - per environment, `base`: flags on for every organization without a grant (on by default and
 *   not rolled back, a 100% rollout, or off-variant true). When the base alone is over budget, so
 *   is every organization without grants, and that is one overrun with no organization named.
 * - per environment, base + every flag whose value depends on the rollout bucket + every flag with
 *   a grant there: no organization's claim can be larger, and no grant needs reading for it.
 * - per organization named in a grant: base + its grants + every bucket-dependent flag; only when
 *   that is over budget are those bucketed, exactly as the Evaluator does.
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

/** Keys and their bytes (each with its comma), added up. */
interface Sum {
  keys: number;
  bytes: number;
}

const ASCII_KEY = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;
const encoder = new TextEncoder();

/**
 * JSON bytes of one key in the claim array, with its comma: claimBytes([key]) - 1. Counted here
 * rather than with claim.ts's claimBytes, whose module loads the Evaluator and the bundle compiler,
 * which `flags check` has no use for.
 */
export const claimKeyBytes = (key: string): number =>
  ASCII_KEY.test(key) ? key.length + 3 : encoder.encode(JSON.stringify(key)).length + 1;

/** Bytes of a claim whose keys add up to `sum`. */
const claimSize = (sum: Sum): number => (sum.keys === 0 ? 2 : 1 + sum.bytes);

const add = (sum: Sum, bytes: number): void => {
  sum.keys++;
  sum.bytes += bytes;
};

export function claimOverruns(
  flags: readonly { file: string; flag: Flag }[],
  policy: Policy,
  today: IsoDate,
): ClaimOverrun[] {
  const budget = policy.limits.maxClaimBytes;
  if (claimSize(allKeys(flags)) <= budget) return [];
  // One flag per key, the last one winning, as in a compiled bundle; archived flags are in no claim.
  const byKey = new Map<string, Flag>();
  for (const { flag } of flags) if (flag.archived !== true) byKey.set(flag.key, flag);
  const claimed = [...byKey.values()].filter(inClaims);
  const bounds = environmentBounds(claimed, policy.environments);
  const out: ClaimOverrun[] = [];
  let firstGrants: Map<string, Map<string, { file: string; index: number }>> | undefined;
  policy.environments.forEach((environment, e) => {
    const { base, bound } = bounds[e]!;
    if (claimSize(base) > budget) {
      out.push({ environment, bytes: claimSize(base), keys: base.keys, budget });
      return;
    }
    if (claimSize(bound) <= budget) return;
    for (const { organization, bytes, keys } of organizationsOver(claimed, environment, today, budget)) {
      firstGrants ??= firstGrantsOf(flags);
      const firstGrant = firstGrants.get(environment)?.get(organization);
      out.push({ environment, organization, bytes, keys, budget, firstGrant });
    }
  });
  return out;
}

/**
 * Every key that can be in a claim, added up: the largest claim there can be, and so the first
 * bound. It looks at no environment, and a budget sized for the repository is usually above it.
 * (A key declared twice counts twice, which only makes the bound larger.)
 */
function allKeys(flags: readonly { flag: Flag }[]): Sum {
  const sum: Sum = { keys: 0, bytes: 0 };
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!.flag;
    if (!inClaims(flag)) continue;
    sum.keys++;
    sum.bytes += claimKeyBytes(flag.key);
  }
  return sum;
}

/** Flags whose variants are not booleans never appear in a claim. */
function inClaims(flag: Flag): boolean {
  const variants = flag.variants;
  if (variants === undefined) return true;
  const first = Object.keys(variants)[0];
  return typeof (first === undefined ? undefined : variants[first]) === 'boolean';
}

/** Per environment: the base, and the bound no organization's claim can exceed. */
function environmentBounds(
  flags: readonly Flag[],
  environments: readonly string[],
): { base: Sum; bound: Sum }[] {
  const bounds = environments.map(() => ({ base: { keys: 0, bytes: 0 }, bound: { keys: 0, bytes: 0 } }));
  // 10,000 flags × every environment, mostly before the JIT has warmed up: the sums are added in
  // place rather than through add().
  for (const flag of flags) {
    const bytes = claimKeyBytes(flag.key);
    for (let e = 0; e < environments.length; e++) {
      const config = flag.environments[environments[e]!];
      const everyone = withoutGrant(flag, config);
      const { base, bound } = bounds[e]!;
      if (everyone === true) {
        base.keys++;
        base.bytes += bytes;
      } else if (everyone === false && !(config?.enabled && (config.grants?.length ?? 0) > 0)) continue;
      // On for everyone, or for some organizations: from the bucket, or from a grant (read or not).
      bound.keys++;
      bound.bytes += bytes;
    }
  }
  return bounds;
}

/**
 * What an organization without a grant gets in this environment: true (the key is in its claim),
 * false, or undefined when that depends on its rollout bucket. The same answers as compileFlag +
 * Evaluator.isEnabled; test/governance/claims.test.ts holds the two together.
 */
function withoutGrant(flag: Flag, config: FlagEnvironment | undefined): boolean | undefined {
  if (flag.variants === undefined) {
    // Most flags are boolean: variants.ts's reading of them, without its calls. An environment that
    // is off or not configured serves `off`; the default serves `on` when it is true (or names
    // `on`); a rollout serves `on`.
    if (!config?.enabled) return false;
    const defaultOn = config.default === true || config.default === 'on';
    const percentage = config.rollout?.percentage ?? 0;
    if (percentage <= 0) return defaultOn;
    return percentage >= 100 || defaultOn ? true : undefined;
  }
  if (!config?.enabled) return isOn(flag.variants, offVariantOf(flag));
  const defaultOn = isOn(flag.variants, defaultVariantOf(flag, config));
  const percentage = config.rollout?.percentage ?? 0;
  if (percentage <= 0) return defaultOn;
  const rolloutOn = rolloutIsOn(flag, config);
  if (percentage >= 100) return rolloutOn;
  return rolloutOn === defaultOn ? defaultOn : undefined;
}

const rolloutIsOn = (flag: Flag, config: FlagEnvironment): boolean =>
  config.rollout !== undefined && isOn(flag.variants, targetVariantOf(flag, config.rollout.variant));

/** Whether a variant puts the key in the claim: `on` of a boolean flag, a variant whose value is true. */
const isOn = (variants: Flag['variants'], variant: string): boolean =>
  variants === undefined ? variant === 'on' : variants[variant] === true;

/** A flag whose value in the environment depends on the organization's rollout bucket. */
interface Rollout {
  key: string;
  bytes: number;
  percentage: number;
  /** Whether organizations inside the rollout get the key (those outside get the opposite). */
  inRolloutOn: boolean;
  /** murmur3 state after the key, computed the first time an organization is bucketed. */
  prefix: KeyPrefix | undefined | null;
  /** The serial of the organization whose grant decides this flag, while that one is sized. */
  decidedFor: number;
}

/** One organization: what its applying grants change against the base claim. */
interface Tally extends Sum {
  /** Bucket-dependent flags its grants decide instead of the bucket. */
  decided: Rollout[];
}

/** The organizations named in a grant whose claim is over budget, sorted by id. */
function organizationsOver(
  flags: readonly Flag[],
  environment: string,
  today: IsoDate,
  budget: number,
): { organization: string; bytes: number; keys: number }[] {
  const base: Sum = { keys: 0, bytes: 0 };
  const rollouts: Rollout[] = [];
  const rolloutSum: Sum = { keys: 0, bytes: 0 };
  const tallies = new Map<string, Tally>();
  for (const flag of flags) {
    const config = flag.environments[environment];
    const bytes = claimKeyBytes(flag.key);
    const everyone = withoutGrant(flag, config);
    if (everyone === true) add(base, bytes);
    // Grants apply only where the flag is enabled; so does a rollout, hence bucket dependence.
    if (!config?.enabled) continue;
    let rollout: Rollout | undefined;
    if (everyone === undefined) {
      rollout = {
        key: flag.key,
        bytes,
        percentage: config.rollout?.percentage ?? 0,
        inRolloutOn: rolloutIsOn(flag, config),
        prefix: undefined,
        decidedFor: 0,
      };
      rollouts.push(rollout);
      add(rolloutSum, bytes);
    }
    const grants = config.grants ?? [];
    const lastOf = grants.length > 16 ? lastIndexByOrganization(grants) : undefined;
    for (let i = 0; i < grants.length; i++) {
      const grant = grants[i]!;
      // A later grant of the same organization replaces this one, as in the compiled bundle; an
      // expired grant applies to no one (and so removes the ones it replaced).
      if (lastOf ? lastOf.get(grant.org) !== i : replacedLater(grants, i)) continue;
      if (grant.expires !== undefined && isValidDate(grant.expires) && grant.expires < today) continue;
      const on = isOn(flag.variants, targetVariantOf(flag, grant.variant));
      let tally = tallies.get(grant.org);
      if (tally === undefined) {
        tally = { keys: 0, bytes: 0, decided: [] };
        tallies.set(grant.org, tally);
      }
      if (on && everyone !== true) add(tally, bytes);
      else if (!on && everyone === true) {
        tally.keys--;
        tally.bytes -= bytes;
      }
      if (rollout) tally.decided.push(rollout);
    }
  }
  const over: { organization: string; bytes: number; keys: number }[] = [];
  let serial = 0;
  for (const [organization, tally] of tallies) {
    const sum: Sum = { keys: base.keys + tally.keys, bytes: base.bytes + tally.bytes };
    // Its bound: as if the organization were inside every rollout that turns a key on.
    if (claimSize({ keys: sum.keys + rolloutSum.keys, bytes: sum.bytes + rolloutSum.bytes }) <= budget)
      continue;
    serial++;
    for (const rollout of tally.decided) rollout.decidedFor = serial;
    for (const rollout of rollouts) {
      if (rollout.decidedFor === serial) continue;
      if (bucket(rollout, organization) < rollout.percentage === rollout.inRolloutOn) add(sum, rollout.bytes);
    }
    if (claimSize(sum) > budget) over.push({ organization, bytes: claimSize(sum), keys: sum.keys });
  }
  return over.sort((a, b) =>
    a.organization < b.organization ? -1 : a.organization > b.organization ? 1 : 0,
  );
}

type Grants = NonNullable<FlagEnvironment['grants']>;

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
 * One flag in one environment as claims see it, or undefined for a flag that is never in a claim.
 * The straightforward form of what claimOverruns adds up; the claim peaks of the incremental check
 * (peaks.ts) read it, and test/rules/fast-rules.test.ts holds the two together.
 */
export function reduceForClaims(flag: Flag, environment: string, today: IsoDate): ReducedFlag | undefined {
  if (!inClaims(flag)) return undefined;
  const config = flag.environments[environment];
  const reduced: ReducedFlag = {
    key: flag.key,
    bytes: claimKeyBytes(flag.key),
    everyone: withoutGrant(flag, config),
    percentage: 0,
    inRolloutOn: false,
    grants: new Map(),
  };
  if (!config?.enabled) return reduced;
  reduced.percentage = config.rollout?.percentage ?? 0;
  reduced.inRolloutOn = rolloutIsOn(flag, config);
  for (const grant of config.grants ?? []) {
    // Later grants of the same organization replace earlier ones, as in the compiled bundle.
    if (grant.expires !== undefined && isValidDate(grant.expires) && grant.expires < today) {
      reduced.grants.delete(grant.org);
      continue;
    }
    reduced.grants.set(grant.org, isOn(flag.variants, targetVariantOf(flag, grant.variant)));
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
