import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GENERATED_TODAY, generateRepository } from './generate-repo.js';
import { argValue, median } from './support.js';

/**
 * Times `checkRepository`, the rules that run after the per-file cache (duplicate keys, claim
 * budget, lifecycle, ownership), on two generated repositories of 10,000 flags: one that checks
 * clean and one with 10% of its flags due (seed 7), so the finding paths are timed too.
 *
 *   npm run bench:rules -- [--flags N] [--runs N] [--repo DIR]... [--max-claim-bytes N] [--keep]
 *
 * Each repository is loaded (without a cache) and checked in a fresh process, because the first
 * call is what a CLI run pays: a cold JIT on every rule. The median of the later calls shows the
 * warm cost beside it. `--repo` times existing repositories instead of generating them;
 * `--max-claim-bytes` overrides the policy's claim budget (the generated policy's 262,144 bytes hold
 * every key, which the claim budget notices before it looks into any flag; a smaller budget times
 * its per-environment pass as well).
 */

const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(HERE, '..', '..');

interface Timing {
  first: number;
  median: number;
  findings: number;
  flags: number;
}

/** In the child process: load one repository, then time checkRepository `runs` times. */
async function child(dir: string, runs: number, today: string, budget: number | undefined): Promise<void> {
  const { loadRepository } = await import('../scripts/adapters/repository.js');
  const { checkRepository } = await import('../scripts/core/check/check-repository.js');
  const repo = await loadRepository(dir, { cacheDir: false });
  if (budget !== undefined)
    repo.policy = { ...repo.policy, limits: { ...repo.policy.limits, maxClaimBytes: budget } };
  const times: number[] = [];
  let findings = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    findings = checkRepository({ ...repo, today }).length;
    times.push(performance.now() - started);
  }
  const timing: Timing = {
    first: times[0]!,
    median: median(times.slice(1).length > 0 ? times.slice(1) : times),
    findings,
    flags: repo.files.length,
  };
  process.stdout.write(`${JSON.stringify(timing)}\n`);
}

function timeIn(dir: string, runs: number, budget: string | undefined): Timing {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      HERE,
      '--child',
      dir,
      '--runs',
      String(runs),
      ...(budget === undefined ? [] : ['--max-claim-bytes', budget]),
    ],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (result.status !== 0) throw new Error(`timing ${dir} failed (exit ${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Timing;
}

async function main(argv: string[]): Promise<void> {
  const runs = Math.max(2, Number(argValue(argv, '--runs') ?? 11));
  const budget = argValue(argv, '--max-claim-bytes');
  const childDir = argValue(argv, '--child');
  if (childDir !== undefined)
    return child(childDir, runs, GENERATED_TODAY, budget === undefined ? undefined : Number(budget));

  const flags = Number(argValue(argv, '--flags') ?? 10_000);
  const given = argv.flatMap((a, i) => (argv[i - 1] === '--repo' ? [resolve(a)] : []));
  const scratch = given.length === 0 ? mkdtempSync(join(tmpdir(), 'flags-bench-rules-')) : undefined;
  const repos: { label: string; dir: string }[] = given.map((dir) => ({ label: dir, dir }));
  if (scratch) {
    const clean = join(scratch, 'clean');
    const due = join(scratch, 'due');
    generateRepository(clean, { flags });
    generateRepository(due, { flags, dueShare: 0.1, seed: 7 });
    repos.push({ label: 'clean (seed 42)', dir: clean }, { label: 'due 10% (seed 7)', dir: due });
  }
  try {
    process.stdout.write(
      `checkRepository at ${GENERATED_TODAY}, a fresh process per repository, Node ${process.version}, ${runs} calls each${budget === undefined ? '' : `, maxClaimBytes ${budget}`}\n\n`,
    );
    process.stdout.write(
      `| ${'repository'.padEnd(24)} | ${'flags'.padStart(6)} | ${'findings'.padStart(8)} | ${'first call'.padStart(10)} | ${'median'.padStart(9)} |\n`,
    );
    process.stdout.write(
      `|${'-'.repeat(26)}|${'-'.repeat(8)}|${'-'.repeat(10)}|${'-'.repeat(12)}|${'-'.repeat(11)}|\n`,
    );
    for (const { label, dir } of repos) {
      const t = timeIn(dir, runs, budget);
      process.stdout.write(
        `| ${label.padEnd(24)} | ${String(t.flags).padStart(6)} | ${String(t.findings).padStart(8)} | ${`${t.first.toFixed(1)} ms`.padStart(10)} | ${`${t.median.toFixed(1)} ms`.padStart(9)} |\n`,
      );
    }
  } finally {
    if (scratch && !argv.includes('--keep')) rmSync(scratch, { recursive: true, force: true });
    else if (scratch) process.stdout.write(`\nkept ${scratch}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  await main(process.argv.slice(2));
