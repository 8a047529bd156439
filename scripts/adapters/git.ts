import { simpleGit, type SimpleGit } from 'simple-git';
import { UsageError } from '../errors.js';

/** The git operations the toolkit needs, through simple-git, with git's failures made readable. */

export const gitAt = (root: string): SimpleGit => simpleGit({ baseDir: root, maxConcurrentProcesses: 4 });

export async function resolveRef(git: SimpleGit, ref: string): Promise<string> {
  const unknown = () =>
    new UsageError(
      `unknown git ref "${ref}"`,
      'fetch it first; in GitHub Actions use actions/checkout with fetch-depth: 0',
    );
  // A ref starting with "-" would be read as an option.
  if (ref === '' || ref.startsWith('-')) throw unknown();
  let commit: string;
  try {
    commit = (await git.revparse(['--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch {
    throw unknown();
  }
  // With --quiet, git says nothing about an unknown ref, and simple-git sees no error in silence.
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw unknown();
  return commit;
}

/** Files changed since the merge base of `ref` and HEAD, including uncommitted and untracked ones. */
export async function changedFilesSince(root: string, ref: string): Promise<Set<string>> {
  return (await changedSince(root, ref)).files;
}

/** The same, with the merge base they are counted from (the base a pull request is judged against). */
export async function changedSince(root: string, ref: string): Promise<{ base: string; files: Set<string> }> {
  const git = gitAt(root);
  await ensureRepository(git, root);
  const target = await resolveRef(git, ref);
  const base = (await git.raw(['merge-base', target, 'HEAD'])).trim() || target;
  // --relative: paths relative to the repository root the toolkit runs in, also in a subfolder.
  const diff = await git.raw(['diff', '--name-only', '--no-renames', '--relative', '-z', base]);
  const untracked = await git.raw(['ls-files', '--others', '--exclude-standard', '-z']);
  return { base, files: new Set([...diff.split('\0'), ...untracked.split('\0')].filter(Boolean)) };
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
  const args = [
    'diff',
    '--name-status',
    '--no-renames',
    '--relative',
    '-z',
    base,
    ...(head ? [head] : []),
    '--',
    folder,
  ];
  const parts = (await git.raw(args)).split('\0').filter(Boolean);
  const out: ChangedPath[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!.charAt(0);
    if (status === 'A' || status === 'D' || status === 'M') out.push({ status, path: parts[i + 1]! });
    else out.push({ status: 'M', path: parts[i + 1]! });
  }
  return out;
}

/**
 * The bytes of a file at a commit, or undefined when it does not exist there. The path is relative
 * to the folder git runs in; read as a buffer, so bytes that are not UTF-8 reach the checks intact.
 */
export async function readAt(git: SimpleGit, commit: string, path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await git.showBuffer([`${commit}:./${path}`]));
  } catch {
    return undefined;
  }
}

/** The merge base of two commits, or undefined when they share no history. */
export async function mergeBase(git: SimpleGit, a: string, b: string): Promise<string | undefined> {
  try {
    return (await git.raw(['merge-base', a, b])).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const NO_OBJECT = '0'.repeat(40);

/** One changed path as `git diff --raw` reports it: modes and blob ids of both sides. */
export interface RawChange {
  status: 'A' | 'D' | 'M';
  path: string;
  /** Absent where the path does not exist on that side. */
  before?: { mode: string; object: string };
  /** `object` is NO_OBJECT when the after side is the working tree (git has not hashed it). */
  after?: { mode: string; object: string };
}

/**
 * What changed under a folder between a commit and another commit or the working tree, without
 * reading any file: one `git diff --raw`. Renames come as a delete and an add; callers match content.
 */
export async function rawChanges(
  git: SimpleGit,
  base: string,
  head: string | undefined,
  folder: string,
): Promise<RawChange[]> {
  const args = ['diff', '--raw', '-z', '--no-abbrev', '--no-renames', '--relative', base];
  const parts = (await git.raw([...args, ...(head ? [head] : []), '--', folder])).split('\0');
  const out: RawChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])/.exec(parts[i]!);
    const path = parts[i + 1]!;
    if (!meta) continue;
    const [, modeA, modeB, objectA, objectB, letter] = meta as unknown as string[];
    const before = modeA !== '000000' ? { mode: modeA!, object: objectA! } : undefined;
    const after = modeB !== '000000' ? { mode: modeB!, object: objectB! } : undefined;
    const status = !before ? 'A' : !after ? 'D' : 'M';
    if (letter === 'U') continue; // unmerged: the working tree holds conflict markers, not a side
    out.push({ status, path, ...(before ? { before } : {}), ...(after ? { after } : {}) });
  }
  return out;
}

/** Untracked, not ignored files under a folder of the working tree. */
export async function untrackedPaths(git: SimpleGit, folder: string): Promise<string[]> {
  const out = await git.raw(['ls-files', '--others', '--exclude-standard', '-z', '--', folder]);
  return out.split('\0').filter(Boolean);
}

/** The bytes of a blob by its id. */
export async function readBlob(git: SimpleGit, object: string): Promise<Uint8Array> {
  return new Uint8Array(await git.binaryCatFile(['blob', object]));
}

export const isSymlinkMode = (mode: string): boolean => mode === '120000';
export const isFileMode = (mode: string): boolean => mode === '100644' || mode === '100755';

/** A file at a commit as git stores it: its bytes, a symbolic link (with the path it holds), or nothing. */
export type FileAt = { bytes: Uint8Array } | { symlink: string } | { absent: true };

/**
 * A file at a commit, telling a symbolic link (mode 120000, whose blob is the path it points to)
 * from a file: `git show` would hand over the link's path as if it were the content.
 */
export async function readFileAt(git: SimpleGit, commit: string, path: string): Promise<FileAt> {
  const listed = (await git.raw(['ls-tree', '-z', commit, '--', path])).split('\0')[0] ?? '';
  const entry = /^(\d{6}) (\w+) ([0-9a-f]+)\t/.exec(listed);
  if (!entry) return { absent: true };
  const [, mode, type, object] = entry as unknown as string[];
  if (isSymlinkMode(mode!)) return { symlink: new TextDecoder().decode(await readBlob(git, object!)) };
  if (type !== 'blob') return { absent: true };
  return { bytes: await readBlob(git, object!) };
}

/** The symbolic links under a folder at a commit (mode 120000 in its tree), with the paths they hold. */
export async function symlinksAt(
  git: SimpleGit,
  commit: string,
  folder: string,
): Promise<{ path: string; target: string }[]> {
  const out = await git.raw(['ls-tree', '-r', '-z', commit, '--', folder]);
  const links: { path: string; object: string }[] = [];
  for (const line of out.split('\0')) {
    const entry = /^120000 blob ([0-9a-f]+)\t(.*)$/s.exec(line);
    if (entry) links.push({ path: entry[2]!, object: entry[1]! });
  }
  return Promise.all(
    links.map(async (l) => ({
      path: l.path,
      target: new TextDecoder().decode(await readBlob(git, l.object)),
    })),
  );
}
