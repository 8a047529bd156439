import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { GENERATED_TODAY, generateRepository } from '../bench/generate-repo.js';
import { CODE_HASH_FILE, codeHash } from './adapters/fingerprint.js';
import { IMAGE_DIR, IMAGE_FILE, loadImage } from './load-image.js';

/**
 * Bundles the compiled CLI (build/scripts, made by tsc) into build/image/flags.cjs, which
 * `bin/flags.cjs` runs through load-image.ts (bundled beside it as load-image.cjs), and trains
 * its V8 code cache.
 *
 * Why: a check after a small change is mostly start-up. Node 20 resolves, reads, compiles and links
 * each of the ~150 ES modules of the CLI and its libraries one by one; one script with a code cache
 * made from a real run loads the same code with next to no compilation. The sources stay small
 * modules; the image is a build product only. Its code hash, which keys the check's caches
 * (adapters/fingerprint.ts), is computed here from the image written.
 *
 * One CommonJS script rather than ES module chunks: V8's code cache is available to scripts only.
 * The analysis worker runs the same script (image-entry.ts), so one cache serves both threads.
 */

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
/**
 * The scripts worker threads start from, found beside the image (adapters/worker-thread.ts): each
 * runs its part of the image. CommonJS, as the binary is: a worker that never starts Node's ES
 * module loader is ready ~7 ms sooner.
 */
const WORKER_SHIMS: Record<string, string> = {
  'analyze-worker.cjs': 'startAnalysisWorker',
};
const workerShim = (start: string) =>
  `// A worker thread: runs its part of the image (written by scripts/image.ts).
'use strict';
require('./${LOADER_FILE}').loadImage().cli.${start}();
`;
/** load-image.ts as a CommonJS script beside the image, for the binary and the worker shims. */
const LOADER_FILE = 'load-image.cjs';
/**
 * The inputs of the image's scripts (esbuild's metafile, merged): which packages went into the image,
 * for the toolkit package's licence texts and SBOM (scripts/packages/). Not code: outside the hash.
 */
export const IMAGE_INPUTS_FILE = 'esbuild-inputs.json';

/**
 * yaml's Parser reads `process.env.LOG_TOKENS` (a switch that logs every token, for debugging yaml)
 * once per token, and its Composer `process.env.LOG_STREAM` once per node. Node's `process.env` is
 * an interceptor into C++, and those reads are a third of the Parser's time (measured over 10,000
 * flags: ~1290 ms with them, ~870 ms without). The image reads each switch once, when the module
 * loads: the same parser and the same switches, minus millions of environment lookups. A yaml
 * release that changes these lines fails the build here rather than silently losing the fix.
 */
const YAML_DEBUG_SWITCHES: Record<string, string> = {
  'parse/parser.js': 'LOG_TOKENS',
  'compose/composer.js': 'LOG_STREAM',
};

const hoistYamlDebugSwitches: Plugin = {
  name: 'hoist-yaml-debug-switches',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]node_modules[\\/]yaml[\\/]dist[\\/].*\.js$/ }, (args) => {
      const file = Object.keys(YAML_DEBUG_SWITCHES).find((f) => args.path.endsWith(join('yaml', 'dist', f)));
      if (!file) return undefined;
      const name = YAML_DEBUG_SWITCHES[file]!;
      const source = readFileSync(args.path, 'utf8');
      const require = "var node_process = require('process');";
      const read = `node_process.env.${name}`;
      if (source.split(require).length !== 2 || source.split(read).length !== 2)
        throw new Error(`yaml/dist/${file} no longer reads ${read} as image.ts expects; review the hoist`);
      const contents = source
        .replace(read, `FLAGS_HOISTED_${name}`)
        .replace(require, `${require}\nvar FLAGS_HOISTED_${name} = ${read};`);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * The precompiled validators (scripts/core/model/generated/validators.ts) load ajv's runtime helpers
 * with a `require` made by createRequire, which a bundler leaves to run time: an installed toolkit,
 * which has no node_modules of its own, would fail there. In the image they are plain `require`
 * calls, which esbuild bundles like any other.
 */
const bundleValidatorHelpers: Plugin = {
  name: 'bundle-validator-helpers',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]model[\\/]generated[\\/]validators\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const local = 'const require = createRequire(import.meta.url);';
      if (source.split(local).length !== 2)
        throw new Error(`${args.path} no longer makes its require as image.ts expects; review the plugin`);
      return { contents: source.replace(local, ''), loader: 'js' };
    });
  },
};

export async function makeImage(): Promise<void> {
  // Written beside the old image and swapped in by renames, so that a binary started meanwhile
  // (a test run, a second build) finds one whole image or the other.
  const next = `${IMAGE_DIR}.${process.pid}.next`;
  const old = `${IMAGE_DIR}.${process.pid}.old`;
  rmSync(next, { recursive: true, force: true });
  const script = {
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The sources are ES modules and find their neighbours (the worker, the package.json, the
    // libraries for the precompiled validators) from import.meta.url: the script's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    // Only the test runner's TypeScript branch of the pool uses import.meta.resolve.
    logOverride: { 'empty-import-meta': 'silent' },
    logLevel: 'warning',
    legalComments: 'none',
    metafile: true,
    // The metafile's input paths are relative to this: node_modules/<package>/…, on any machine.
    absWorkingDir: ROOT,
  } as const;
  const image = await build({
    ...script,
    entryPoints: [join(ROOT, 'build', 'scripts', 'image-entry.js')],
    outfile: join(next, basename(IMAGE_FILE)),
    plugins: [hoistYamlDebugSwitches, bundleValidatorHelpers],
    // Drops the libraries' comments (some are not ASCII, which would make the whole source a
    // two-byte string) and a third of the bytes to read and hash. Names stay, for stack traces.
    minifyWhitespace: true,
  });
  // It finds the image from its own place: build/image/../image, as from build/scripts.
  const loader = await build({
    ...script,
    entryPoints: [join(ROOT, 'build', 'scripts', 'load-image.js')],
    outfile: join(next, LOADER_FILE),
  });
  // The verifier thread needs the runtime's verifier alone (~40 kB): a script of its own starts
  // in about half the time of the whole image, on the core the build's git queries need too.
  const verifier = await build({
    ...script,
    entryPoints: [join(ROOT, 'build', 'scripts', 'adapters', 'verify-worker.js')],
    outfile: join(next, 'verify-worker.cjs'),
  });
  writeFileSync(
    join(next, IMAGE_INPUTS_FILE),
    `${JSON.stringify(inputsOf([image, loader, verifier]), null, 2)}\n`,
  );
  for (const [file, start] of Object.entries(WORKER_SHIMS))
    writeFileSync(join(next, file), workerShim(start));
  // Paths relative to the image itself, so the hash does not depend on the staging folder's name.
  writeFileSync(join(next, CODE_HASH_FILE), `${codeHash([next], next)}\n`);
  if (existsSync(IMAGE_DIR)) renameSync(IMAGE_DIR, old);
  renameSync(next, IMAGE_DIR);
  rmSync(old, { recursive: true, force: true });
  // A clean environment: no key, cache folder or CI settings of the caller's reach the run.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(FLAGS_|GITHUB_)/.test(name) && name !== 'CI'),
  );
  const training = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (training.status !== 0) throw new Error(`training the code cache failed:\n${training.stderr}`);
}

/** Every source file that went into the scripts, with its size, sorted by path. */
function inputsOf(results: readonly { metafile: Metafile }[]): Record<string, number> {
  const inputs = results.flatMap(({ metafile }) =>
    Object.entries(metafile.inputs).map(([path, input]) => [path, input.bytes] as const),
  );
  return Object.fromEntries(inputs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A representative run in a fresh process, then the code cache of everything it compiled: a cold
 * check of a generated repository (bench/generate-repo.ts: a realistic mix of flags, valid on its
 * own date, so the build never depends on what a team keeps in flags/), the same check after one
 * flag changed (the incremental path), its JSON report, and two builds of it as a git repository
 * (signed with a development key made in the copy). The parent discards what it prints.
 */
async function train(): Promise<void> {
  const loaded = loadImage();
  const work = mkdtempSync(join(tmpdir(), 'flags-train-'));
  try {
    const repo = join(work, 'repo');
    generateRepository(repo, { flags: 40 });
    const cache = ['--cache-dir', join(work, 'cache')];
    const check = ['check', '--repo', repo, '--today', GENERATED_TODAY, ...cache];
    await loaded.cli.main(check);
    const flag = readdirSync(join(repo, 'flags')).find((name) => /^[a-z].*\.yaml$/.test(name));
    const edit = (n: number) => flag && appendFileSync(join(repo, 'flags', flag), `# changed ${n}\n`);
    edit(1);
    await loaded.cli.main(check);
    await loaded.cli.main([...check, '--json']);
    if (commitAll(repo)) {
      const build = ['build', '--repo', repo, '--now', `${GENERATED_TODAY}T12:00:00Z`, ...cache];
      await loaded.cli.main(build);
      edit(2);
      await loaded.cli.main(build);
    }
    loaded.saveCodeCache();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Makes `repo` a git repository with one commit; false when git cannot (the build is then not trained). */
function commitAll(repo: string): boolean {
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=flags', '-c', 'user.email=flags@localhost', ...args], {
      cwd: repo,
      stdio: 'ignore',
    }).status === 0;
  return git('init', '-q') && git('add', '-A') && git('commit', '-qm', 'training');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === '--train') await train();
  else await makeImage();
}
