import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IsoDate } from '../core/dates.js';
import { compareFindings, type Finding, finding, START } from '../core/findings/finding.js';
import { ORGANIZATIONS_DIR } from '../core/model/constants.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { type SubscriptionSource, withPlanGrants } from '../core/reconcile/expand.js';
import { type OrganizationFile, readOrganizationFile } from '../core/reconcile/organization-file.js';
import { contractFindings } from '../core/rules/contract-rules.js';
import { loadYaml, locate } from '../core/yaml/load.js';
import { loadEveryFlag } from './checked-repository.js';
import { POLICY_PATH, readOptional, sha256 } from './repo-files.js';
import type { LoadOptions } from './repository.js';

/**
 * Reads the organizations' subscription files (flags/_organizations/*.yaml) and puts them where the
 * commands need them: the contract findings of `flags check`, and the plan grants every command
 * that answers for organizations (build, claims, who, report) adds to the flags.
 */

export interface Organizations {
  files: OrganizationFile[];
  findings: Finding[];
}

export function readOrganizations(root: string, maxBytes: number): Organizations {
  const dir = join(root, ORGANIZATIONS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return { files: [], findings: [] };
  }
  const files: OrganizationFile[] = [];
  const findings: Finding[] = [];
  for (const name of names) {
    if (name.startsWith('.') || !/\.ya?ml$/.test(name)) continue;
    const file = `${ORGANIZATIONS_DIR}/${name}`;
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink() || !stat.isFile()) {
      findings.push(
        finding(
          'file/unreadable',
          file,
          START,
          stat.isSymbolicLink() ? 'a subscription file may not be a symbolic link' : 'not a file',
          'replace it with the file itself',
        ),
      );
      continue;
    }
    const read = readOrganizationFile(file, readFileSync(path), maxBytes);
    findings.push(...read.findings);
    if (read.parsed) files.push(read.parsed);
  }
  return { files, findings };
}

/** The findings of the mapping (contract-rules.ts), in reporting order. */
export function checkContracts(
  root: string,
  policy: Policy,
  flags: readonly { file: string; flag: Flag }[],
  today: IsoDate,
): Finding[] {
  const organizations = readOrganizations(root, policy.limits.maxFileBytes);
  const bytes = readOptional(join(root, POLICY_PATH));
  const loaded = bytes ? loadYaml(POLICY_PATH, bytes, 1_048_576).loaded : undefined;
  return [
    ...organizations.findings,
    ...contractFindings({
      policy,
      policyFile: POLICY_PATH,
      locatePolicy: (path, which) => (loaded ? locate(loaded, path, which) : START),
      flags,
      organizations: organizations.files,
      today,
    }),
  ].sort(compareFindings);
}

/**
 * The flags with their plan grants. A flag that gains grants gets a hash of its file's hash and the
 * grants, so that caches keyed by the hash (the build's content cache) never serve it stale.
 */
export function flagsWithPlans<T extends { flag: Flag; hash?: string }>(
  root: string,
  policy: Policy,
  flags: readonly T[],
): T[] {
  if (!policy.plans) return [...flags];
  const sources: SubscriptionSource[] = readOrganizations(root, policy.limits.maxFileBytes).files;
  const expanded = withPlanGrants(flags, policy, sources);
  return expanded.map((entry, i) =>
    entry === flags[i] || entry.hash === undefined
      ? entry
      : { ...entry, hash: sha256(`${entry.hash}\0${JSON.stringify(entry.flag.environments)}`) },
  );
}

/**
 * The mapping's findings for `flags check` (and the build's check): every flag is needed, also
 * those an incremental check left unloaded. contract-state.ts decides when they must be computed.
 */
export async function contractFindingsOf(
  root: string,
  checked: { policy: Policy; flags: readonly { file: string; flag?: Flag }[] },
  options: { today: IsoDate; load: LoadOptions },
): Promise<Finding[]> {
  const known = checked.flags.every((f) => f.flag)
    ? checked.flags
    : await loadEveryFlag(root, { ...options.load, onProgress: undefined });
  const flags = known.map((f) => ({ file: f.file, flag: f.flag! }));
  return checkContracts(root, checked.policy, flags, options.today);
}
