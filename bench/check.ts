import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inProcessBaseline, processBaseline } from './baseline.js';
import { listFlagFiles, median, snapshotBuild } from './support.js';
import { GENERATED_TODAY, generateRepository } from './generate-repo.js';

/**
 * Times `flags check` on a generated repository of 10,000 flags, side by side with a baseline
 * measured in the same run: reading every flag file and parsing it with `yaml` on one thread, and
 * nothing else, in a fresh `node` process timed like the checks (bench/baseline.ts says why); the
 * same loop on this process's warm JIT is shown beside it as a stricter reference. Rounds interleave the baseline and the checks, so load from other processes on a
 * shared machine hits both alike; the table reports medians and the ratios to the baseline.
 *
 *   npm run bench:check -- [--flags N] [--runs N] [--threads N] [--keep] [--cli path/to/bin/flags.cjs]
 *
 * The checks run as users run them: `node bin/flags.cjs check` (the compiled build) in a child
 * process. Peak memory is the child's maximum resident set size, from /usr/bin/time when present,
 * else from process.resourceUsage() inside a small wrapper (worker threads included either way).
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const TARGETS = { cold: 0.8, warm: 0.1, rssMb: 200 };

interface Options {
  flags: number;
  runs: number;
  threads?: number;
  keep: boolean;
  /** The `flags` binary to time (default: this checkout's bin/flags.cjs). */
  cli: string;
}

function parseArgs(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const threads = value('--threads');
  return {
    flags: Number(value('--flags') ?? 10_000),
    runs: Math.max(1, Number(value('--runs') ?? 5)),
    threads: threads === undefined ? undefined : Number(threads),
    keep: argv.includes('--keep'),
    cli: resolve(value('--cli') ?? join(ROOT, 'bin', 'flags.cjs')),
  };
}

interface Run {
  ms: number;
  rssMb: number;
  status: number;
  stdout: string;
}

const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME) && spawnSync(TIME, ['-f', '%M', 'true']).status === 0;

/** One `flags check` in a child process: wall time, peak RSS, exit status. */
function check(cli: string, repo: string, extra: string[], threads: number | undefined): Run {
  const args = [
    'check',
    '--repo',
    repo,
    '--today',
    GENERATED_TODAY,
    ...(threads ? ['--threads', String(threads)] : []),
    ...extra,
  ];
  const env = {
    ...process.env,
    FLAGS_CACHE_DIR: undefined,
    GITHUB_STEP_SUMMARY: undefined,
    GITHUB_ACTIONS: undefined,
  };
  const rssFile = join(repo, '..', 'rss.txt');
  const command = hasTime
    ? { file: TIME, args: ['-f', '%M', '-o', rssFile, process.execPath, cli, ...args] }
    : {
        file: process.execPath,
        args: [
          '--input-type=module',
          '-e',
          `const { loadImage } = await import(${JSON.stringify(new URL('../build/scripts/load-image.js', pathToFileURL(cli)).href)});
           const code = await loadImage().cli.main(process.argv.slice(1));
           (await import('node:fs')).writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS));
           process.exitCode = code;`,
          ...args,
        ],
      };
  const started = performance.now();
  const child = spawnSync(command.file, command.args, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - started;
  const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
  return { ms, rssMb: rssKb / 1024, status: child.status ?? -1, stdout: `${child.stdout}${child.stderr}` };
}

interface Phases {
  start: number;
  imports: number;
  /** Listing, reading and hashing every file, the policy and CODEOWNERS (0 when not separate). */
  read: number;
  analysed: number;
  judged: number;
  saved: number;
}

/**
 * Where the time of one check goes, in a fresh process like the CLI's: Node's own start, importing
 * the CLI's modules, then the steps of checkRepositoryAt (reading and hashing; analysing what the
 * caches cannot answer; the rules after the cache, or the incremental check; writing the caches).
 */
function phases(cli: string, repo: string, cacheDir: string | false, threads: number | undefined): Phases {
  const loader = new URL('../build/scripts/load-image.js', pathToFileURL(cli)).href;
  // As the binary does: the CLI image through its code cache, then the check command's code.
  const code = `const start = performance.now();
    const { loadImage } = await import(${JSON.stringify(loader)});
    const { checkRepositoryAt } = await loadImage().cli.steps();
    const t = { imports: performance.now() };
    await checkRepositoryAt(${JSON.stringify(repo)}, {
      cacheDir: ${JSON.stringify(cacheDir)},
      threads: ${threads ?? 'undefined'},
      today: ${JSON.stringify(GENERATED_TODAY)},
      onStep: (step) => { t[step] = performance.now(); },
    });
    const end = performance.now();
    const read = t.read ?? t.imports;
    process.stdout.write(JSON.stringify({ start, imports: t.imports - start, read: read - t.imports,
      analysed: t.analysed - read, judged: t.judged - t.analysed, saved: end - t.judged }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`phase timing failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Phases;
}

/** A small, valid edit: the kind of change a pull request makes to one flag. */
function touch(file: string, round: number): void {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/^description: (.*)$/m, `description: $1 (edit ${round})`));
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(join(options.cli, '..', '..', 'build', 'image', 'flags.cjs'))) {
    process.stderr.write('build first: npm run build (npm run bench:check does)\n');
    process.exitCode = 2;
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'flags-bench-'));
  const repo = join(work, 'repo');
  try {
    // Time a private copy of the build: on a shared working tree a rebuild in the middle of the run
    // would change the tool fingerprint and empty the cache between a cold and a warm run.
    options.cli = snapshotBuild(options.cli, join(work, 'toolkit'));
    const generated = generateRepository(repo, { flags: options.flags, seed: 1 });
    const files = listFlagFiles(repo);
    const log = (text: string) => process.stderr.write(`${text}\n`);
    log(
      `generated ${files.length} flag files (${(generated.bytes / 1e6).toFixed(1)} MB) in ${repo}; ${options.runs} rounds`,
    );
    const rows = {
      baseline: [] as number[],
      warmLoop: [] as number[],
      cheapEnv: [] as number[],
      cold: [] as Run[],
      coldWrite: [] as Run[],
      warm: [] as Run[],
      unchanged: [] as Run[],
      coldPhases: [] as Phases[],
      warmPhases: [] as Phases[],
    };
    // One warm-up of each, so every measured round finds the same page cache and build.
    processBaseline(repo);
    inProcessBaseline(files);
    check(options.cli, repo, ['--no-cache'], options.threads);
    for (let round = 1; round <= options.runs; round++) {
      const cacheDir = join(work, `cache-${round}`);
      rows.baseline.push(processBaseline(repo));
      rows.warmLoop.push(inProcessBaseline(files));
      rows.cheapEnv.push(processBaseline(repo, { cheapEnv: true }));
      rows.cold.push(check(options.cli, repo, ['--no-cache'], options.threads));
      rows.coldWrite.push(check(options.cli, repo, ['--cache-dir', cacheDir], options.threads));
      touch(files[(round * 7919) % files.length]!, round);
      rows.warm.push(check(options.cli, repo, ['--cache-dir', cacheDir], options.threads));
      rows.unchanged.push(check(options.cli, repo, ['--cache-dir', cacheDir], options.threads));
      rows.coldPhases.push(phases(options.cli, repo, false, options.threads));
      touch(files[(round * 7919 + 1) % files.length]!, round);
      rows.warmPhases.push(phases(options.cli, repo, cacheDir, options.threads));
      log(
        `round ${round}: baseline ${rows.baseline.at(-1)!.toFixed(0)} ms, cold ${rows.cold.at(-1)!.ms.toFixed(0)} ms, warm ${rows.warm.at(-1)!.ms.toFixed(0)} ms`,
      );
    }
    for (const run of [...rows.cold, ...rows.coldWrite, ...rows.warm, ...rows.unchanged]) {
      if (run.status !== 0)
        throw new Error(`flags check failed (exit ${run.status}):\n${run.stdout.slice(0, 4000)}`);
    }
    const warmStats = rows.warm.map((r) => /(\d+) from cache/.exec(r.stdout)?.[1]);
    if (warmStats.some((n) => Number(n) !== files.length - 1))
      throw new Error(`a warm check did not answer all but one file from the cache: ${warmStats.join(', ')}`);
    const base = median(rows.baseline);
    const line = (label: string, ms: number, target?: number, spread?: number[]) => {
      const ratio = ms / base;
      const verdict = target === undefined ? '' : ratio <= target ? `≤ ${target}  ok` : `≤ ${target}  MISSED`;
      const range = spread ? `${Math.min(...spread).toFixed(0)}–${Math.max(...spread).toFixed(0)}` : '';
      return `| ${label.padEnd(38)} | ${ms.toFixed(0).padStart(6)} ms | ${range.padStart(11)} | ${ratio.toFixed(2).padStart(5)}× | ${verdict.padEnd(13)} |`;
    };
    const ms = (runs: Run[]) => runs.map((r) => r.ms);
    const peak = Math.max(...[...rows.cold, ...rows.coldWrite, ...rows.warm].map((r) => r.rssMb));
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const out = [
      '',
      `flags check, ${files.length} flags (~${Math.round(generated.bytes / files.length)} bytes each), ${availableParallelism()} cores (${cpu}), Node ${process.version}, median of ${options.runs} rounds`,
      '',
      `| ${'measurement'.padEnd(38)} | ${'median'.padStart(9)} | ${'range (ms)'.padStart(11)} | ${'ratio'.padStart(6)} | ${'target'.padEnd(13)} |`,
      `|${'-'.repeat(40)}|${'-'.repeat(11)}|${'-'.repeat(13)}|${'-'.repeat(8)}|${'-'.repeat(15)}|`,
      line('baseline: node + read + YAML.parse', base, undefined, rows.baseline),
      line('(reference: same loop, warm, in-process)', median(rows.warmLoop), undefined, rows.warmLoop),
      line('(reference: baseline, env reads hoisted)', median(rows.cheapEnv), undefined, rows.cheapEnv),
      line('cold check (--no-cache)', median(ms(rows.cold)), TARGETS.cold, ms(rows.cold)),
      line('cold check, writing the cache', median(ms(rows.coldWrite)), undefined, ms(rows.coldWrite)),
      line('warm check, one flag file changed', median(ms(rows.warm)), TARGETS.warm, ms(rows.warm)),
      line('warm check, nothing changed', median(ms(rows.unchanged)), undefined, ms(rows.unchanged)),
      '',
      'Where the time goes (medians, ms; a fresh process each, without printing the report):',
      '',
      '| run  | Node start | imports | read + hash | analyse | rules | write caches |',
      '|------|-----------:|--------:|------------:|--------:|------:|-------------:|',
      ...(['cold', 'warm'] as const).map((kind) => {
        const list = kind === 'cold' ? rows.coldPhases : rows.warmPhases;
        const m = (pick: (p: Phases) => number) => median(list.map(pick)).toFixed(0);
        return `| ${kind} | ${m((p) => p.start)} | ${m((p) => p.imports)} | ${m((p) => p.read)} | ${m((p) => p.analysed)} | ${m((p) => p.judged)} | ${m((p) => p.saved)} |`;
      }),
      '',
      `peak RSS of a check process: ${peak.toFixed(0)} MB (cold ${median(rows.cold.map((r) => r.rssMb)).toFixed(0)} MB, warm ${median(rows.warm.map((r) => r.rssMb)).toFixed(0)} MB median; target < ${TARGETS.rssMb} MB: ${peak < TARGETS.rssMb ? 'ok' : 'MISSED'}) [${hasTime ? '/usr/bin/time %M' : 'process.resourceUsage().maxRSS'}]`,
      '',
    ];
    process.stdout.write(out.join('\n'));
  } finally {
    if (options.keep) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main();
