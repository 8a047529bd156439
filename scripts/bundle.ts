import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CODE_HASH_FILE, codeHash } from './adapters/fingerprint.js';
import { BUNDLE_DIR, BUNDLE_FILE, loadBundle } from './load-bundle.js';

/**
 * Bundles the compiled CLI (build/scripts, made by tsc) into build/bundle/flags.cjs, which
 * `bin/flags.js` runs through load-bundle.ts, and trains its V8 code cache.
 *
 * Why: a check after a small change is mostly start-up. Node 20 resolves, reads, compiles and links
 * each of the ~150 ES modules of the CLI and its libraries one by one; one script with a code cache
 * made from a real run loads the same code with next to no compilation. The sources stay small
 * modules; the bundle is a build product only. Its code hash, which keys the check's caches
 * (adapters/fingerprint.ts), is computed here from the bundle written.
 *
 * One CommonJS script rather than ES module chunks: V8's code cache is available to scripts only.
 * The analysis worker runs the same script (bundle-entry.ts), so one cache serves both threads.
 */

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
/** The ES module a worker thread starts from: the pool looks for it beside the bundle. */
const WORKER_SHIM = `// The analysis worker thread: runs the worker code of the bundle (written by scripts/bundle.ts).
import { loadBundle } from '../scripts/load-bundle.js';

await loadBundle().bundle.startAnalysisWorker();
`;

export async function bundle(): Promise<void> {
  // Written beside the old bundle and swapped in by renames, so that a binary started meanwhile
  // (a test run, a second build) finds one whole bundle or the other.
  const next = `${BUNDLE_DIR}.${process.pid}.next`;
  const old = `${BUNDLE_DIR}.${process.pid}.old`;
  rmSync(next, { recursive: true, force: true });
  await build({
    entryPoints: [join(ROOT, 'build', 'scripts', 'bundle-entry.js')],
    outfile: join(next, basename(BUNDLE_FILE)),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The sources are ES modules and find their neighbours (the worker, the package.json, the
    // libraries for the precompiled validators) from import.meta.url: the bundle's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    // Only the test runner's TypeScript branch of the pool uses import.meta.resolve.
    logOverride: { 'empty-import-meta': 'silent' },
    logLevel: 'warning',
    legalComments: 'none',
    // Drops the libraries' comments (some are not ASCII, which would make the whole source a
    // two-byte string) and a third of the bytes to read and hash. Names stay, for stack traces.
    minifyWhitespace: true,
  });
  writeFileSync(join(next, 'analyze-worker.js'), WORKER_SHIM);
  // Paths relative to the bundle itself, so the hash does not depend on the staging folder's name.
  writeFileSync(join(next, CODE_HASH_FILE), `${codeHash([next], next)}\n`);
  if (existsSync(BUNDLE_DIR)) renameSync(BUNDLE_DIR, old);
  renameSync(next, BUNDLE_DIR);
  rmSync(old, { recursive: true, force: true });
  const training = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (training.status !== 0) throw new Error('training the code cache failed (see above)');
}

/**
 * A representative run in a fresh process, then the code cache of everything it compiled: a cold
 * check of a copy of the example repository, the same check after one flag changed (the
 * incremental path), and its JSON report. The parent discards what it prints.
 */
async function train(): Promise<void> {
  const loaded = loadBundle();
  const work = mkdtempSync(join(tmpdir(), 'flags-train-'));
  try {
    const repo = join(work, 'repo');
    cpSync(join(ROOT, 'flags'), join(repo, 'flags'), { recursive: true });
    cpSync(join(ROOT, 'CODEOWNERS'), join(repo, 'CODEOWNERS'));
    const check = ['check', '--repo', repo, '--today', '2026-11-24', '--cache-dir', join(work, 'cache')];
    await loaded.bundle.main(check);
    const flag = readdirSync(join(repo, 'flags')).find((name) => /^[a-z].*\.yaml$/.test(name));
    if (flag) appendFileSync(join(repo, 'flags', flag), '# changed\n');
    await loaded.bundle.main(check);
    await loaded.bundle.main([...check, '--json']);
    loaded.saveCodeCache();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === '--train') await train();
  else await bundle();
}
