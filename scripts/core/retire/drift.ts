import { type Agreement, isInForce, isNotYetInForce } from '../agreements/model.js';
import type { Flag } from '../model/flag.js';
import { indexAgreements } from './due.js';
import type { Drift, PlanInput } from './model.js';

/**
 * Compares the agreements export with the grants and reports what disagrees. None of it is fixed
 * automatically: granting access is a decision people make in a reviewed pull request.
 *
 * - missing-grant: an agreement in force whose `contract` column names a flag's `contract`, while that
 *   flag grants the organization nothing in its last configured environment (production);
 * - unreferenced-agreement: when the export has no contract column, an agreement in force that no
 *   grant cites;
 * - unknown-agreement: a grant cites an agreement the export does not have;
 * - org-mismatch: a grant cites an agreement the export lists for other organizations only;
 * - not-in-force: a grant cites an agreement that is not in force yet (pending or draft, or starting
 *   after today): access that nothing signed backs yet. Not revoked either: the agreement may be
 *   signed tomorrow, and revoking is for agreements that ended.
 */
export function findDrift(input: Pick<PlanInput, 'flags' | 'policy' | 'today' | 'agreements'>): Drift[] {
  const agreements = input.agreements;
  if (!agreements) return [];
  const drift: Drift[] = [];
  const index = indexAgreements(agreements);
  const cited = new Set<string>();
  for (const { flag } of input.flags) {
    for (const env of Object.keys(flag.environments).sort()) {
      for (const grant of flag.environments[env]?.grants ?? []) {
        if (!grant.agreement) continue;
        cited.add(`${grant.org}\0${grant.agreement}`);
        const rows = index.get(grant.agreement);
        if (!rows) {
          drift.push({
            kind: 'unknown-agreement',
            org: grant.org,
            agreement: grant.agreement,
            key: flag.key,
            env,
            message: `${flag.key} grants ${grant.org} in ${env} under ${grant.agreement}, which the export does not list`,
          });
        } else if (rows.some((r) => r.org === grant.org && isNotYetInForce(r, input.today))) {
          const row = rows.find((r) => r.org === grant.org)!;
          const why =
            row.status === 'pending'
              ? `is ${row.rawStatus}`
              : `starts on ${row.startDate} (${row.rawStatus})`;
          drift.push({
            kind: 'not-in-force',
            org: grant.org,
            agreement: grant.agreement,
            key: flag.key,
            env,
            line: row.line,
            message: `${flag.key} grants ${grant.org} in ${env} under ${grant.agreement}, which is not in force yet: it ${why}`,
          });
        } else if (!rows.some((r) => r.org === grant.org)) {
          drift.push({
            kind: 'org-mismatch',
            org: grant.org,
            agreement: grant.agreement,
            key: flag.key,
            env,
            message: `${flag.key} grants ${grant.org} in ${env} under ${grant.agreement}, which the export lists for ${rows.map((r) => r.org).join(', ')}`,
          });
        }
      }
    }
  }
  const hasContracts = agreements.some((a) => a.contract !== undefined);
  const byContract = new Map<string, Flag[]>();
  for (const { flag } of input.flags) {
    if (!flag.contract) continue;
    const list = byContract.get(flag.contract) ?? [];
    list.push(flag);
    byContract.set(flag.contract, list);
  }
  for (const row of agreements) {
    if (!isInForce(row, input.today)) continue;
    if (hasContracts) {
      if (!row.contract) continue;
      for (const flag of byContract.get(row.contract) ?? []) {
        const env = lastEnvironment(flag, input.policy.environments);
        if (!env) continue;
        const config = flag.environments[env]!;
        if (!config.enabled || config.default === true) continue;
        if ((config.grants ?? []).some((g) => g.org === row.org)) continue;
        drift.push(missingGrant(row, flag, env));
      }
    } else if (!cited.has(`${row.org}\0${row.agreement}`)) {
      drift.push({
        kind: 'unreferenced-agreement',
        org: row.org,
        agreement: row.agreement,
        line: row.line,
        message: `${row.org} holds ${row.agreement} (${row.rawStatus}) but no grant cites it`,
      });
    }
  }
  return drift.sort(
    (a, b) =>
      cmp(a.kind, b.kind) ||
      cmp(a.key ?? '', b.key ?? '') ||
      cmp(a.org, b.org) ||
      cmp(a.agreement, b.agreement),
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function lastEnvironment(flag: Flag, order: readonly string[]): string | undefined {
  return [...order].reverse().find((env) => flag.environments[env] !== undefined);
}

function missingGrant(row: Agreement, flag: Flag, env: string): Drift {
  return {
    kind: 'missing-grant',
    org: row.org,
    agreement: row.agreement,
    key: flag.key,
    env,
    contract: row.contract!,
    line: row.line,
    message: `${row.org} holds ${row.agreement} for ${row.contract} (${row.rawStatus}) but ${flag.key} does not grant it in ${env}`,
  };
}
