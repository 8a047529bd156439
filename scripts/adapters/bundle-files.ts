import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FragmentCache } from '../core/bundle/content.js';
import { InputError, UsageError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import { ensureRepository, gitAt } from './git.js';
import { toolFingerprint } from './fingerprint.js';
import { FLAGS_DIR, sha256 } from './repo-files.js';

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

/**
 * Compiled flags by file hash and environment, beside the check's cache and salted the same way
 * (toolkit fingerprint and policy), so a rebuild after one changed flag recompiles one flag. Only
 * this run's entries are saved; a corrupt or foreign file is ignored.
 */
export class FileFragmentCache implements FragmentCache {
  private readonly used = new Map<string, string>();
  private dirty = false;

  private constructor(
    private readonly path: string | undefined,
    private readonly salt: string,
    private readonly entries: Map<string, string>,
  ) {}

  static disabled(): FileFragmentCache {
    return new FileFragmentCache(undefined, '', new Map());
  }

  static open(cacheDir: string, policy: unknown): FileFragmentCache {
    const path = join(cacheDir, 'bundle-fragments.json');
    const salt = `${toolFingerprint()}\0${sha256(JSON.stringify(policy))}`;
    let entries = new Map<string, string>();
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown; salt?: unknown; entries?: unknown };
      if (data.format === 1 && data.salt === salt && data.entries && typeof data.entries === 'object')
        entries = new Map(Object.entries(data.entries as Record<string, string>).filter(([, v]) => typeof v === 'string'));
    } catch {
      // no cache yet, or an unreadable one: start empty
    }
    return new FileFragmentCache(path, salt, entries);
  }

  get(hash: string, environment: string): string | undefined {
    if (!this.path) return undefined;
    const key = `${hash}:${environment}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) this.used.set(key, hit);
    return hit;
  }

  set(hash: string, environment: string, fragment: string): void {
    if (!this.path) return;
    this.used.set(`${hash}:${environment}`, fragment);
    this.dirty = true;
  }

  save(): void {
    if (!this.path || (!this.dirty && this.used.size === this.entries.size)) return;
    try {
      const entries = Object.fromEntries([...this.used].sort(([a], [b]) => (a < b ? -1 : 1)));
      writeFileAtomic(this.path, JSON.stringify({ format: 1, salt: this.salt, entries }));
    } catch {
      // a read-only checkout still builds, only without the cache
    }
  }
}
