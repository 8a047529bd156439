import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../adapters/files.js';
import { loadRepository } from '../adapters/repository.js';
import { readTrustedText } from '../adapters/trusted-files.js';
import { type InitChoices, InitProblem, type InitPlan, planInit, writes } from '../core/scaffold/plan.js';
import { INSTALLED_ACTION, TOOLKIT_PACKAGE } from '../core/scaffold/workflows.js';
import { UsageError } from '../errors.js';
import { styleFor } from '../reporters/style.js';
import { codeownersFile } from './codeowners.js';
import { resolveToday, withRepo, withToday } from './common.js';

interface InitOptions extends InitChoices {
  repo: string;
  today?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerInit(program: Command): void {
  const command = program
    .command('init')
    .description(
      'make this folder a flags repository: policy, schemas, CODEOWNERS, .gitignore and workflows (asks nothing; run again to see what differs)',
    )
    .option(
      '--environments <list>',
      'environments in promotion order, e.g. dev,prod (default: development,staging,production)',
    )
    .option('--project <name>', 'project name written into bundles (default: the folder name)')
    .option('--owner <owner>', 'the owning team, @org/team (needed when there is no CODEOWNERS yet)')
    .option('--org-pattern <regex>', 'regular expression for organization ids')
    .option('--agreement-pattern <regex>', 'regular expression for grant agreement references')
    .option('--contract-pattern <regex>', 'regular expression for entitlement contracts (plan or SKU)')
    .option('--example', 'add two example flags that pass flags check today')
    .option(
      '--force',
      'replace files that differ from what init writes (default: keep them and show the difference)',
    )
    .option('--dry-run', 'show what would change and write nothing')
    .option('--json', 'the plan as JSON');
  withRepo(command);
  withToday(command);
  command.action(async (options: InitOptions) => {
    process.exitCode = await runInit(options);
  });
}

export async function runInit(options: InitOptions): Promise<number> {
  const root = resolve(options.repo);
  const today = resolveToday(options.today);
  // A link is refused, not read or replaced: the atomic write would swap it for a file.
  const read = (path: string): string | undefined => readTrustedText(root, path);
  const flagsDir = join(root, 'flags');
  const flags = existsSync(flagsDir)
    ? (await loadRepository(root, { cacheDir: false })).files.map((r) => ({
        file: r.file,
        owner: r.flag?.owner,
      }))
    : [];
  let plan: InitPlan;
  try {
    plan = planInit({
      choices: options,
      folderName: basename(root),
      today,
      action: INSTALLED_ACTION,
      codeownersFile: codeownersFile(root).file,
      flags,
      read,
    });
  } catch (error) {
    if (error instanceof InitProblem) throw new UsageError(error.message, error.hint);
    throw error;
  }
  if (!options.dryRun) {
    mkdirSync(root, { recursive: true });
    for (const file of writes(plan)) writeFileAtomic(join(root, file.path), file.text);
  }
  const kept = plan.files.filter((f) => f.action === 'keep');
  if (options.json) process.stdout.write(`${JSON.stringify(jsonReport(root, plan, options), null, 2)}\n`);
  else process.stdout.write(textReport(root, plan, options));
  return kept.length > 0 ? 1 : 0;
}

function jsonReport(root: string, plan: InitPlan, options: InitOptions) {
  return {
    root,
    dryRun: options.dryRun === true,
    project: plan.project,
    environments: plan.environments,
    owner: plan.owner ?? null,
    changed: writes(plan).length > 0,
    files: plan.files.map((f) => ({ path: f.path, action: f.action, what: f.what, diff: f.diff })),
  };
}

const DONE: Record<string, [string, string]> = {
  create: ['created', 'would create'],
  update: ['updated', 'would update'],
  overwrite: ['replaced', 'would replace'],
  unchanged: ['unchanged', 'unchanged'],
  keep: ['kept', 'would keep'],
};

function textReport(root: string, plan: InitPlan, options: InitOptions): string {
  const style = styleFor(process.stdout);
  const tense = options.dryRun ? 1 : 0;
  const out = [
    `flags init ${root}: project ${plan.project}, environments ${plan.environments.join(', ')}${plan.owner ? `, owner ${plan.owner}` : ''}${options.dryRun ? ' (dry run: nothing written)' : ''}`,
  ];
  const width = Math.max(...plan.files.map((f) => f.path.length));
  for (const file of plan.files) {
    const word = DONE[file.action]![tense]!.padEnd(13);
    out.push(
      `  ${file.action === 'keep' ? style.red(word) : word}${file.path.padEnd(width)}  ${style.dim(file.what)}`,
    );
    if (file.action === 'keep')
      out.push(`    it differs from what flags init writes; pass --force to replace it:`);
    if (file.action !== 'create' && file.action !== 'unchanged')
      for (const line of file.diff)
        out.push(`      ${line.startsWith('+') ? style.cyan(line) : style.red(line)}`);
  }
  if (writes(plan).length === 0 && !plan.files.some((f) => f.action === 'keep'))
    out.push('nothing to change: the repository is as flags init makes it');
  else if (!options.dryRun && writes(plan).some((f) => f.action === 'create'))
    out.push(
      `next: npm install -D ${TOOLKIT_PACKAGE} (if not yet), flags new <key> to add a flag, flags check;`,
      '      then keys, GitHub environments and branch protection: see docs/adopting.md of the toolkit',
    );
  return `${out.join('\n')}\n`;
}
