import type { ClaimChangeRange } from '../../runtime/bundle-format.js';
import type { Policy } from '../model/policy.js';
import { type ChangedFile, changedFlagsOf, claimChangeRange, diffClaims } from './changes.js';

/**
 * A bundle's claimChanges per environment, from the flag files that changed since each of the
 * last few versions of the flags (the ranges of serials that held them). Both sides are evaluated
 * at one instant that depends on the commit alone (its time), so rebuilding a commit gives the
 * same content, as verifiers require of a serial; what the clock changes later, the runtime
 * reports by itself (nextChangeAt).
 */

export interface FeedRange {
  from: number;
  to: number;
  files: readonly ChangedFile[] | 'everyone';
}

export function claimFeed(
  ranges: readonly FeedRange[],
  policy: Policy,
  environments: readonly string[],
  at: number,
): Map<string, ClaimChangeRange[]> {
  const feed = new Map<string, ClaimChangeRange[]>(environments.map((e) => [e, []]));
  for (const { from, to, files } of ranges) {
    const changed = files === 'everyone' ? 'everyone' : changedFlagsOf(files, policy);
    for (const environment of environments)
      feed
        .get(environment)!
        .push(
          claimChangeRange(
            from,
            to,
            changed === 'everyone' ? 'everyone' : diffClaims(changed, environment, at),
          ),
        );
  }
  return feed;
}
