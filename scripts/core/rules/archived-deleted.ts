import { parse } from 'yaml';
import { finding, type Finding } from '../findings/finding.js';

/**
 * `lifecycle/archived-deleted`, with --changed-since: a flag file that was archived at the base and
 * is gone now. `ref` is the base as the user named it, for the hint. An archived file is the record of what its key served and what keeps the key from
 * being reused (docs/lifecycle.md); deleting it loses both. `deleted` holds each flag file deleted
 * since the base, with its text there.
 */
export function archivedDeletions(
  deleted: readonly { file: string; text: string }[],
  ref: string,
): Finding[] {
  const out: Finding[] = [];
  for (const { file, text } of deleted) {
    let data: unknown;
    try {
      // The base's version passed review once; still, no aliases and no surprises from it.
      data = parse(text, { maxAliasCount: 0, version: '1.2' });
    } catch {
      continue;
    }
    if (!data || typeof data !== 'object' || (data as { archived?: unknown }).archived !== true) continue;
    const key = (data as { key?: unknown }).key;
    out.push(
      finding(
        'lifecycle/archived-deleted',
        file,
        { line: 1, col: 1 },
        `${file} held the archived flag${typeof key === 'string' ? ` "${key}"` : ''} and is deleted by this change; archived flags stay as the record of their key`,
        `restore it (git checkout ${ref} -- ${file}); an archived flag is never deleted, and its key is never reused`,
      ),
    );
  }
  return out;
}
