import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Agreement } from '../core/agreements/model.js';
import { parseAgreements } from '../core/agreements/parse.js';
import { looksLikeStripe, parseStripe } from '../core/agreements/stripe.js';
import type { Policy } from '../core/model/policy.js';
import type { Reconciliation } from '../core/reconcile/model.js';
import { editsFor, filesOf } from '../core/reconcile/apply.js';
import { planReconciliation } from '../core/reconcile/plan.js';
import { reconciliationJson, reconciliationText } from '../core/reconcile/render.js';
import { ownersOf } from '../core/codeowners/parse.js';
import { writeFileAtomic } from '../adapters/files.js';
import { applyPlan } from '../adapters/github/apply.js';
import { createGitHubClient, type GitHubClient } from '../adapters/github/client.js';
import { reconcileBotPlan, reconcilePullsWithGitHub } from '../adapters/github/reconcile-run.js';
import { readOrganizations } from '../adapters/organizations.js';
import { loadRepository, validFlags } from '../adapters/repository.js';
import { RECONCILE_PREFIX } from '../core/reconcile/pulls.js';
import { InputError, UsageError } from '../errors.js';
import { openBotBranches } from './bot-branches.js';
import { resolveFlagsRoot, resolveToday, withRepo, withToday } from './common.js';
import { readDispatch } from './reconcile-dispatch.js';
import { applyText, parseRepository, refuseExportProblems } from './retire.js';

export interface ReconcileOptions {
  repo: string;
  today?: string;
  agreements?: string;
  org?: string;
  dryRun?: boolean;
  write?: boolean;
  apply?: boolean;
  json?: boolean;
  dispatch?: string;
  token?: string;
  apiUrl?: string;
  repository?: string;
  base?: string;
  remote?: string;
  author?: string;
}

/** What the command can be handed instead of its defaults: tests pass a client for the emulator. */
export interface ReconcileDeps {
  client?: GitHubClient;
  err?: (text: string) => void;
}

export function registerReconcile(program: Command): void {
  const command = program
    .command('reconcile')
    .description(
      "plan (or write) the grants that customers' agreements call for: grants, revocations, changes",
    )
    .option(
      '--agreements <file>',
      'agreements export: CSV, JSON, or Stripe subscriptions or events (default: $FLAGS_AGREEMENTS)',
    )
    .option('--org <id>', 'reconcile this organization only; every other one is left alone')
    .option(
      '--dispatch <event.json>',
      'a repository_dispatch event ($GITHUB_EVENT_PATH): one organization and its agreements, or a Stripe event',
    )
    .option('--dry-run', 'print the plan and change nothing (the default)')
    .option('--write', 'write the planned subscription files and grant removals into the working tree')
    .option('--apply', 'push a branch and open, update or close a pull request per organization event')
    .option('--json', 'print the plan as JSON')
    .option('--token <token>', 'GitHub token (default: $GITHUB_TOKEN)')
    .option('--api-url <url>', 'GitHub API URL, for GitHub Enterprise Server (default: $GITHUB_API_URL)')
    .option('--repository <owner/name>', 'the GitHub repository (default: $GITHUB_REPOSITORY)')
    .option('--base <branch>', 'branch the pull requests target (default: the checked-out branch)')
    .option('--remote <name>', 'git remote to push to', 'origin')
    .option('--author <identity>', 'bot identity for commits, "Name <email>" (default: $FLAGS_BOT_AUTHOR)');
  withRepo(command);
  withToday(command);
  command.action(async (options: ReconcileOptions) => {
    process.exitCode = await runReconcile(options);
  });
}

export async function runReconcile(
  options: ReconcileOptions,
  out: (text: string) => void = (text) => process.stdout.write(text),
  env: NodeJS.ProcessEnv = process.env,
  deps: ReconcileDeps = {},
): Promise<number> {
  const modes = [options.dryRun, options.write, options.apply].filter(Boolean).length;
  if (modes > 1) throw new UsageError('--dry-run, --write and --apply exclude each other');
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today, env);
  const file = options.agreements ?? env.FLAGS_AGREEMENTS;
  if (!file && !options.dispatch)
    throw new UsageError(
      'no agreements export',
      'pass --agreements <file> (CSV, JSON or Stripe), --dispatch <event.json>, or set FLAGS_AGREEMENTS',
    );
  if (file && options.dispatch)
    throw new UsageError(
      '--agreements and --dispatch exclude each other',
      'a dispatch carries its agreements',
    );
  const repository = await loadRepository(root);
  if (!repository.policyOk)
    throw new UsageError('the policy file has errors', 'run flags check and fix flags/_policy.yaml first');
  const policy = repository.policy;
  const organizations = readOrganizations(root, policy.limits.maxFileBytes);
  const broken = [...repository.files.flatMap((f) => f.findings), ...organizations.findings].find(
    (f) =>
      f.severity === 'error' &&
      (f.code.startsWith('yaml/') || f.code.startsWith('schema/') || f.code.startsWith('file/')),
  );
  if (broken)
    throw new InputError(broken.message, {
      location: { file: broken.file, line: broken.line, col: broken.col },
      hint: 'fix the file first (flags check): reconcile edits only files it can read',
    });
  const dispatched = options.dispatch ? readDispatch(root, options.dispatch, policy) : undefined;
  if (dispatched && options.org !== undefined && options.org !== dispatched.organization)
    throw new UsageError(
      `--org ${options.org} and the dispatch's organization ${dispatched.organization} differ`,
      'a run for one organization touches that organization only; drop --org',
    );
  const only = dispatched?.organization ?? options.org;
  const agreements = dispatched?.agreements ?? readExport(root, file!, policy);
  const flags = validFlags(repository);
  const plan = planReconciliation({
    policy,
    flags,
    organizations: organizations.files,
    agreements,
    today,
    ...(only !== undefined ? { only } : {}),
  });
  if (options.write) writePlan(root, plan);
  if (!options.apply) {
    out(options.json ? reconciliationJson(plan) : reconciliationText(plan));
    return 0;
  }

  // --apply: one pull request per organization event, through the retirement bot's machinery.
  const err = deps.err ?? ((text: string) => process.stderr.write(text));
  const repo = parseRepository(options.repository ?? env.GITHUB_REPOSITORY);
  if (!repo)
    throw new UsageError(
      'no GitHub repository to open pull requests in',
      'set GITHUB_REPOSITORY or pass --repository owner/name (or use --dry-run)',
    );
  const token = options.token ?? (env.GITHUB_TOKEN || undefined);
  const client =
    deps.client ??
    (token
      ? createGitHubClient({
          token,
          baseUrl: options.apiUrl ?? (env.GITHUB_API_URL || undefined),
          log: (m) => err(`${m}\n`),
        })
      : undefined);
  if (!client)
    throw new UsageError(
      'no GitHub token',
      'set GITHUB_TOKEN or pass --token; see docs/contracts.md for the token and its permissions',
    );
  const { branches, base } = await openBotBranches(root, options, env, RECONCILE_PREFIX);
  const fileOf = new Map(flags.map((f) => [f.flag.key, f.file]));
  const codeowners = repository.codeowners;
  const pulls = await reconcilePullsWithGitHub(
    {
      plan,
      scope: new Set(agreements.map((a) => a.org).filter((org) => only === undefined || org === only)),
      labels: policy.retire.labels,
      ...(policy.contracts?.team ? { team: policy.contracts.team } : {}),
      ownersOfFlag: (key) => {
        const file = fileOf.get(key);
        return file && codeowners ? (ownersOf(codeowners, file)?.owners ?? []) : [];
      },
      maxPerRun: policy.retire.maxPullRequestsPerRun,
    },
    client,
    repo,
    only,
  );
  const head = await branches.head();
  const report = await applyPlan(reconcileBotPlan(pulls), {
    client,
    repo,
    base,
    branches,
    readFile: (f) => branches.fileAt(head, f),
    log: (m) => err(`${m}\n`),
  });
  const snoozed = pulls.snoozed.map(
    (s) =>
      `snoozed ${s.organization}: #${s.number} was closed without merging and the export's facts are unchanged`,
  );
  const deferred = pulls.deferred.map((d) => `deferred ${d.organization} (per-run limit): ${d.title}`);
  const text = `${reconciliationText(plan)}\n${[...snoozed, ...deferred].map((l) => `${l}\n`).join('')}${applyText(report)}`;
  if (options.json) {
    const planned = JSON.parse(reconciliationJson(plan)) as Record<string, unknown>;
    out(
      `${JSON.stringify({ ...planned, snoozed: pulls.snoozed, deferred: pulls.deferred, results: report.results, writes: report.writes, stopped: report.stopped?.message }, null, 2)}\n`,
    );
  } else out(text);
  if (env.GITHUB_STEP_SUMMARY)
    appendFileSync(env.GITHUB_STEP_SUMMARY, `### flags reconcile\n\n\`\`\`text\n${text}\`\`\`\n`);
  if (report.stopped) throw report.stopped;
  return report.results.some((r) => r.action === 'failed') ? 1 : 0;
}

/** Reads the export: CSV or JSON rows, or Stripe subscriptions and events. Any problem refuses it. */
export function readExport(root: string, file: string, policy: Policy): Agreement[] {
  let text: string;
  try {
    text = readFileSync(resolve(root, file), 'utf8');
  } catch {
    throw new UsageError(`cannot read the agreements export ${file}`, 'pass --agreements <file>');
  }
  const parsed = looksLikeStripe(text) ? parseStripe(file, text, policy) : parseAgreements(file, text);
  refuseExportProblems(parsed.problems, 'fix the export; reconcile acts on none of it until all of it reads');
  return parsed.agreements;
}

function writePlan(root: string, plan: Reconciliation): void {
  const texts = new Map<string, string>();
  for (const event of plan.organizations)
    for (const file of filesOf(event)) {
      const text = readOptionalText(join(root, file));
      if (text !== undefined) texts.set(file, text);
    }
  for (const edit of editsFor(plan, texts)) {
    const path = join(root, edit.file);
    if (edit.text === undefined) rmSync(path, { force: true });
    else writeFileAtomic(path, edit.text);
  }
}

function readOptionalText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
