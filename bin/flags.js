#!/usr/bin/env node
// Entry point of `npx flags`: runs the bundled CLI, build/bundle/flags.cjs, through its code cache
// (made by `npm run build`, which `npm ci` runs through the prepare script; see scripts/bundle.ts
// and scripts/load-bundle.ts for why).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the few ES modules loaded before the bundle. Older Node
// lacks it; no harm.
module.enableCompileCache?.();

const loader = new URL('../build/scripts/load-bundle.js', import.meta.url);
if (!existsSync(new URL('../build/bundle/flags.cjs', import.meta.url))) {
  process.stderr.write('flags: the toolkit is not built yet; run `npm ci` (or `npm run build`) first\n');
  process.exit(2);
}
// A reader that stops early (`flags report | head`) is not an error: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { loadBundle } = await import(loader.href);
const loaded = loadBundle();
const code = await loaded.bundle.main(process.argv.slice(2));
process.exitCode = code;
// A cache made by another Node version (or none at all) is replaced, so the next run starts fast.
// A read-only installation simply runs without one.
if (loaded.stale) {
  try {
    loaded.saveCodeCache();
  } catch {
    // not writable: no cache
  }
}
