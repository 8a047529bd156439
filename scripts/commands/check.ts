import { appendFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createProgress } from '../adapters/progress.js';
import { checkRepositoryAt } from '../adapters/checked-repository.js';
import { usesPlans } from '../adapters/plans-present.js';
import { renderGithub } from '../reporters/github.js';
import { renderJson } from '../reporters/json.js';
import { renderMarkdown } from '../reporters/markdown.js';
import { styleFor } from '../reporters/style.js';
import { summarize } from '../reporters/summary.js';
import { renderText } from '../reporters/text.js';
import { UsageError } from '../errors.js';
import { codeownersChange, codeownersChangeFindings } from '../core/codeowners/changes.js';
import { CODEOWNERS_LOCATIONS } from '../core/codeowners/parse.js';
import { compareFindings, type Finding } from '../core/findings/finding.js';
import { lifetimeConfigured } from '../core/rules/stale.js';
import {
  inGithubActions,
  parseFormat,
  readText,
  resolveFlagsRoot,
  resolveToday,
  withRepo,
  withToday,
} from './common.js';

const FORMATS = ['text', 'json', 'github'] as const;

interface CheckOptions {
  repo: string;
  today?: string;
  changedSince?: string;
  format: string;
  json?: boolean;
  cache: boolean;
  cacheDir?: string;
  strict?: boolean;
  threads?: string;
  tree?: string[];
  usage?: string;
}

export function registerCheck(program: Command): void {
  const command = program
    .command('check')
    .description('validate every flag file, the policy and CODEOWNERS; the pull-request gate')
    .option(
      '--changed-since <ref>',
      'lifecycle errors only for files changed since this git ref; warnings elsewhere',
    )
    .option('-f, --format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--json', 'same as --format json')
    .option('--no-cache', 'analyse every file, using no cache')
    .option(
      '--cache-dir <dir>',
      'where the caches live (default: $FLAGS_CACHE_DIR, else a folder per repository under $XDG_CACHE_HOME/flags-as-code)',
    )
    .option('--strict', 'fail on warnings too')
    .option('--threads <n>', 'threads to analyse with (default: all cores)')
    .option('--usage <file>', 'usage export (CSV or JSON): report flags not evaluated lately as stale')
    .option(
      '--tree <name=path>',
      "a consuming repository's clone, for the unreferenced finding (repeat; or policy refs.repositories[].path)",
      (value: string, previous: string[] = []) => [...previous, value],
    );
  withRepo(command);
  withToday(command);
  command.action(async (options: CheckOptions) => {
    process.exitCode = await runCheck(options);
  });
}

export async function runCheck(options: CheckOptions): Promise<number> {
  const format = options.json ? 'json' : parseFormat(options.format, FORMATS);
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today);
  const threads = parseThreads(options.threads);
  // git is loaded only when asked for: most checks never need it.
  const changed = options.changedSince
    ? await (await import('../adapters/git.js')).changedSince(root, options.changedSince)
    : undefined;
  const changedFiles = changed?.files;
  const progress = createProgress('checking flags');
  const checked = await checkRepositoryAt(root, {
    cacheDir: options.cache ? options.cacheDir : false,
    threads,
    onProgress: progress.update,
    today,
    changedFiles,
  });
  progress.done();
  const usage = options.usage
    ? (await import('../adapters/usage-file.js')).readUsageExport(root, options.usage)
    : undefined;
  // The plans and subscription files are checked as a whole, and only where a repository has them.
  const base = usesPlans(root, checked.policy)
    ? await (await import('../adapters/contract-state.js')).withContractFindings(root, checked, {
        today,
        changedFiles,
        load: { cacheDir: options.cache ? options.cacheDir : false, threads },
      })
    : checked.findings;
  const extra = [
    ...(changed ? await codeownersNotices(root, changed, checked.flags) : []),
    ...(checked.policy.refs.repositories.length > 0 || options.tree
      ? (await import('../adapters/reference-findings.js')).unreferencedFlagFindings(
          root,
          checked.policy,
          checked.flags,
          options.tree,
        )
      : []),
    ...(usage || lifetimeConfigured(checked.policy)
      ? await (await import('../adapters/stale-inputs.js')).checkStale(root, today, usage, {
          cacheDir: options.cache ? options.cacheDir : false,
          threads,
        })
      : []),
    ...(changed
      ? await (await import('../adapters/archived-deletions.js')).archivedDeletionsSince(
          root,
          changed,
          options.changedSince!,
        )
      : []),
  ];
  const findings = extra.length > 0 ? [...base, ...extra].sort(compareFindings) : base;
  const summary = summarize(findings, {
    flags: checked.stats.files,
    cached: checked.stats.cached,
  });
  if (format === 'json') process.stdout.write(renderJson(findings, summary));
  else if (format === 'github') process.stdout.write(renderGithub(findings));
  else {
    process.stdout.write(renderText(findings, summary, readText(root), styleFor(process.stdout)));
    if (inGithubActions()) process.stdout.write(renderGithub(findings));
  }
  if (process.env.GITHUB_STEP_SUMMARY)
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, renderMarkdown(findings, summary));
  const failing = summary.errors > 0 || (options.strict === true && summary.warnings > 0);
  return failing ? 1 : 0;
}

/**
 * The gate's word on a pull request that edits CODEOWNERS: GitHub asks the base branch's owners of
 * CODEOWNERS to approve it, and these notices show them which flags' owners it changes.
 */
async function codeownersNotices(
  root: string,
  changed: { base: string; files: ReadonlySet<string> },
  flags: readonly { file: string }[],
): Promise<Finding[]> {
  if (!CODEOWNERS_LOCATIONS.some((location) => changed.files.has(location))) return [];
  const { gitAt } = await import('../adapters/git.js');
  const { codeownersAt, codeownersInWorkingTree } = await import('../adapters/codeowners-at.js');
  const change = codeownersChange(
    await codeownersAt(gitAt(root), changed.base),
    codeownersInWorkingTree(root),
    flags.map((f) => f.file),
  );
  return change ? codeownersChangeFindings(change) : [];
}

function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(
      `--threads must be a whole number of at least 1, not "${value}"`,
      'e.g. --threads 2',
    );
  return n;
}
