import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { sha256 } from './repo-files.js';

/**
 * Identifies the code that produced a cached result: the package version, a hash of the core's and
 * the adapters' own source files, the versions of the libraries whose behaviour enters a result
 * (the YAML parser, ajv, zod) and the Node.js version, so a changed rule or an upgraded parser can
 * never be answered from an old cache entry, even without a version bump.
 */
const DEPENDENCIES = ['yaml', 'ajv', 'ajv-formats', 'zod'];
let memo: string | undefined;
const require = createRequire(import.meta.url);

/**
 * The image (build/image, see scripts/image.ts) carries its code hash, computed by the build from
 * the files it wrote: hashing 2 MB of image on every run would cost a warm check ~7 ms.
 */
export const CODE_HASH_FILE = 'code-hash.txt';

export function toolFingerprint(): string {
  if (memo) return memo;
  const here = dirname(fileURLToPath(import.meta.url));
  const stored = join(here, CODE_HASH_FILE);
  // From sources or tsc's output, the core and the adapters are the code.
  const image = existsSync(stored);
  const hash = image
    ? readFileSync(stored, 'utf8').trim()
    : codeHash([join(here, '..', 'core'), here], join(here, '..'));
  // The image's hash covers the libraries bundled into it; an installed toolkit has no node_modules
  // of its own, and the project's copies of these packages are not the code that runs.
  const libraries = image
    ? 'bundled'
    : DEPENDENCIES.map((name) => `${name}@${dependencyVersion(name)}`).join(',');
  memo = `${packageVersion()}+${hash.slice(0, 16)}+${sha256(`${libraries},node@${process.version}`).slice(0, 16)}`;
  return memo;
}

/** A hash of the code files under `dirs`, by their paths relative to `base`. */
export function codeHash(dirs: readonly string[], base: string): string {
  // Relative paths, so two checkouts of the same code share a cache (CI restores one).
  return sha256(
    dirs
      .filter((dir) => existsSync(dir))
      .flatMap((dir) => listCode(dir))
      .map((file) => `${relative(base, file)}\0${sha256(readFileSync(file))}`)
      .join('\n'),
  );
}

function listCode(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.[cm]?[jt]s$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function dependencyVersion(name: string): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'));
    if (pkg && typeof pkg === 'object' && 'version' in pkg) return String(pkg.version);
  } catch {
    // not resolvable from here (or no package.json export): fall back to the lock below
  }
  return 'unknown';
}

export function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(join(here, up), 'utf8'));
      if (pkg && typeof pkg === 'object' && 'name' in pkg && pkg.name === 'flags-as-code' && 'version' in pkg)
        return String(pkg.version);
    } catch {
      // try the next level: sources and the compiled build sit at different depths
    }
  }
  return '0.0.0';
}
