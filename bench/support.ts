import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** What the benchmark scripts share: their arguments, medians, the flag files, a frozen toolkit. */

/** The value after `name` in `argv`, if any. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The flag files of a repository (not the policy), in path order. */
export function listFlagFiles(repo: string): string[] {
  return readdirSync(join(repo, 'flags'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml') && !e.name.startsWith('_'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * A copy of the toolkit beside the benchmark's repository: a rebuild of a shared working tree
 * meanwhile cannot change the tool fingerprint (and so the caches) halfway through. Returns its bin.
 */
export function snapshotBuild(cli: string, into: string): string {
  const from = resolve(cli, '..', '..');
  mkdirSync(join(into, 'bin'), { recursive: true });
  cpSync(join(from, 'build'), join(into, 'build'), { recursive: true });
  cpSync(cli, join(into, 'bin', basename(cli)));
  cpSync(join(from, 'package.json'), join(into, 'package.json'));
  symlinkSync(join(from, 'node_modules'), join(into, 'node_modules'), 'dir');
  return join(into, 'bin', basename(cli));
}
