import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { createGitHubClient } from '../scripts/adapters/github/client.js';
import { loadRepository, validFlags } from '../scripts/adapters/repository.js';
import { runRetire } from '../scripts/commands/retire.js';
import { findReferences, referenceMatcher } from '../scripts/core/refs/find.js';
import { desiredContent } from '../scripts/core/retire/content.js';
import { findDue } from '../scripts/core/retire/due.js';
import type { PlanInput } from '../scripts/core/retire/model.js';
import { planRetirement } from '../scripts/core/retire/plan.js';
import { startEmulator } from '../test/helpers/github-emulator/server.js';
import { GENERATED_TODAY, generateRepository } from './generate-repo.js';

/**
 * The retirement bot's budget: planning over 10,000 flags with 1,000 due must take under a second.
 * Figures sit beside a baseline measured in the same run (reading and parsing every flag file with
 * `yaml` on one thread), medians of several rounds. Then the GitHub side: the emulator counts the
 * requests a real run makes per pull request it opens, and what a rerun with nothing changed costs.
 *
 *   npm run bench:retire -- [--flags N] [--due-share X] [--runs N] [--keep]
 */

const TARGET_MS = 1000;

function args(argv: string[]) {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  return {
    flags: Number(value('--flags') ?? 10_000),
    dueShare: Number(value('--due-share') ?? 0.1),
    runs: Math.max(1, Number(value('--runs') ?? 5)),
    keep: argv.includes('--keep'),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function time(runs: number, work: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml') && e.name !== '_policy.yaml')
    .map((e) => join(e.parentPath, e.name));
}

async function planning(options: ReturnType<typeof args>, dir: string) {
  const written = generateRepository(dir, { flags: options.flags, dueShare: options.dueShare, seed: 42 });
  const files = listFiles(join(dir, 'flags'));
  const repo = await loadRepository(dir, { cacheDir: false });
  const flags = validFlags(repo);
  const input: PlanInput = {
    flags,
    policy: repo.policy,
    today: GENERATED_TODAY,
    pulls: [],
    historyFor: 'all',
  };
  const due = findDue(input);
  const everything: PlanInput = {
    ...input,
    policy: {
      ...repo.policy,
      retire: { ...repo.policy.retire, maxPullRequestsPerRun: 100_000, maxOpenPullRequests: 100_000 },
    },
  };
  const texts = new Map(due.map((d) => [d.key, readFileSync(join(dir, d.file), 'utf8')]));
  // Code to search: 2,000 files of 200 lines, a few of them naming due flags.
  const dueKeys = due.map((d) => d.key);
  const source = Array.from({ length: 2000 }, (_, i) =>
    Array.from({ length: 200 }, (_, l) =>
      l === 7 && i % 10 === 0
        ? `  if (flags.isOn('${dueKeys[i % dueKeys.length]}', org)) return render(next);`
        : `  const value${l} = compute(input.field${l}, options); // line ${l}`,
    ).join('\n'),
  );
  const sourceMb = source.reduce((n, s) => n + s.length, 0) / 1e6;

  const rows: [string, number][] = [];
  for (let round = 0; round < options.runs; round++) {
    rows.push(['baseline', time(1, () => files.map((f) => YAML.parse(readFileSync(f, 'utf8'))))]);
    rows.push(['plan', time(1, () => planRetirement(input))]);
    rows.push(['plan-all', time(1, () => planRetirement(everything))]);
    rows.push(['edits', time(1, () => due.map((d) => desiredContent(texts.get(d.key)!, d.change)))]);
    rows.push([
      'refs',
      time(1, () => {
        const matcher = referenceMatcher(dueKeys, ['camelCase', 'SCREAMING_SNAKE_CASE']);
        return source.map((text, i) => findReferences(`src/${i}.ts`, text, matcher));
      }),
    ]);
  }
  const figure = (name: string) => median(rows.filter((r) => r[0] === name).map((r) => r[1]));
  const base = figure('baseline');
  const plan = figure('plan');
  const line = (label: string, ms: number) =>
    `  ${label.padEnd(74)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / base).toFixed(3).padStart(6)}x`;
  const out = [
    `Retirement planning: ${flags.length.toLocaleString('en')} flags (${(written.bytes / 1e6).toFixed(1)} MB), ${due.length.toLocaleString('en')} due on ${GENERATED_TODAY}; medians of ${options.runs} rounds`,
    line('baseline: read and parse every flag file with yaml, one thread', base),
    line(`plan (policy limits: ${repo.policy.retire.maxPullRequestsPerRun} opened per run)`, plan),
    line(`plan rendering every due pull request (${due.length} titles, bodies, markers)`, figure('plan-all')),
    line(`edits of every due flag file (grant removals, reviewed bumps, verified)`, figure('edits')),
    line(
      `code references: ${due.length} keys and aliases over ${sourceMb.toFixed(1)} MB of source`,
      figure('refs'),
    ),
    `  target: planning under ${TARGET_MS} ms: ${plan < TARGET_MS && figure('plan-all') < TARGET_MS ? 'met' : 'MISSED'}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return plan < TARGET_MS && figure('plan-all') < TARGET_MS;
}

function git(cwd: string, ...argv: string[]): string {
  return execFileSync('git', argv, { cwd, encoding: 'utf8' }).trim();
}

async function githubRequests(dir: string) {
  const work = join(dir, 'work');
  const origin = join(dir, 'origin.git');
  const checkout = join(dir, 'checkout');
  generateRepository(work, { flags: 200, dueShare: 0.1, seed: 7 });
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'add', '-A');
  git(
    work,
    '-c',
    'user.name=Bench',
    '-c',
    'user.email=bench@example.com',
    'commit',
    '--quiet',
    '-m',
    'Generated',
  );
  git(work, 'push', '--quiet', origin, 'main');
  git(dir, 'clone', '--quiet', origin, checkout);
  const emulator = await startEmulator({ origin, owner: 'acme', repo: 'flags' });
  try {
    const client = createGitHubClient({
      token: emulator.token,
      baseUrl: emulator.url,
      retryBaseMs: 5,
      minWriteIntervalMs: 0,
    });
    const run = async () => {
      const from = emulator.log.length;
      await runRetire(
        {
          repo: checkout,
          apply: true,
          today: GENERATED_TODAY,
          repository: 'acme/flags',
          maxPerRun: '100',
          maxOpen: '100',
        },
        { client, env: {}, out: () => {}, err: () => {} },
      );
      const requests = emulator.since(from);
      return {
        requests: requests.length,
        writes: emulator.writes(from).length,
        opened: emulator.opened(from),
        requests_: requests,
      };
    };
    const first = await run();
    const second = await run();
    const byRoute = new Map<string, number>();
    for (const r of first.requests_)
      byRoute.set(`${r.method} ${r.route}`, (byRoute.get(`${r.method} ${r.route}`) ?? 0) + 1);
    const out = [
      `GitHub requests (emulator, every request checked against GitHub's OpenAPI description):`,
      `  first run: ${first.opened} pull requests opened with ${first.requests} requests = ${(first.requests / Math.max(1, first.opened)).toFixed(2)} per opened pull request (${first.writes} writes)`,
      ...[...byRoute].sort().map(([route, n]) => `    ${String(n).padStart(4)}  ${route}`),
      `  rerun with nothing changed: ${second.opened} opened, ${second.requests} requests, ${second.writes} writes`,
      `  violations of the OpenAPI description: ${emulator.violations.length}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    return second.writes === 0 && emulator.violations.length === 0;
  } finally {
    await emulator.stop();
  }
}

async function main() {
  const options = args(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'flags-bench-retire-'));
  try {
    const planned = await planning(options, join(dir, 'planning'));
    process.stdout.write('\n');
    const requests = await githubRequests(join(dir, 'github'));
    if (!planned || !requests) process.exitCode = 1;
  } finally {
    if (options.keep) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
