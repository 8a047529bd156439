import { readdirSync, readFileSync } from 'node:fs';
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

export function toolFingerprint(): string {
  if (memo) return memo;
  const here = dirname(fileURLToPath(import.meta.url));
  const base = join(here, '..');
  // Paths relative to the code, so two checkouts of the same code share a cache (CI restores one).
  const hash = sha256(
    [join(base, 'core'), here]
      .flatMap((dir) => listCode(dir))
      .map((file) => `${relative(base, file)}\0${sha256(readFileSync(file))}`)
      .join('\n'),
  );
  const libraries = DEPENDENCIES.map((name) => `${name}@${dependencyVersion(name)}`).join(',');
  memo = `${packageVersion()}+${hash.slice(0, 16)}+${sha256(`${libraries},node@${process.version}`).slice(0, 16)}`;
  return memo;
}

function listCode(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
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
