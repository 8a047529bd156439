import { simpleGit, type SimpleGit } from 'simple-git';
import { UsageError } from '../errors.js';

/** The git operations the toolkit needs, through simple-git, with git's failures made readable. */

export const gitAt = (root: string): SimpleGit => simpleGit({ baseDir: root, maxConcurrentProcesses: 4 });

export async function resolveRef(git: SimpleGit, ref: string): Promise<string> {
  try {
    return (await git.revparse(['--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch {
    throw new UsageError(
      `unknown git ref "${ref}"`,
      'fetch it first; in GitHub Actions use actions/checkout with fetch-depth: 0',
    );
  }
}

/** Files changed since the merge base of `ref` and HEAD, including uncommitted and untracked ones. */
export async function changedFilesSince(root: string, ref: string): Promise<Set<string>> {
  const git = gitAt(root);
  await ensureRepository(git, root);
  const target = await resolveRef(git, ref);
  const base = (await git.raw(['merge-base', target, 'HEAD'])).trim() || target;
  const diff = await git.raw(['diff', '--name-only', '--no-renames', '-z', base]);
  const untracked = await git.raw(['ls-files', '--others', '--exclude-standard', '-z']);
  return new Set([...diff.split('\0'), ...untracked.split('\0')].filter(Boolean));
}

export async function ensureRepository(git: SimpleGit, root: string): Promise<void> {
  const inside = await git.checkIsRepo().catch(() => false);
  if (!inside)
    throw new UsageError(
      `${root} is not a git repository`,
      'run the command inside a clone of the flags repository',
    );
}

export interface ChangedPath {
  status: 'A' | 'D' | 'M';
  path: string;
}

/** Paths under a folder that differ between two commits (renames as a delete and an add). */
export async function changedPaths(
  git: SimpleGit,
  base: string,
  head: string | undefined,
  folder: string,
): Promise<ChangedPath[]> {
  const args = ['diff', '--name-status', '--no-renames', '-z', base, ...(head ? [head] : []), '--', folder];
  const parts = (await git.raw(args)).split('\0').filter(Boolean);
  const out: ChangedPath[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!.charAt(0);
    if (status === 'A' || status === 'D' || status === 'M') out.push({ status, path: parts[i + 1]! });
    else out.push({ status: 'M', path: parts[i + 1]! });
  }
  return out;
}

/** The bytes of a file at a commit, or undefined when it does not exist there. */
export async function readAt(git: SimpleGit, commit: string, path: string): Promise<Uint8Array | undefined> {
  try {
    const text = await git.show([`${commit}:${path}`]);
    return new TextEncoder().encode(text);
  } catch {
    return undefined;
  }
}
