import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inProcessBaseline, processBaseline } from './baseline.js';
import { argValue, listFlagFiles, median, snapshotBuild } from './support.js';
import { GENERATED_TODAY, generateRepository } from './generate-repo.js';

/**
 * Times `flags build` (json bundles, signed with a real key from the environment) of a generated
 * repository of 10,000 flags × 3 environments, side by side with a baseline measured in the same
 * run: a fresh `node` process that reads every flag file and parses it with `yaml` on one thread
 * (bench/baseline.ts), with the same loop on this process's warm JIT beside it as a stricter
 * reference. Rounds interleave the baseline and the builds, so load from other processes on a
 * shared machine hits both alike.
 *
 *   npm run bench:build -- [--flags N] [--runs N] [--keep] [--cli path/to/bin/flags.cjs]
 *
 * Builds run as users run them: `node bin/flags.cjs build` (the compiled build, copied first, so a
 * rebuild of a shared working tree cannot change the tool fingerprint halfway) in a child process.
 * A second table says where the time of one build goes, timed inside a fresh process.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const TARGETS = { cold: 0.8, changed: 0.15, published: 0.2 };
const NOW = `${GENERATED_TODAY}T12:00:00Z`;

interface Run {
  ms: number;
  status: number;
  output: string;
}

let CLI = join(ROOT, 'bin', 'flags.cjs');

function flags(args: string[], cwd: string, env: Record<string, string | undefined> = {}): Run {
  const started = performance.now();
  const child = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, FLAGS_CACHE_DIR: undefined, GITHUB_ACTIONS: undefined, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return {
    ms: performance.now() - started,
    status: child.status ?? -1,
    output: `${child.stdout}${child.stderr}`,
  };
}

const must = (run: Run, what: string): Run => {
  if (run.status !== 0) throw new Error(`${what} failed (exit ${run.status}):\n${run.output.slice(0, 4000)}`);
  return run;
};

/** A change that reaches the bundles: one environment of one flag switched on or off. */
function change(file: string): void {
  const text = readFileSync(file, 'utf8');
  const next = text.includes('enabled: true')
    ? text.replace('enabled: true', 'enabled: false')
    : text.replace('enabled: false', 'enabled: true');
  writeFileSync(file, next);
}

/** A private copy of the build to time (as bench/check.ts makes one). */
interface Phases {
  start: number;
  imports: number;
  load: number;
  check: number;
  own: number;
}

/**
 * Where the time of one build goes, in a fresh process like the CLI's: Node's own start, importing
 * the modules, the check as `flags check` runs it (checkRepositoryAt, shared with `flags check`:
 * "load" is reading and analysing, "check" the rules or the incremental check), and the build's
 * own work: startBuild (which starts the git queries before the repository loads) plus finishBuild
 * (contents, statements, signatures, verification, atomic writes). Its printed summary is dropped.
 */
function phases(repo: string, cacheDir: string | false, env: Record<string, string>): Phases {
  const loader = new URL('../build/scripts/load-image.js', pathToFileURL(CLI)).href;
  const options = {
    repo,
    format: 'json',
    now: NOW,
    // The cold run signs as CI does; the warm one as a workstation does (development key, caches).
    requireSigningKey: cacheDir === false,
    allowDirty: true,
    cache: cacheDir !== false,
    ...(cacheDir === false ? {} : { cacheDir }),
  };
  // As the binary does: the CLI image through its code cache, then the build command's code.
  const code = `const start = performance.now();
    const t0 = performance.now();
    const { loadImage } = await import(${JSON.stringify(loader)});
    const { checkRepositoryAt, loadEveryFlag, startBuild, finishBuild } = await loadImage().cli.steps();
    const t1 = performance.now();
    const started = startBuild(${JSON.stringify(options)});
    const s1 = performance.now();
    const steps = {};
    const checked = await checkRepositoryAt(started.root, {
      cacheDir: ${JSON.stringify(cacheDir)},
      today: started.today,
      onStep: (step) => { steps[step] = performance.now(); },
    });
    const t2 = steps.analysed;
    if (checked.findings.some((f) => f.severity === 'error')) throw new Error('flags check finds errors');
    const t3 = performance.now();
    const loadAll = () => loadEveryFlag(started.root, { cacheDir: ${JSON.stringify(cacheDir)} });
    const write = process.stdout.write;
    process.stdout.write = () => true;
    const code = await finishBuild(started, checked, loadAll);
    process.stdout.write = write;
    const t4 = performance.now();
    if (code !== 0) throw new Error('the build failed');
    process.stdout.write(JSON.stringify({ start, imports: t1 - t0, load: t2 - s1, check: t3 - t2, own: s1 - t1 + (t4 - t3) }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: repo,
    env: { ...process.env, FLAGS_CACHE_DIR: undefined, GITHUB_ACTIONS: undefined, ...env },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`phase timing failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Phases;
}

function git(cwd: string, ...args: string[]): void {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
}

function main(): void {
  const argv = process.argv.slice(2);
  const count = Number(argValue(argv, '--flags') ?? 10_000);
  const runs = Math.max(1, Number(argValue(argv, '--runs') ?? 7));
  CLI = resolve(argValue(argv, '--cli') ?? CLI);
  if (!existsSync(join(CLI, '..', '..', 'build', 'image', 'flags.cjs'))) {
    process.stderr.write('build first: npm run build (npm run bench:build does)\n');
    process.exitCode = 2;
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'flags-bench-build-'));
  const repo = join(work, 'repo');
  const log = (text: string) => process.stderr.write(`${text}\n`);
  try {
    CLI = snapshotBuild(CLI, join(work, 'toolkit'));
    const generated = generateRepository(repo, { flags: count, seed: 1 });
    const files = listFlagFiles(repo);
    const notes: string[] = [];
    const probe = flags(['check', '--no-cache', '--today', GENERATED_TODAY, '--json'], repo);
    if (probe.status !== 0 && probe.output.includes('policy/claim-budget')) {
      // The generator turns most flags on outside production; the claim budget of its policy is
      // too small for that. Raise it (within the policy schema), so the build is not refused.
      const policy = join(repo, 'flags', '_policy.yaml');
      writeFileSync(
        policy,
        readFileSync(policy, 'utf8').replace(/maxClaimBytes: \d+/, 'maxClaimBytes: 1048576'),
      );
      notes.push(
        'raised limits.maxClaimBytes of the generated policy to 1048576 (policy/claim-budget failed)',
      );
    }
    must(
      flags(['check', '--no-cache', '--today', GENERATED_TODAY], repo),
      'flags check of the generated repository',
    );
    git(repo, 'init', '-q', '--initial-branch=main');
    writeFileSync(join(repo, '.gitignore'), 'dist/\n.cache/\n');
    const keyFile = join(work, 'signing.pem');
    must(flags(['keygen', '--out', keyFile], work), 'flags keygen');
    must(
      flags(['keyset', 'init', '--key', `${keyFile}=development,staging,production`, '--now', NOW], repo),
      'keyset init',
    );
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-qm', 'generated');
    // Caches (and the key that seals them) in the benchmark's folder, never the user's.
    const xdg = { XDG_CACHE_HOME: join(work, 'xdg') };
    const env = { ...xdg, FLAGS_SIGNING_KEY: readFileSync(keyFile, 'utf8') };
    // Signed with a real key: as CI builds, with no cache (a signing build never reads one).
    const build = (extra: string[]) =>
      must(
        flags(['build', '--now', NOW, '--require-signing-key', '--allow-dirty', ...extra], repo, env),
        'flags build',
      );
    // A workstation's build: the development key, and the sealed caches outside the repository.
    const local = (extra: string[]) =>
      must(
        flags(['build', '--now', NOW, '--allow-dirty', '--out', join(work, 'local'), ...extra], repo, xdg),
        'flags build (development key)',
      );
    const commit = (message: string) => {
      git(repo, 'add', '-A');
      git(repo, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-qm', message);
    };
    log(
      `generated ${files.length} flag files (${(generated.bytes / 1e6).toFixed(1)} MB) in ${repo}; ${runs} rounds`,
    );
    for (const note of notes) log(`note: ${note}`);

    const rows = {
      baseline: [] as number[],
      warmLoop: [] as number[],
      cheapEnv: [] as number[],
      cold: [] as number[],
      published: [] as number[],
      coldWrite: [] as number[],
      changed: [] as number[],
      unchanged: [] as number[],
      coldPhases: [] as Phases[],
      warmPhases: [] as Phases[],
    };
    // One warm-up of each, so every measured round finds the same page cache and build.
    processBaseline(repo);
    inProcessBaseline(files);
    build(['--no-cache']);
    const published = join(work, 'published');
    for (let round = 1; round <= runs; round++) {
      const cacheDir = join(work, `cache-${round}`);
      rows.baseline.push(processBaseline(repo));
      rows.warmLoop.push(inProcessBaseline(files));
      rows.cheapEnv.push(processBaseline(repo, { cheapEnv: true }));
      // What CI publishes: bundles and build records of the committed flags, from nothing.
      rows.cold.push(build(['--no-cache', '--out', published]).ms);
      // The next push: one flag changed and committed; CI starts from the published bundles.
      change(files[(round * 7919 + 2) % files.length]!);
      commit(`round ${round}`);
      const next = build(['--since-bundles', published, '--out', join(work, 'next')]);
      if (!next.output.includes(`1 of ${files.length} flag files changed`))
        throw new Error(`the build did not start from the published bundles:\n${next.output.slice(0, 2000)}`);
      rows.published.push(next.ms);
      rows.coldWrite.push(local(['--cache-dir', cacheDir]).ms);
      change(files[(round * 7919) % files.length]!);
      const changed = local(['--cache-dir', cacheDir, '--json']);
      rows.changed.push(changed.ms);
      rows.unchanged.push(local(['--cache-dir', cacheDir]).ms);
      rows.coldPhases.push(phases(repo, false, env));
      change(files[(round * 7919 + 1) % files.length]!);
      rows.warmPhases.push(phases(repo, cacheDir, xdg));
      log(
        `round ${round}: baseline ${rows.baseline.at(-1)!.toFixed(0)} ms, cold ${rows.cold.at(-1)!.toFixed(0)} ms, from the published bundles ${rows.published.at(-1)!.toFixed(0)} ms, one flag changed (cache) ${rows.changed.at(-1)!.toFixed(0)} ms`,
      );
    }
    const sizes = ['development', 'staging', 'production'].map(
      (e) => `${e} ${(readFileSync(join(published, `${e}.bundle.json`)).byteLength / 1e6).toFixed(2)} MB`,
    );
    const base = median(rows.baseline);
    const line = (label: string, samples: number[], target?: number) => {
      const ms = median(samples);
      const ratio = ms / base;
      const verdict = target === undefined ? '' : ratio <= target ? `≤ ${target}  ok` : `≤ ${target}  MISSED`;
      const range = `${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)}`;
      return `| ${label.padEnd(44)} | ${ms.toFixed(0).padStart(6)} ms | ${range.padStart(11)} | ${ratio.toFixed(2).padStart(5)}× | ${verdict.padEnd(16)} |`;
    };
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    process.stdout.write(
      [
        '',
        `flags build, ${files.length} flags × 3 environments, signed (Ed25519), ${availableParallelism()} cores (${cpu}), Node ${process.version}, median of ${runs} rounds`,
        `bundles: ${sizes.join(', ')}`,
        ...notes.map((n) => `note: ${n}`),
        '',
        `| ${'measurement'.padEnd(44)} | ${'median'.padStart(9)} | ${'range (ms)'.padStart(11)} | ${'ratio'.padStart(6)} | ${'target'.padEnd(16)} |`,
        `|${'-'.repeat(46)}|${'-'.repeat(11)}|${'-'.repeat(13)}|${'-'.repeat(8)}|${'-'.repeat(18)}|`,
        line('baseline: node + read + YAML.parse', rows.baseline),
        line('(reference: same loop, warm, in-process)', rows.warmLoop),
        line('(reference: baseline, env reads hoisted)', rows.cheapEnv),
        line('cold build (real key, no cache)', rows.cold, TARGETS.cold),
        line('one flag changed, from published (CI)', rows.published, TARGETS.published),
        line('local cold build, writing the caches', rows.coldWrite),
        line('local, one flag changed (warm cache)', rows.changed, TARGETS.changed),
        line('local, nothing changed (warm cache)', rows.unchanged),
        '',
        "Where the time goes (medians, ms; a fresh process each; the build's own work starts the git",
        'queries before the check, which they overlap, and ends when the bundles are in place):',
        '',
        "| run  | Node start | imports | check: read + analyse | check: rules | build's own work |",
        '|------|-----------:|--------:|---------------:|----------------:|-----------------:|',
        ...(['cold', 'warm'] as const).map((kind) => {
          const list = kind === 'cold' ? rows.coldPhases : rows.warmPhases;
          const m = (pick: (p: Phases) => number) => median(list.map(pick)).toFixed(0);
          return `| ${kind} | ${m((p) => p.start)} | ${m((p) => p.imports)} | ${m((p) => p.load)} | ${m((p) => p.check)} | ${m((p) => p.own)} (${Math.min(...list.map((p) => p.own)).toFixed(0)}–${Math.max(...list.map((p) => p.own)).toFixed(0)}) |`;
        }),
        '',
        `machine load average at the end: ${globalThis.process.platform === 'linux' ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : 'n/a'}`,
        '',
      ].join('\n'),
    );
  } finally {
    if (argv.includes('--keep')) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main();
