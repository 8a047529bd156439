import type { Change, FileChanges } from '../core/report/model.js';
import { FLAGS_DIR } from './repo-files.js';
import { gitAt } from './git.js';

/**
 * Who created and last changed each flag file, from git history in one pass: a single `git log`
 * over the flags folder with rename detection, walked newest to oldest while following each current
 * file back through its renames. One git process for the whole repository, never one per flag.
 */

export type { Change, FileChanges as FileHistory };

export interface History {
  /** False when the folder is not in a git repository (or has no commits). */
  available: boolean;
  /** A shallow clone: `created` is the oldest commit the clone has, not necessarily the first. */
  shallow: boolean;
  files: Map<string, FileChanges>;
}

const RECORD = '\x1e';
const FIELD = '\x1f';

export async function readHistory(root: string, files: readonly string[]): Promise<History> {
  const empty: History = { available: false, shallow: false, files: new Map() };
  const git = gitAt(root);
  const inside = await git.checkIsRepo().catch(() => false);
  if (!inside) return empty;
  let head: string;
  try {
    head = (await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD'])).trim();
  } catch {
    return empty;
  }
  if (head === '') return empty;
  const [log, shallow] = await Promise.all([
    git.raw([
      '-c',
      'core.quotePath=false',
      'log',
      '-z',
      '--name-status',
      '-M',
      '--relative',
      '--topo-order',
      '--no-color',
      `--format=${RECORD}%H${FIELD}%at${FIELD}%an`,
      'HEAD',
      '--',
      FLAGS_DIR,
    ]),
    git.raw(['rev-parse', '--is-shallow-repository']).then((s) => s.trim() === 'true'),
  ]);
  return { available: true, shallow, files: parseLog(log, files) };
}

/** Folds `git log -z --name-status -M` output (newest first) into per-file history. Exported for tests. */
export function parseLog(log: string, files: readonly string[]): Map<string, FileChanges> {
  /** A path as it was at the point of history being read → the current file it became. */
  const alias = new Map<string, string>(files.map((f) => [f, f]));
  const out = new Map<string, FileChanges>();
  const touch = (file: string, change: Change) => {
    const seen = out.get(file);
    if (seen) {
      seen.created = change;
      seen.commits++;
    } else out.set(file, { created: change, lastChanged: change, commits: 1 });
  };
  for (const record of log.split(RECORD)) {
    if (record === '') continue;
    const headerEnd = record.indexOf('\0');
    const header = headerEnd === -1 ? record : record.slice(0, headerEnd);
    const [commit = '', seconds = '0', author = ''] = header.split(FIELD);
    const change: Change = {
      commit,
      at: new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z'),
      author,
    };
    const tokens =
      headerEnd === -1
        ? []
        : record
            .slice(headerEnd + 1)
            .replace(/^\n/, '')
            .split('\0');
    for (let i = 0; i < tokens.length; ) {
      const status = tokens[i++] ?? '';
      if (status === '') continue;
      const kind = status.charAt(0);
      if (kind === 'R' || kind === 'C') {
        const from = tokens[i++] ?? '';
        const to = tokens[i++] ?? '';
        const current = alias.get(to);
        if (current === undefined) continue;
        touch(current, change);
        if (kind === 'R') {
          alias.delete(to);
          alias.set(from, current);
        } else alias.delete(to);
        continue;
      }
      const path = tokens[i++] ?? '';
      const current = alias.get(path);
      if (current === undefined) continue;
      touch(current, change);
      // Before it was added, this path belonged to another file (or none).
      if (kind === 'A') alias.delete(path);
    }
  }
  return out;
}
