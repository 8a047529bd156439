#!/usr/bin/env node
// Entry point of `npx flags`: runs the compiled CLI from build/ (made by `npm run build`, which
// `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ can keep compiled code between runs: a check after a small change is mostly start-up,
// and this takes the compilation of the toolkit's modules out of it. Older Node lacks it; no harm.
module.enableCompileCache?.();

const cli = new URL('../build/scripts/cli.js', import.meta.url);
if (!existsSync(cli)) {
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
const { main } = await import(cli.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
