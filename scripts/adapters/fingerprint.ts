import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './repo-files.js';

/**
 * Identifies the code that produced a cached result: the package version plus a hash of the core's
 * own source files, so a changed rule can never be answered from an old cache entry, even without
 * a version bump.
 */
let memo: string | undefined;

export function toolFingerprint(): string {
  if (memo) return memo;
  const here = dirname(fileURLToPath(import.meta.url));
  const hash = sha256(
    [join(here, '..', 'core'), here]
      .flatMap((dir) => listCode(dir))
      .map((file) => `${file}\0${sha256(readFileSync(file))}`)
      .join('\n'),
  );
  memo = `${packageVersion()}+${hash.slice(0, 16)}`;
  return memo;
}

function listCode(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
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
