import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AliasForm } from '../core/refs/aliases.js';
import {
  type CodeReference,
  type MatcherOptions,
  referenceMatcher,
  scanText,
  type UnknownUse,
} from '../core/refs/find.js';
import { UsageError } from '../errors.js';
import { FLAGS_DIR } from './repo-files.js';

/**
 * Walks source paths for `flags refs` and the retirement bot: every text file under the given paths,
 * skipping dependency, VCS and build folders, symbolic links, binary files and very large files.
 */

export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  'build',
  'dist',
  '.cache',
  'coverage',
]);
const MAX_BYTES = 2 * 1024 * 1024;

export interface SourceFile {
  /** Path relative to the root, with forward slashes. */
  file: string;
  text: string;
}

export interface WalkOptions {
  /** Further folders to skip, relative to the root (e.g. the flags folder itself). */
  exclude?: readonly string[];
}

const toPosix = (path: string) => path.split(sep).join('/');

export function* walkSourceFiles(
  root: string,
  paths: readonly string[],
  options: WalkOptions = {},
): Generator<SourceFile> {
  const excluded = new Set((options.exclude ?? []).map((p) => toPosix(p).replace(/\/+$/, '')));
  const seen = new Set<string>();
  for (const path of paths.length > 0 ? paths : ['.']) {
    const abs = isAbsolute(path) ? path : resolve(root, path);
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(abs);
    } catch {
      throw new UsageError(`${path} does not exist`, 'give files or folders inside the repository');
    }
    if (stat.isDirectory()) yield* walkDir(root, abs, excluded, seen);
    else if (stat.isFile()) {
      const file = readSource(root, abs, seen);
      if (file) yield file;
    }
  }
}

function* walkDir(
  root: string,
  dir: string,
  excluded: Set<string>,
  seen: Set<string>,
): Generator<SourceFile> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (SKIPPED_DIRS.has(entry.name) || excluded.has(toPosix(relative(root, abs)))) continue;
      yield* walkDir(root, abs, excluded, seen);
    } else if (entry.isFile()) {
      const file = readSource(root, abs, seen);
      if (file) yield file;
    }
  }
}

function readSource(root: string, abs: string, seen: Set<string>): SourceFile | undefined {
  const file = toPosix(relative(root, abs)) || toPosix(abs);
  if (seen.has(file)) return undefined;
  seen.add(file);
  const fd = openSync(abs, 'r');
  try {
    const size = lstatSync(abs).size;
    if (size > MAX_BYTES) return undefined;
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    // A NUL byte in the first 8 KiB is how git decides a file is binary, too.
    if (bytes.subarray(0, 8192).includes(0)) return undefined;
    return { file, text: bytes.subarray(0, read).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

export interface ScanOptions extends MatcherOptions {
  /** The repository the tree is a clone of: written into every reference and unknown use. */
  repository?: string;
  /** Folders to skip, relative to the root (default: the flags folder, for a scan of the flags repository). */
  exclude?: readonly string[];
}

export interface TreeScan {
  references: CodeReference[];
  unknown: UnknownUse[];
  files: number;
}

/** Every reference to `keys` under `paths` (the flags folder left out), in file and position order. */
export function scanReferences(
  root: string,
  paths: readonly string[],
  keys: Iterable<string>,
  aliases: readonly AliasForm[],
  options: ScanOptions = {},
): TreeScan {
  const matcher = referenceMatcher(keys, aliases, options);
  const scan: TreeScan = { references: [], unknown: [], files: 0 };
  const tag = options.repository === undefined ? {} : { repository: options.repository };
  if (matcher.lookup.size === 0 && matcher.deadKeys.size === 0 && !matcher.unknown) return scan;
  for (const source of walkSourceFiles(root, paths, { exclude: options.exclude ?? [FLAGS_DIR] })) {
    scan.files++;
    const found = scanText(source.file, source.text, matcher);
    for (const ref of found.references) scan.references.push({ ...tag, ...ref });
    for (const use of found.unknown) scan.unknown.push({ ...tag, ...use });
  }
  return scan;
}

export interface SearchedTree {
  /** The repository's name; none for the flags repository itself. */
  repository?: string;
  dir: string;
  paths: readonly string[];
  exclude?: readonly string[];
}

/** One scan over several trees, each reference and unknown use tagged with its repository. */
export function scanTrees(
  trees: readonly SearchedTree[],
  keys: readonly string[],
  aliases: readonly AliasForm[],
  options: MatcherOptions = {},
): TreeScan & { filesPerTree: number[] } {
  const all: TreeScan & { filesPerTree: number[] } = {
    references: [],
    unknown: [],
    files: 0,
    filesPerTree: [],
  };
  for (const tree of trees) {
    const scan = scanReferences(tree.dir, tree.paths, keys, aliases, {
      ...options,
      ...(tree.repository === undefined ? {} : { repository: tree.repository }),
      ...(tree.exclude === undefined ? {} : { exclude: tree.exclude }),
    });
    all.references.push(...scan.references);
    all.unknown.push(...scan.unknown);
    all.files += scan.files;
    all.filesPerTree.push(scan.files);
  }
  return all;
}
