import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { finish } from '../core/check/check-repository.js';
import type { IsoDate } from '../core/dates.js';
import type { Finding } from '../core/findings/finding.js';
import { ORGANIZATIONS_DIR } from '../core/model/constants.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { cacheKey, readSealed, writeSealed } from './cache.js';
import { isFinding } from './check-state.js';
import { usesPlans } from './plans-present.js';
import { POLICY_PATH, readOptional, sha256 } from './repo-files.js';
import { type LoadOptions, resolveCacheDir } from './repository.js';

/**
 * The plans' findings (contract-rules.ts) as a check's snapshot answers the flag files: kept in the
 * sealed cache under a key of everything they are a function of (the toolkit and the analysed
 * policy, the policy's bytes for positions, today, every flag file's path and content hash, and the
 * bytes of every entry of flags/_organizations/). A check whose key matches takes them from there
 * and loads no parser, validator or zod; any difference and they are computed again
 * (organizations.ts) and stored. A file nobody sealed is ignored like a missing one.
 */

const STATE_FILE = 'contract-state.json';
const FORMAT = 1;

export interface ContractCheckInput {
  policy: Policy;
  flags: readonly { file: string; hash?: string; flag?: Flag }[];
  findings: Finding[];
  fingerprint?: string;
  policyHash?: string;
}

export async function withContractFindings(
  root: string,
  checked: ContractCheckInput,
  options: { today: IsoDate; changedFiles?: ReadonlySet<string>; load: LoadOptions },
): Promise<Finding[]> {
  if (!usesPlans(root, checked.policy)) return checked.findings;
  const cacheDir = resolveCacheDir(root, options.load.cacheDir);
  const mac = cacheDir === false ? undefined : cacheKey(root);
  const key = mac && contractStateKey(root, checked, options.today);
  const path = cacheDir === false ? undefined : join(cacheDir, STATE_FILE);
  let contract = mac && key && path ? readContractState(mac, path, key) : undefined;
  if (!contract) {
    contract = await (await import('./organizations.js')).contractFindingsOf(root, checked, options);
    if (mac && key && path)
      void writeSealed(
        mac,
        'contract-state',
        path,
        JSON.stringify({ format: FORMAT, key, findings: contract }),
      );
  }
  return finish([...checked.findings, ...contract], options.changedFiles);
}

/** Undefined when a flag's hash or the fingerprint is unknown: then nothing may be reused. */
function contractStateKey(root: string, checked: ContractCheckInput, today: IsoDate): string | undefined {
  if (!checked.fingerprint || !checked.policyHash || checked.flags.some((f) => f.hash === undefined))
    return undefined;
  const parts: string[] = [String(FORMAT), checked.fingerprint, checked.policyHash, today];
  parts.push(sha256(readOptional(join(root, POLICY_PATH)) ?? ''));
  for (const f of checked.flags) parts.push(f.file, f.hash!);
  parts.push('\u0001organizations');
  let names: string[] = [];
  try {
    names = readdirSync(join(root, ORGANIZATIONS_DIR)).sort();
  } catch {
    // no folder: the policy's plans alone
  }
  for (const name of names) {
    const path = join(root, ORGANIZATIONS_DIR, name);
    try {
      const stat = lstatSync(path);
      parts.push(name, stat.isFile() ? sha256(readFileSync(path)) : stat.isSymbolicLink() ? 'link' : 'other');
    } catch {
      parts.push(name, 'unreadable');
    }
  }
  return sha256(parts.join('\0'));
}

function readContractState(mac: Buffer, path: string, key: string): Finding[] | undefined {
  const body = readSealed(mac, 'contract-state', path);
  if (!body) return undefined;
  try {
    const data = JSON.parse(body.toString('utf8')) as { format?: unknown; key?: unknown; findings?: unknown };
    if (data.format !== FORMAT || data.key !== key) return undefined;
    if (!Array.isArray(data.findings) || !data.findings.every(isFinding)) return undefined;
    return data.findings;
  } catch {
    return undefined;
  }
}
