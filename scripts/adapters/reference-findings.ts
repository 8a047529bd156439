import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../core/findings/finding.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { isArchived } from '../core/refs/archived.js';
import { unreferencedFindings } from '../core/refs/unreferenced.js';
import { usageByFlag } from '../core/refs/usage.js';
import { resolveTrees } from './code-trees.js';
import { scanTrees } from './source-files.js';

/**
 * `flags check` and `flags report`: the live flags no consuming repository reads, where the policy
 * names the repositories and each has a clone here (policy path or --tree); otherwise none.
 */
export function unreferencedFlagFindings(
  root: string,
  policy: Pick<Policy, 'refs'>,
  flags: readonly { file: string; key: string; flag?: Flag }[],
  treeOptions: readonly string[] = [],
): Finding[] {
  const { trees, notSearched } = resolveTrees(root, policy, treeOptions);
  if (trees.length === 0 || notSearched.length > 0) return [];
  const live = flags.filter((f) => f.flag !== undefined && !isArchived(f.flag));
  const keys = live.map((f) => f.key);
  const scan = scanTrees(
    trees.map((t) => ({ repository: t.name, dir: t.dir, paths: [], exclude: [] })),
    keys,
    [],
    { sdkMethods: policy.refs.sdkMethods },
  );
  return unreferencedFindings(
    live.map((f) => ({ file: f.file, key: f.key, line: keyLine(root, f.file) })),
    usageByFlag(keys, scan.references),
    trees.map((t, i) => ({ repository: t.name, files: scan.filesPerTree[i] ?? 0 })),
  );
}

function keyLine(root: string, file: string): number {
  try {
    const text = readFileSync(join(root, file), 'utf8');
    const at = text.search(/^key\s*:/m);
    return at < 0 ? 1 : text.slice(0, at).split('\n').length;
  } catch {
    return 1;
  }
}
