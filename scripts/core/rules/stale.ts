import { daysBetween, type IsoDate, isValidDate } from '../dates.js';
import { finding, type Finding, type Position } from '../findings/finding.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { usageByKey, type UsageExport, usageEvidence } from '../usage/model.js';

/**
 * Stale flags (docs/lifecycle.md): warnings with their evidence, never errors, since being stale is
 * a question to the owner rather than a broken file.
 * - stale/past-lifetime: older, from its first commit, than the policy expects of its type
 *   (`stale.lifetimeDays`); only where git history gives the first commit;
 * - stale/unevaluated: not evaluated for `stale.unevaluatedAfterDays`; only with a usage export.
 * Archived flags are never stale: they are already where stale flags go.
 */

export interface StaleFlag {
  file: string;
  flag: Flag;
  /** Where the flag's key is written: what the findings point at. */
  at: Position;
}

export interface StaleInput {
  flags: readonly StaleFlag[];
  policy: Pick<Policy, 'stale'>;
  today: IsoDate;
  /** The day of each file's first commit; undefined without git history. */
  created?: ReadonlyMap<string, IsoDate>;
  usage?: UsageExport;
}

export const lifetimeConfigured = (policy: Pick<Policy, 'stale'>): boolean =>
  Object.keys(policy.stale.lifetimeDays).length > 0;

export function staleFindings(input: StaleInput): Finding[] {
  const { policy, today, created, usage } = input;
  const byKey = usage ? usageByKey(usage) : undefined;
  const after = policy.stale.unevaluatedAfterDays;
  const out: Finding[] = [];
  for (const { file, flag, at } of input.flags) {
    if (flag.archived === true) continue;
    const lifetime = policy.stale.lifetimeDays[flag.type];
    const first = created?.get(file);
    if (lifetime !== undefined && first !== undefined && isValidDate(first)) {
      const age = daysBetween(first, today);
      if (age > lifetime)
        out.push(
          finding(
            'stale/past-lifetime',
            file,
            at,
            `${flag.type} flag ${flag.key} is ${age} days old (first committed ${first}); ${flag.type} flags are expected to live ${lifetime} days`,
            `finish it: flags retire proposes deprecating or archiving it with its evidence; or raise stale.lifetimeDays.${flag.type} in the policy`,
            'key',
          ),
        );
    }
    if (byKey && usage) {
      const evidence = usageEvidence(byKey.get(flag.key), usage.since, today, after);
      if (evidence.unused)
        out.push(
          finding(
            'stale/unevaluated',
            file,
            at,
            `flag ${flag.key} is not evaluated: ${evidence.text} in ${usage.file}; flags unevaluated for ${after} days are stale`,
            'remove its code references and archive it (archived: true; flags retire proposes it), or find out why nothing asks for it',
            'key',
          ),
        );
    }
  }
  return out;
}
