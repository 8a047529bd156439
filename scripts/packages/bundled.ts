import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A package of node_modules that esbuild put into the CLI image, as installed when it did. */
export interface BundledPackage {
  name: string;
  version: string;
  /** Its folder, relative to the repository: node_modules/<name> (or nested). */
  path: string;
  /** The SPDX expression of its package.json, or undefined when it declares none. */
  license: string | undefined;
  author: string | undefined;
  /** The lockfile's integrity of its tarball (`sha512-…`), when the lockfile has one. */
  integrity: string | undefined;
  /** The names of its own dependencies, as its package.json lists them. */
  dependencies: string[];
}

/**
 * The packages whose code is in the image: every esbuild input under node_modules (the image's
 * metafile, written by scripts/image.ts as `inputs`) belongs to the package folder after the last
 * `node_modules/` of its path. This is exactly what the image holds, not what `npm ls` would list:
 * a dependency that esbuild never reached (types, optional requires) is left out.
 */
export function bundledPackages(root: string, inputs: readonly string[]): BundledPackage[] {
  const lock = readJson(join(root, 'package-lock.json')) as {
    packages?: Record<string, { integrity?: string }>;
  };
  const paths = new Set<string>();
  for (const input of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replaceAll('\\', '/'));
    if (match) paths.add(match[1]!);
  }
  return [...paths]
    .map((path) => {
      const manifest = readJson(join(root, path, 'package.json')) as Record<string, unknown>;
      return {
        name: String(manifest.name),
        version: String(manifest.version),
        path,
        license: typeof manifest.license === 'string' ? manifest.license : undefined,
        author: authorOf(manifest.author),
        integrity: lock.packages?.[path]?.integrity,
        dependencies: Object.keys((manifest.dependencies as Record<string, string> | undefined) ?? {}).sort(),
      };
    })
    .sort((a, b) => compare(a.name, b.name) || compare(a.version, b.version));
}

/** Where Node would find `name` from the package folder `from` (both relative to `root`). */
export function resolveFrom(root: string, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(root, candidate, 'package.json'))) return candidate.replaceAll('\\', '/');
    if (dir === '.' || dir === dirname(dir)) return undefined;
  }
}

function authorOf(author: unknown): string | undefined {
  if (typeof author === 'string') return author;
  if (author && typeof author === 'object' && 'name' in author) return String(author.name);
  return undefined;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}
