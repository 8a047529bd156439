#!/usr/bin/env node
// Entry point of `npx flags`: runs the bundled CLI, build/image/flags.cjs, through its code cache
// (made by `npm run build`, which `npm ci` runs through the prepare script; see scripts/image.ts
// and scripts/load-image.ts for why). CommonJS, like the image and its loader, so that Node never
// starts its ES module loader: a warm check finishes ~15 ms sooner (docs/performance.md).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node 22.1+ keeps the compiled code of this file and the loader. Older Node lacks it; no harm.
require('node:module').enableCompileCache?.();

const loader = join(__dirname, '..', 'build', 'image', 'load-image.cjs');
if (!existsSync(loader)) {
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
const loaded = require(loader).loadImage();
loaded.cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // A cache made by another Node version (or none at all) is replaced, so the next run starts
  // fast. A read-only installation simply runs without one.
  if (loaded.stale) {
    try {
      loaded.saveCodeCache();
    } catch {
      // not writable: no cache
    }
  }
});
