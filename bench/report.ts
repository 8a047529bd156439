import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inProcessBaseline, processBaseline } from './baseline.js';
import { GENERATED_TODAY, generateRepository } from './generate-repo.js';
import { argValue, listFlagFiles, median } from './support.js';

/**
 * Times `flags report` on a generated repository of 10,000 flags with a git history (a few commits
 * by different authors, including renames), beside a baseline measured in the same run: reading
 * every flag file and parsing it with `yaml` on one thread, and nothing else, in a fresh `node`
 * process timed like the reports (bench/baseline.ts). Rounds interleave the
 * baseline and the reports, so load from other processes hits both alike; the table reports
 * medians and ratios to the baseline.
 *
 *   npm run bench:report -- [--flags N] [--runs N] [--keep]
 *
 * Reports run as users run them, `node bin/flags.cjs report` in a child process, writing --out.
 * "cold" has an empty result cache (every file analysed); "warm" reuses it, as a scheduled job on
 * a runner with a cache would. The git history pass is also timed on its own, in-process.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const CLI = join(ROOT, 'bin', 'flags.cjs');
const FORMATS = ['text', 'markdown', 'json', 'csv', 'html'] as const;

function git(repo: string, args: string[], date?: string): string {
  const env = { ...process.env, ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) };
  const child = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (child.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${child.stderr}`);
  return child.stdout;
}

/** Five commits by four authors: the import, two rounds of edits, a move into a folder (renames). */
function makeHistory(repo: string, files: readonly string[]): { commits: number; renamed: number } {
  git(repo, ['init', '-q', '--initial-branch=main']);
  git(repo, ['config', 'user.name', 'Bench']);
  git(repo, ['config', 'user.email', 'bench@example.com']);
  git(repo, ['config', 'commit.gpgsign', 'false']);
  const commit = (message: string, author: string, date: string) => {
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', message, `--author=${author}`], date);
  };
  const edit = (file: string, note: string) => {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/^description: (.*)$/m, `description: $1 (${note})`));
  };
  commit('Import the flags', 'Alice Example <alice@example.com>', '2026-01-05T09:00:00Z');
  for (const f of files.filter((_, i) => i % 7 === 0)) edit(f, 'clarified');
  commit('Clarify descriptions', 'Bob Builder <bob@example.com>', '2026-03-10T14:30:00Z');
  // Top-level flags of the platform team move into flags/platform/: renames git must follow.
  const top = files.filter((f) => dirname(f) === join(repo, 'flags')).filter((_, i) => i % 10 === 0);
  for (const file of top) {
    const target = join(repo, 'flags', 'platform', relative(join(repo, 'flags'), file));
    mkdirSync(dirname(target), { recursive: true });
    renameSync(file, target);
    writeFileSync(
      target,
      readFileSync(target, 'utf8').replace('$schema=../schemas/', '$schema=../../schemas/'),
    );
  }
  // As a real move would: the managed CODEOWNERS block follows the files.
  const sync = spawnSync(process.execPath, [CLI, 'codeowners', '--write', '--repo', repo], {
    encoding: 'utf8',
  });
  if (sync.status !== 0) throw new Error(`flags codeowners --write failed: ${sync.stdout}${sync.stderr}`);
  commit(
    'Move platform flags into their folder',
    'Carol Reviewer <carol@example.com>',
    '2026-06-01T08:15:00Z',
  );
  const now = listFlagFiles(repo);
  for (const f of now.filter((_, i) => i % 11 === 0)) edit(f, 'reviewed');
  commit('Quarterly review', 'Dave Ops <dave@example.com>', '2026-09-15T16:45:00Z');
  for (const f of now.filter((_, i) => i % 97 === 0)) edit(f, 'owner confirmed');
  commit('Confirm owners', 'Bob Builder <bob@example.com>', '2026-11-20T10:00:00Z');
  return { commits: 5, renamed: top.length };
}

interface Run {
  ms: number;
  rssMb: number;
  status: number;
  output: string;
}

const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME) && spawnSync(TIME, ['-f', '%M', 'true']).status === 0;

function report(repo: string, cacheDir: string, format: string, out: string): Run {
  const args =
    format === 'check'
      ? [CLI, 'check', '--repo', repo, '--today', GENERATED_TODAY, '--json']
      : [CLI, 'report', '--repo', repo, '--today', GENERATED_TODAY, '--format', format, '--out', out];
  const env = { ...process.env, FLAGS_CACHE_DIR: cacheDir, GITHUB_STEP_SUMMARY: undefined };
  const rssFile = join(dirname(out), 'rss.txt');
  const started = performance.now();
  const child = hasTime
    ? spawnSync(TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...args], { env, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - started;
  const rssKb = hasTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : Number.NaN;
  return { ms, rssMb: rssKb / 1024, status: child.status ?? -1, output: `${child.stdout}${child.stderr}` };
}

async function historyPass(repo: string, files: readonly string[]): Promise<{ ms: number; found: number }> {
  const { readHistory } = (await import(
    pathToFileURL(join(ROOT, 'build', 'scripts', 'adapters', 'history.js')).href
  )) as {
    readHistory(root: string, files: readonly string[]): Promise<{ files: Map<string, unknown> }>;
  };
  const started = performance.now();
  const history = await readHistory(repo, files);
  return { ms: performance.now() - started, found: history.files.size };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flags = Number(argValue(argv, '--flags') ?? 10_000);
  const runs = Math.max(1, Number(argValue(argv, '--runs') ?? 3));
  if (!existsSync(join(ROOT, 'build', 'image', 'flags.cjs'))) {
    process.stderr.write('build first: npm run build (npm run bench:report does)\n');
    process.exitCode = 2;
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'flags-bench-report-'));
  const repo = join(work, 'repo');
  const log = (text: string) => process.stderr.write(`${text}\n`);
  try {
    const generated = generateRepository(repo, { flags, seed: 7 });
    const history = makeHistory(repo, listFlagFiles(repo));
    const files = listFlagFiles(repo);
    const relativeFiles = files.map((f) => relative(repo, f).split('\\').join('/'));
    log(
      `generated ${files.length} flag files (${(generated.bytes / 1e6).toFixed(1)} MB), ${history.commits} commits, ${history.renamed} renames; ${runs} rounds`,
    );
    const rows = {
      baseline: [] as number[],
      warmLoop: [] as number[],
      history: [] as number[],
      cold: [] as Run[],
      check: [] as Run[],
      warm: Object.fromEntries(FORMATS.map((f) => [f, [] as Run[]])) as Record<
        (typeof FORMATS)[number],
        Run[]
      >,
    };
    const sizes: Record<string, number> = {};
    processBaseline(repo);
    inProcessBaseline(files);
    report(repo, join(work, 'warmup-cache'), 'json', join(work, 'warmup.json'));
    for (let round = 1; round <= runs; round++) {
      rows.baseline.push(processBaseline(repo));
      rows.warmLoop.push(inProcessBaseline(files));
      const pass = await historyPass(repo, relativeFiles);
      if (pass.found !== files.length)
        throw new Error(`history found ${pass.found} of ${files.length} files`);
      rows.history.push(pass.ms);
      const cache = join(work, `cache-${round}`);
      rows.check.push(report(repo, join(work, `check-cache-${round}`), 'check', join(work, 'check.json')));
      rows.cold.push(report(repo, cache, 'html', join(work, `cold-${round}.html`)));
      for (const format of FORMATS) {
        const out = join(work, `warm-${round}.${format}`);
        rows.warm[format].push(report(repo, cache, format, out));
        sizes[format] = statSync(out).size;
      }
      log(
        `round ${round}: baseline ${rows.baseline.at(-1)!.toFixed(0)} ms, history ${pass.ms.toFixed(0)} ms, cold html ${rows.cold.at(-1)!.ms.toFixed(0)} ms, warm html ${rows.warm.html.at(-1)!.ms.toFixed(0)} ms`,
      );
    }
    for (const run of [...rows.cold, ...rows.check, ...Object.values(rows.warm).flat()])
      if (run.status !== 0)
        throw new Error(`flags report failed (exit ${run.status}):\n${run.output.slice(0, 4000)}`);
    const json = JSON.parse(readFileSync(join(work, `warm-${runs}.json`), 'utf8')) as {
      summary: { flags: number };
      flags: { created?: unknown; lastChanged?: { author: string } }[];
    };
    if (json.summary.flags !== files.length || json.flags.some((f) => !f.created))
      throw new Error('the report is missing flags or their history');
    const base = median(rows.baseline);
    const line = (label: string, values: number[], extra = '') => {
      const ms = median(values);
      const range = `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
      return `| ${label.padEnd(40)} | ${ms.toFixed(0).padStart(6)} ms | ${range.padStart(11)} | ${(ms / base).toFixed(2).padStart(5)}× | ${extra.padEnd(10)} |`;
    };
    const ms = (list: Run[]) => list.map((r) => r.ms);
    const peak = Math.max(...[...rows.cold, ...Object.values(rows.warm).flat()].map((r) => r.rssMb));
    const mb = (bytes: number | undefined) => `${((bytes ?? 0) / 1e6).toFixed(1)} MB`;
    const out = [
      '',
      `flags report, ${files.length} flags with ${history.commits} commits of history, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, median of ${runs} rounds`,
      '',
      `| ${'measurement'.padEnd(40)} | ${'median'.padStart(9)} | ${'range (ms)'.padStart(11)} | ${'ratio'.padStart(6)} | ${'output'.padEnd(10)} |`,
      `|${'-'.repeat(42)}|${'-'.repeat(11)}|${'-'.repeat(13)}|${'-'.repeat(8)}|${'-'.repeat(12)}|`,
      line('baseline: node + read + YAML.parse', rows.baseline),
      line('(reference: same loop, warm, in-process)', rows.warmLoop),
      line('git history pass alone (in-process)', rows.history),
      line('for scale: flags check, cold cache', ms(rows.check)),
      line('report --format html, cold cache', ms(rows.cold), mb(sizes.html)),
      ...FORMATS.map((f) => line(`report --format ${f}, warm cache`, ms(rows.warm[f]), mb(sizes[f]))),
      '',
      `peak RSS of a report process: ${Number.isNaN(peak) ? 'n/a (no /usr/bin/time)' : `${peak.toFixed(0)} MB`}`,
      '',
    ];
    process.stdout.write(out.join('\n'));
  } finally {
    if (argv.includes('--keep')) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
