import { type Finding, finding } from '../findings/finding.js';
import type { FlagUsage } from './usage.js';

/**
 * The `lifecycle/unreferenced` warnings: live flags that no configured code tree reads, with the
 * evidence (which repositories were searched, how many files). Only asked for where every
 * repository the policy names has a clone to search: a partial search proves nothing.
 */
export function unreferencedFindings(
  flags: readonly { file: string; key: string; line: number }[],
  usage: readonly FlagUsage[],
  searched: readonly { repository: string; files: number }[],
): Finding[] {
  const unused = new Set(usage.filter((u) => u.references === 0).map((u) => u.key));
  const where = searched
    .map((s) => `${s.repository} (${s.files} file${s.files === 1 ? '' : 's'})`)
    .join(', ');
  return flags
    .filter((f) => unused.has(f.key))
    .map((f) =>
      finding(
        'lifecycle/unreferenced',
        f.file,
        { line: f.line, col: 1 },
        `no code reads ${f.key}: searched ${where} for an SDK call or a string literal of the key and found none`,
        'if the flag is no longer used, retire it (flags retire proposes archiving it); if code reads it by a name built at run time, call the SDK with the literal key',
        'key',
      ),
    );
}
