import { bucketOf } from '../../runtime/murmur3.js';
import { compileEnvironment } from '../bundle/compile.js';
import { daysBetween, type IsoDate } from '../dates.js';
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

export function claimOverruns(
  flags: readonly { file: string; flag: Flag }[],
  policy: Policy,
  today: IsoDate,
): ClaimOverrun[] {
  const budget = policy.limits.maxClaimBytes;
  const byKey = new Map<string, string>();
  for (const { file, flag } of flags) if (!byKey.has(flag.key)) byKey.set(flag.key, file);
  const out: ClaimOverrun[] = [];
  for (const environment of policy.environments) {
    const content = compileEnvironment(flags, policy, environment);
    const base = new Set<string>();
    let baseSum = 0;
    /** Flags whose value depends on the organization's rollout bucket. */
    const mixed: { key: string; bytes: number; percentage: number; inRolloutOn: boolean }[] = [];
    let mixedSum = 0;
    /** Organization → its applying grants: which flags they turn on (or off). */
    const granted = new Map<string, { key: string; on: boolean }[]>();
    const keyBytes = (key: string) => claimBytes([key]) - 1; // the key with one separator
    for (const key of Object.keys(content.flags)) {
      const flag = content.flags[key]!;
      if (flag.valueType !== 'boolean') continue;
      const bytes = keyBytes(key);
      if (!flag.enabled) {
        if (flag.variants[flag.offVariant] === true) {
          base.add(key);
          baseSum += bytes;
        }
        continue;
      }
      const defaultOn = flag.variants[flag.defaultVariant] === true;
      const percentage = flag.rollout?.percentage ?? 0;
      const rolloutOn = flag.rollout !== undefined && flag.variants[flag.rollout.variant] === true;
      const uniform = percentage <= 0 ? defaultOn : percentage >= 100 ? rolloutOn : undefined;
      if (uniform === true || (uniform === undefined && rolloutOn === defaultOn && defaultOn)) {
        base.add(key);
        baseSum += bytes;
      } else if (uniform === undefined && rolloutOn !== defaultOn) {
        mixed.push({ key, bytes, percentage, inRolloutOn: rolloutOn });
        mixedSum += bytes;
      }
      for (const org of Object.keys(flag.grants)) {
        const grant = flag.grants[org]!;
        if (grant.expires !== undefined && daysBetween(today, grant.expires) < 0) continue;
        const list = granted.get(org) ?? [];
        list.push({ key, on: flag.variants[grant.variant] === true });
        granted.set(org, list);
      }
    }
    const size = (count: number, sum: number) => (count === 0 ? 2 : 1 + sum);
    const baseSize = size(base.size, baseSum);
    if (baseSize > budget) {
      out.push({ environment, bytes: baseSize, keys: base.size, budget });
      continue;
    }
    const firstGrants = firstGrantOf(flags, environment);
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
      if (bytes > budget)
        out.push({
          environment,
          organization: org,
          bytes,
          keys: count,
          budget,
          firstGrant: firstGrants.get(org),
        });
    }
  }
  return out;
}

function firstGrantOf(
  flags: readonly { file: string; flag: Flag }[],
  environment: string,
): Map<string, { file: string; index: number }> {
  const first = new Map<string, { file: string; index: number }>();
  const sorted = [...flags].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const { file, flag } of sorted) {
    (flag.environments[environment]?.grants ?? []).forEach((grant, index) => {
      if (!first.has(grant.org)) first.set(grant.org, { file, index });
    });
  }
  return first;
}
