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
  const { commit, shallow } = await head(root);
  if (shallow)
    throw new UsageError(
      'the clone is shallow, so the serial (the commit count) would be wrong',
      'fetch the full history (actions/checkout with fetch-depth: 0), or give --serial',
    );
  const [count, status] = await Promise.all([
    git.raw(['rev-list', '--first-parent', '--count', 'HEAD']),
    git.raw(['status', '--porcelain', '--untracked-files=all', '--', FLAGS_DIR]),
  ]);
  return { commit, serial: Number(count.trim()), dirty: status.trim() !== '' };
}

/** The commit and dirtiness alone, for builds whose serial is given. */
export async function commitInfo(root: string): Promise<{ commit: string; dirty: boolean }> {
  const { commit } = await head(root);
  const status = await gitAt(root).raw(['status', '--porcelain', '--untracked-files=all', '--', FLAGS_DIR]);
  return { commit, dirty: status.trim() !== '' };
}

async function head(root: string): Promise<{ commit: string; shallow: boolean }> {
  let lines: string[];
  try {
    lines = (
      await gitAt(root).raw(['rev-parse', '--is-shallow-repository', '--verify', '--quiet', 'HEAD^{commit}'])
    )
      .trim()
      .split('\n');
  } catch {
    await ensureRepository(gitAt(root), root);
    lines = [];
  }
  const commit = lines[1]?.trim() ?? '';
  if (!/^[0-9a-f]{40,64}$/.test(commit))
    throw new UsageError('the repository has no commit to build from', 'commit the flag files first');
  return { commit, shallow: lines[0]?.trim() === 'true' };
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
    const path = join(cacheDir, 'bundle-fragments.txt');
    const salt = `${toolFingerprint()}\0${sha256(JSON.stringify(policy))}`;
    const entries = new Map<string, string>();
    try {
      // Line format: a header, then `<hash>:<environment>\t<fragment>` per line. Canonical JSON never
      // holds a raw newline or tab, so no escaping is needed and reading is a split, not a parse.
      const lines = readFileSync(path, 'utf8').split('\n');
      if (lines[0] === `flags-bundle-fragments/1\t${salt}`)
        for (let n = 1; n < lines.length; n++) {
          const line = lines[n]!;
          const tab = line.indexOf('\t');
          if (tab > 0) entries.set(line.slice(0, tab), line.slice(tab + 1));
        }
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
      const lines = [`flags-bundle-fragments/1\t${this.salt}`];
      for (const [key, fragment] of [...this.used].sort(([a], [b]) => (a < b ? -1 : 1)))
        lines.push(`${key}\t${fragment}`);
      writeFileAtomic(this.path, `${lines.join('\n')}\n`);
    } catch {
      // a read-only checkout still builds, only without the cache
    }
  }
}
