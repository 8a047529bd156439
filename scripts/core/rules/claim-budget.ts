import { claimOverruns } from '../claims/budget.js';
import { POLICY_FILE } from '../model/constants.js';
import type { PolicyPositions } from '../check/analyze-policy.js';
import type { FileResult } from '../check/file-result.js';
import type { IsoDate } from '../dates.js';
import { type Finding, finding, START } from '../findings/finding.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';

/**
 * `policy/claim-budget`: an organization's `feature_flags` claim over `limits.maxClaimBytes`, one
 * finding per organization and environment. Tokens that grow with every flag break at proxies and
 * cookies, so the gate stops the grant that tips one over.
 *
 * Position: the organization's first grant in that environment (flag files in path order), because
 * that is where a reviewer sees the organization; the `org` line when the position table holds it,
 * else the flag's `key`. When the flags on for everyone already exceed the budget, no organization
 * is to blame: one finding per environment at the policy file's `limits.maxClaimBytes` (or where it
 * would be set, when the policy keeps the default).
 */
export function claimBudgetFindings(input: {
  policy: Policy;
  policyAt?: PolicyPositions;
  files: readonly FileResult[];
  today: IsoDate;
}): Finding[] {
  // A file result is already a { file, flag }: no copy of 10,000 of them per check.
  const flags = input.files.filter((r): r is FileResult & { flag: Flag } => r.flag !== undefined);
  if (flags.length === 0) return [];
  const overruns = claimOverruns(flags, input.policy, input.today);
  if (overruns.length === 0) return [];
  const positions = new Map(input.files.map((r) => [r.file, r.positions]));
  const budget = input.policy.limits.maxClaimBytes;
  return overruns.map((over) => {
    if (over.organization === undefined || over.firstGrant === undefined) {
      return finding(
        'policy/claim-budget',
        POLICY_FILE,
        input.policyAt?.['limits.maxClaimBytes'] ?? START,
        `in ${over.environment} every organization's feature_flags claim is at least ${over.bytes} bytes (${over.keys} flags on for everyone), over the budget of ${budget}`,
        'turn default-on flags off in this environment, retire finished rollouts, or raise limits.maxClaimBytes',
        'limits.maxClaimBytes',
      );
    }
    const { file, index } = over.firstGrant;
    const path = ['environments', over.environment, 'grants', index, 'org'].join('.');
    const table = positions.get(file) ?? {};
    const at = table[path] ?? table['key'] ?? [1, 1];
    return finding(
      'policy/claim-budget',
      file,
      { line: at[0], col: at[1] },
      `the feature_flags claim of ${over.organization} in ${over.environment} is ${over.bytes} bytes (${over.keys} flags), over the budget of ${budget}`,
      `see it with flags claims --org ${over.organization} --env ${over.environment}; retire flags it no longer needs, or raise limits.maxClaimBytes`,
      path,
    );
  });
}
