import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseAgreements } from '../core/agreements/parse.js';
import type { Agreement } from '../core/agreements/model.js';
import type { AliasForm } from '../core/refs/aliases.js';
import { groupByKey } from '../core/refs/find.js';
import { findDue, unusedFlags } from '../core/retire/due.js';
import type { PlanInput, RetirePlan } from '../core/retire/model.js';
import { planRetirement } from '../core/retire/plan.js';
import { planJson, planText } from '../core/retire/report.js';
import { scanReferences } from '../adapters/source-files.js';
import { type ApplyReport, applyPlan, type ItemResult } from '../adapters/github/apply.js';
import { createGitHubClient, type GitHubClient } from '../adapters/github/client.js';
import type { RepoRef } from '../adapters/github/pulls.js';
import { planWithGitHub, retirementPulls } from '../adapters/github/run.js';
import { loadRepository, validFlags } from '../adapters/repository.js';
import { readUsageExport } from '../adapters/usage-file.js';
import { InputError, UsageError } from '../errors.js';
import { openBotBranches } from './bot-branches.js';
import { resolveFlagsRoot, resolveToday, withRepo, withToday } from './common.js';
import { parseAliases } from './refs.js';

export interface RetireOptions {
  repo: string;
  today?: string;
  dryRun?: boolean;
  apply?: boolean;
  json?: boolean;
  agreements?: string;
  refs?: string[];
  aliases?: string;
  token?: string;
  apiUrl?: string;
  repository?: string;
  base?: string;
  remote?: string;
  author?: string;
  maxPerRun?: string;
  maxOpen?: string;
  usage?: string;
}

/** What the command can be handed instead of its defaults: tests pass a client for the emulator. */
export interface RetireDeps {
  client?: GitHubClient;
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export function registerRetire(program: Command): void {
  const command = program
    .command('retire')
    .description('plan, open, update and close pull requests that retire expired flags and grants')
    .option('--dry-run', 'print the plan and change nothing (the default outside CI)')
    .option('--apply', 'push branches and open, update and close pull requests (the default when CI=true)')
    .option('--json', 'print the plan (and what was done) as JSON')
    .option('--agreements <file>', 'agreements export, CSV or JSON (default: $FLAGS_AGREEMENTS)')
    .option(
      '--refs <paths...>',
      'where to look for code references (default: the repository, without flags/)',
    )
    .option('--aliases <forms>', 'alias forms for code references (default: policy retire.codeAliases)')
    .option('--token <token>', 'GitHub token (default: $GITHUB_TOKEN)')
    .option('--api-url <url>', 'GitHub API URL, for GitHub Enterprise Server (default: $GITHUB_API_URL)')
    .option('--repository <owner/name>', 'the GitHub repository (default: $GITHUB_REPOSITORY)')
    .option('--base <branch>', 'branch the pull requests target (default: the checked-out branch)')
    .option('--remote <name>', 'git remote to push to', 'origin')
    .option('--author <identity>', 'bot identity for commits, "Name <email>" (default: $FLAGS_BOT_AUTHOR)')
    .option(
      '--max-per-run <n>',
      'pull requests opened per run (default: policy retire.maxPullRequestsPerRun)',
    )
    .option('--max-open <n>', 'bot pull requests open at once (default: policy retire.maxOpenPullRequests)')
    .option(
      '--usage <file>',
      'usage export, CSV or JSON: unreferenced flags it shows unevaluated are archived',
    );
  withRepo(command);
  withToday(command);
  command.action(async (options: RetireOptions) => {
    process.exitCode = await runRetire(options);
  });
}

function limit(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, not "${value}"`);
  return n;
}

export function parseRepository(value: string | undefined): RepoRef | undefined {
  if (value === undefined || value === '') return undefined;
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!match)
    throw new UsageError(`"${value}" is not owner/name`, 'pass --repository owner/name, e.g. acme/flags');
  return { owner: match[1]!, repo: match[2]! };
}

function readAgreements(root: string, file: string): Agreement[] {
  let text: string;
  try {
    text = readFileSync(resolve(root, file), 'utf8');
  } catch {
    throw new UsageError(
      `cannot read the agreements export ${file}`,
      'pass --agreements <file> (CSV or JSON)',
    );
  }
  const parsed = parseAgreements(file, text);
  refuseExportProblems(parsed.problems, 'fix the export; the bot acts on none of it until all of it reads');
  return parsed.agreements;
}

/** An export with any problem is refused whole, at its first problem (with how many more there are). */
export function refuseExportProblems(
  problems: readonly { file: string; line: number; col: number; message: string; hint?: string }[],
  hint: string,
): void {
  const first = problems[0];
  if (!first) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : '';
  throw new InputError(`${first.message}${more}`, {
    location: { file: first.file, line: first.line, col: first.col },
    hint: first.hint ?? hint,
  });
}

export async function runRetire(options: RetireOptions, deps: RetireDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const out = deps.out ?? ((text: string) => process.stdout.write(text));
  const err = deps.err ?? ((text: string) => process.stderr.write(text));
  if (options.dryRun && options.apply) throw new UsageError('--dry-run and --apply exclude each other');
  const live = options.apply === true || (!options.dryRun && env.CI === 'true');
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today, env);
  const repository = await loadRepository(root);
  if (!repository.policyOk)
    throw new UsageError('the policy file has errors', 'run flags check and fix flags/_policy.yaml first');
  const policy = repository.policy;
  const flags = validFlags(repository);
  const agreementsFile = options.agreements ?? (env.FLAGS_AGREEMENTS || undefined);
  const agreements = agreementsFile ? readAgreements(root, agreementsFile) : undefined;
  const aliases: AliasForm[] = parseAliases(options.aliases, policy.retire.codeAliases);
  const retireLimits = {
    ...policy.retire,
    maxPullRequestsPerRun: limit(options.maxPerRun, '--max-per-run', policy.retire.maxPullRequestsPerRun),
    maxOpenPullRequests: limit(options.maxOpen, '--max-open', policy.retire.maxOpenPullRequests),
  };
  const unreadable = repository.files
    .filter((f) => !f.flag)
    .map((f) => f.file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''));
  const base: Omit<PlanInput, 'pulls' | 'historyFor'> = {
    flags,
    unreadable,
    policy: { ...policy, retire: retireLimits },
    today,
    ...(agreements ? { agreements } : {}),
    ...(options.usage ? { usage: readUsageExport(root, options.usage) } : {}),
    agreementRevocations: false,
  };
  const searched = options.refs && options.refs.length > 0 ? options.refs : ['.'];
  // The unused flags are the candidates for archiving: their references decide it.
  const dueKeys = [...new Set([...findDue(base).map((d) => d.key), ...unusedFlags(base).keys()])];
  const { references } = scanReferences(root, searched, dueKeys, aliases, {
    sdkMethods: policy.refs.sdkMethods,
  });
  const input = { ...base, references: { references: groupByKey(references), searched }, aliases };

  const token = options.token ?? (env.GITHUB_TOKEN || undefined);
  const repo = parseRepository(options.repository ?? env.GITHUB_REPOSITORY);
  const notes: string[] = [];
  if (!agreements)
    notes.push('no agreements export (--agreements or FLAGS_AGREEMENTS): drift is not checked');
  let client = deps.client;
  if (!client && token && repo) {
    client = createGitHubClient({
      token,
      baseUrl: options.apiUrl ?? (env.GITHUB_API_URL || undefined),
      log: (m) => err(`${m}\n`),
    });
  }

  if (!live) {
    let plan: RetirePlan;
    if (client && repo) plan = await planWithGitHub(input, client, repo);
    else {
      notes.push(
        'GitHub was not consulted (no token or repository): the plan assumes the bot has no pull requests yet',
      );
      plan = planRetirement({ ...input, pulls: [], historyFor: 'all' });
    }
    notes.push('dry run: nothing was pushed or changed on GitHub (pass --apply, or run with CI=true)');
    out(options.json ? planJson(plan, notes) : planText(plan, notes));
    summarize(env, planText(plan, notes));
    return 0;
  }

  if (!repo)
    throw new UsageError(
      'no GitHub repository to open pull requests in',
      'set GITHUB_REPOSITORY or pass --repository owner/name (or use --dry-run)',
    );
  if (!client)
    throw new UsageError(
      'no GitHub token',
      'set GITHUB_TOKEN or pass --token; see docs/retire.md for a GitHub App or personal token',
    );
  const { branches, base: baseBranch } = await openBotBranches(root, options, env);

  const plan = await planWithGitHub(input, client, repo);
  const head = await branches.head();
  const bodyOptions = { references: input.references.references, searched, aliases };
  const report = await applyPlan(retirementPulls(plan, bodyOptions), {
    client,
    repo,
    base: baseBranch,
    branches,
    readFile: (file) => branches.fileAt(head, file),
    log: (m) => err(`${m}\n`),
  });
  out(options.json ? applyJson(plan, report, notes) : `${planText(plan, notes)}\n${applyText(report)}`);
  summarize(env, `${planText(plan, notes)}\n${applyText(report)}`);
  if (report.stopped) throw report.stopped;
  return report.results.some((r) => r.action === 'failed') ? 1 : 0;
}

export function applyText(report: ApplyReport): string {
  const lines = report.results.map(describeResult);
  lines.push(`${report.writes} write${report.writes === 1 ? '' : 's'} to git and GitHub`);
  return `${lines.join('\n')}\n`;
}

function describeResult(r: ItemResult): string {
  const notes = 'notes' in r && r.notes.length > 0 ? ` (${r.notes.join('; ')})` : '';
  switch (r.action) {
    case 'opened':
      return `opened #${r.number} for ${r.key}${r.url ? ` ${r.url}` : ''}${notes}`;
    case 'updated':
      return `updated #${r.number} for ${r.key}: ${r.changes.join(', ')}${notes}`;
    case 'unchanged':
      return `unchanged #${r.number} for ${r.key}${notes}`;
    case 'closed':
      return `closed #${r.number} for ${r.key} (${r.reason === 'gone' ? 'flag removed' : 'no longer due'})`;
    case 'blocked':
      return `blocked ${r.key}: ${r.reason}`;
    case 'failed':
      return `failed ${r.key}: ${r.message}`;
  }
}

/** In GitHub Actions, the run's summary page shows what the run planned and did. */
function summarize(env: NodeJS.ProcessEnv, text: string): void {
  if (env.GITHUB_STEP_SUMMARY)
    appendFileSync(env.GITHUB_STEP_SUMMARY, `### flags retire\n\n\`\`\`text\n${text}\`\`\`\n`);
}

function applyJson(plan: RetirePlan, report: ApplyReport, notes: readonly string[]): string {
  const planned = JSON.parse(planJson(plan, notes)) as Record<string, unknown>;
  return `${JSON.stringify({ ...planned, results: report.results, writes: report.writes, stopped: report.stopped?.message }, null, 2)}\n`;
}
