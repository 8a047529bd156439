import { spawn } from 'node:child_process';
import { FlagsError, UsageError } from '../errors.js';
import { FLAGS_DIR, isFlagFileName } from './repo-files.js';

/**
 * The flag files as git history holds them, for the claims that changed since an earlier serial
 * (serial N is the first-parent commit whose first-parent count is N, as `flags build` numbers
 * bundles): which flag files differ between that commit and HEAD (`git diff --name-only`), and
 * both versions of each (one `git cat-file --batch` for all of them). Only the files that changed
 * are read, so the cost follows the size of the change, not of the repository.
 */

export interface FileVersions {
  path: string;
  before?: Uint8Array;
  after?: Uint8Array;
}

/** The flag files that differ between a commit and HEAD, or 'everyone' when there are too many to read. */
export type ChangedFiles = FileVersions[] | 'everyone';

export interface HistoryRange {
  /** Serials from…to (inclusive): first-parent commits that all held the same flag files. */
  from: number;
  to: number;
  files: ChangedFiles;
}

export interface ClaimHistory {
  /** HEAD's serial and commit. */
  serial: number;
  commit: string;
  /** When HEAD's flag files were committed (epoch ms): the instant both sides of a feed are evaluated at. */
  committedAt: number;
  /** Newest first. */
  ranges: HistoryRange[];
}

/** How many earlier versions of the flags a bundle bridges from, and how many files a range may read. */
export const HISTORY_RANGES = 4;
export const MAX_CHANGED_FILES = 200;

interface GitResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function git(root: string, args: readonly string[], input?: string): Promise<GitResult> {
  return new Promise((done, fail) => {
    const child = spawn('git', args, {
      cwd: root,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => fail(new FlagsError(`git could not run: ${error.message}`)));
    child.on('close', (code) =>
      done({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function gitText(root: string, args: readonly string[]): Promise<string> {
  const result = await git(root, args);
  if (result.code !== 0) throw new FlagsError(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.toString('utf8');
}

const serialOf = async (root: string, commit: string): Promise<number> =>
  Number((await gitText(root, ['rev-list', '--first-parent', '--count', commit])).trim());

/** HEAD's commit and serial; a clear error outside a repository or in a shallow clone. */
export async function headOf(root: string): Promise<{ commit: string; serial: number }> {
  const result = await git(root, [
    'rev-parse',
    '--is-shallow-repository',
    '--verify',
    '--quiet',
    'HEAD^{commit}',
  ]);
  const [shallow, commit = ''] = result.stdout.toString('utf8').trim().split('\n');
  if (result.code !== 0 || !/^[0-9a-f]{40,64}$/.test(commit.trim()))
    throw new UsageError(
      `${root} is not a git repository with a commit`,
      'run the command inside a clone of the flags repository',
    );
  if (shallow === 'true')
    throw new UsageError(
      'the clone is shallow, so serials (first-parent commit counts) would be wrong',
      'fetch the full history (actions/checkout with fetch-depth: 0)',
    );
  return { commit: commit.trim(), serial: await serialOf(root, 'HEAD') };
}

/** The first-parent commit whose first-parent count is `serial` (HEAD's serial is `head`). */
export async function commitOfSerial(root: string, serial: number, head: number): Promise<string> {
  return (await gitText(root, ['rev-parse', '--verify', `HEAD~${head - serial}^{commit}`])).trim();
}

/** The flag files (not the policy) that differ between `base` and `head`, with both versions. */
export async function changedFlagFiles(
  root: string,
  base: string,
  head: string,
  maxFiles = MAX_CHANGED_FILES,
): Promise<ChangedFiles> {
  const names = (
    await gitText(root, [
      'diff',
      '--name-only',
      '--no-renames',
      '--relative',
      '-z',
      base,
      head,
      '--',
      FLAGS_DIR,
    ])
  )
    .split('\0')
    .filter((path) => path !== '' && isFlagFileName(path.slice(path.lastIndexOf('/') + 1)));
  if (names.length > maxFiles) return 'everyone';
  // cat-file --batch reads one name a line: a path with a line break cannot be asked for.
  if (names.some((path) => /[\n\r]/.test(path))) return 'everyone';
  if (names.length === 0) return [];
  const asked = names.flatMap((path) => [`${base}:${path}`, `${head}:${path}`]);
  const blobs = parseBatch(
    (await git(root, ['cat-file', '--batch'], `${asked.join('\n')}\n`)).stdout,
    asked.length,
  );
  return names.map((path, i) => {
    const versions: FileVersions = { path };
    if (blobs[2 * i]) versions.before = blobs[2 * i];
    if (blobs[2 * i + 1]) versions.after = blobs[2 * i + 1];
    return versions;
  });
}

/** `git cat-file --batch` output: per name `<id> <type> <size>\n<bytes>\n`, or `<name> missing\n`. */
function parseBatch(out: Buffer, count: number): (Uint8Array | undefined)[] {
  const blobs: (Uint8Array | undefined)[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    const end = out.indexOf(0x0a, at);
    if (end < 0) throw new FlagsError('git cat-file --batch answered fewer objects than asked');
    const header = out.toString('utf8', at, end).split(' ');
    at = end + 1;
    if (header.length !== 3) {
      blobs.push(undefined); // missing, or not an object
      continue;
    }
    const size = Number(header[2]);
    blobs.push(header[1] === 'blob' ? new Uint8Array(out.subarray(at, at + size)) : undefined);
    at += size + 1;
  }
  return blobs;
}

/**
 * The last `count` first-parent commits that changed flag files, each with its serial and commit
 * time: the boundaries where the flags a bundle holds change.
 */
async function flagCommits(
  root: string,
  count: number,
): Promise<{ commit: string; serial: number; committedAt: number }[]> {
  const log = await gitText(root, [
    'log',
    '--first-parent',
    '--format=%H %ct',
    '-n',
    String(count),
    'HEAD',
    '--',
    FLAGS_DIR,
  ]);
  const commits = log
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '));
  return Promise.all(
    commits.map(async ([commit = '', time = '0']) => ({
      commit,
      serial: await serialOf(root, commit),
      committedAt: Number(time) * 1000,
    })),
  );
}

/**
 * The ranges of earlier serials a bundle of HEAD can bridge from: each range is a run of commits
 * that held the same flag files, with the files that changed from it to HEAD. `head` is HEAD's
 * commit and serial when the caller knows them already (the build asks git for them anyway).
 */
export async function readClaimHistory(
  root: string,
  known?: { commit: string; serial: number },
  ranges = HISTORY_RANGES,
): Promise<ClaimHistory> {
  const [head, commits] = await Promise.all([known ?? headOf(root), flagCommits(root, ranges + 1)]);
  const out: HistoryRange[] = [];
  const pending: Promise<void>[] = [];
  let upTo = head.serial - 1;
  for (const { commit, serial } of commits) {
    const to = upTo;
    upTo = Math.min(upTo, serial - 1);
    if (serial > to) continue; // HEAD's own change: no earlier serial held it
    if (out.length === ranges) break;
    const range: HistoryRange = { from: serial, to, files: [] };
    out.push(range);
    pending.push(
      changedFlagFiles(root, commit, head.commit).then((files) => {
        range.files = files;
      }),
    );
  }
  await Promise.all(pending);
  // The instant HEAD's flags were committed: what the flags say depends on it alone.
  const committedAt = commits[0]?.committedAt ?? 0;
  return { serial: head.serial, commit: head.commit, committedAt, ranges: out };
}
