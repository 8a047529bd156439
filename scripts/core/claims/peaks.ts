import type { FileResult } from '../check/file-result.js';
import type { IsoDate } from '../dates.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { claimKeyBytes, reduceForClaims } from './budget.js';

/**
 * Per environment, an upper bound on the `feature_flags` claim of any organization, in bytes: the
 * brackets, every flag on for organizations without a grant, every flag whose answer depends on
 * the rollout bucket, and the largest sum of grants that turn flags on for one organization. Every
 * organization's claim is at most this (one without grants gets no grant terms; bucketing can only
 * pick among the bucket-dependent flags). The incremental check (core/check/incremental.ts) keeps
 * it so it can tell, from the keys of the flags a change touched, that no claim can be over budget.
 */
export function claimPeaks(
  files: readonly FileResult[],
  policy: Policy,
  today: IsoDate,
): Record<string, number> {
  // Every flag, even one whose key another file repeats (a bundle keeps only the last): when a
  // change renames the later one, the earlier one comes back without being among the changed files.
  const flags: Flag[] = [];
  for (const result of files) if (result.flag) flags.push(result.flag);
  const peaks: Record<string, number> = {};
  for (const environment of policy.environments) {
    let shared = 2;
    const perOrganization = new Map<string, number>();
    let largest = 0;
    for (const flag of flags) {
      const reduced = reduceForClaims(flag, environment, today);
      if (!reduced) continue;
      if (reduced.everyone !== false) {
        // On for everyone, or for whoever the rollout picks: any organization may carry it.
        shared += reduced.bytes;
        continue;
      }
      for (const [organization, on] of reduced.grants) {
        if (!on) continue;
        const sum = (perOrganization.get(organization) ?? 0) + reduced.bytes;
        perOrganization.set(organization, sum);
        if (sum > largest) largest = sum;
      }
    }
    peaks[environment] = shared + largest;
  }
  return peaks;
}

export { claimKeyBytes };
