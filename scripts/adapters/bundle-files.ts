import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import { ensureRepository, gitAt } from './git.js';
import { FLAGS_DIR } from './repo-files.js';

/**
 * The files and git facts around a build: where the source stands (commit, serial, uncommitted
 * changes), the committed keyset, and writing outputs so a reader never sees half a bundle.
 */

export const DEFAULT_KEYSET_FILE = join('keys', 'keyset.json');

export interface SourceInfo {
  commit: string;
  /** First-parent commit count of HEAD: grows with every commit on the published branch. */
  serial: number;
  /** Uncommitted or untracked changes under flags/. */
  dirty: boolean;
}

export async function sourceInfo(root: string): Promise<SourceInfo> {
  const git = gitAt(root);
  await ensureRepository(git, root);
  let commit: string;
  try {
    commit = (await git.revparse(['--verify', '--quiet', 'HEAD^{commit}'])).trim();
  } catch {
    commit = '';
  }
  if (!commit)
    throw new UsageError('the repository has no commit to build from', 'commit the flag files first');
  const shallow = (await git.revparse(['--is-shallow-repository'])).trim() === 'true';
  if (shallow)
    throw new UsageError(
      'the clone is shallow, so the serial (the commit count) would be wrong',
      'fetch the full history (actions/checkout with fetch-depth: 0), or give --serial',
    );
  const serial = Number((await git.raw(['rev-list', '--first-parent', '--count', 'HEAD'])).trim());
  const status = await git.raw(['status', '--porcelain', '--untracked-files=all', '--', FLAGS_DIR]);
  return { commit, serial, dirty: status.trim() !== '' };
}

/** The commit and dirtiness alone, for builds whose serial is given. */
export async function commitInfo(root: string): Promise<{ commit: string; dirty: boolean }> {
  const git = gitAt(root);
  await ensureRepository(git, root);
  const commit = (await git.revparse(['HEAD'])).trim();
  const status = await git.raw(['status', '--porcelain', '--untracked-files=all', '--', FLAGS_DIR]);
  return { commit, dirty: status.trim() !== '' };
}

export interface OutputFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * Writes every output only after all of them were made, each by an atomic rename: a reader sees a
 * bundle whole (old or new), and a failing build leaves the previous outputs untouched.
 */
export function writeOutputs(outDir: string, files: readonly OutputFile[]): string[] {
  return files.map((file) => {
    const path = join(outDir, file.name);
    writeFileAtomic(path, file.bytes);
    return path;
  });
}

export function readKeysetBytes(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`cannot read the keyset ${path}: ${(error as Error).message}`);
  }
}
