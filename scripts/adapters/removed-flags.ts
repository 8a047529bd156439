import { FLAGS_DIR } from './repo-files.js';
import { gitAt } from './git.js';
import type { Removal } from '../core/refs/unknown.js';

/**
 * The flags the repository's history removed: for every key whose file `flags/<key>.yaml` was
 * deleted (or renamed away), the newest commit that deleted it. Outside a git repository, or
 * before the first commit, nothing was removed.
 */
export async function removedFlags(root: string): Promise<Map<string, Removal>> {
  const git = gitAt(root);
  const removed = new Map<string, Removal>();
  let log: string;
  try {
    log = await git.raw([
      'log',
      '--no-renames',
      '--diff-filter=D',
      '--name-only',
      '-z',
      '--format=%x01%H%x00%cI%x00%s',
      '--',
      `${FLAGS_DIR}/`,
    ]);
  } catch {
    return removed;
  }
  // Newest first: the first deletion seen of a key is its last.
  for (const entry of log.split('\x01').slice(1)) {
    const [commit = '', date = '', subject = '', ...files] = entry.split('\0');
    for (const raw of files) {
      const match = /^flags\/([^/]+)\.ya?ml$/.exec(raw.trim());
      const key = match?.[1];
      if (!key || key.startsWith('_') || removed.has(key)) continue;
      removed.set(key, { commit, date, subject });
    }
  }
  return removed;
}
