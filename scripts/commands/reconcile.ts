import { readFileSync, rmSync } from 'node:fs';
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
import { writeFileAtomic } from '../adapters/files.js';
import { readOrganizations } from '../adapters/organizations.js';
import { loadRepository, validFlags } from '../adapters/repository.js';
import { InputError, UsageError } from '../errors.js';
import { resolveFlagsRoot, resolveToday, withRepo, withToday } from './common.js';

export interface ReconcileOptions {
  repo: string;
  today?: string;
  agreements?: string;
  org?: string;
  dryRun?: boolean;
  write?: boolean;
  json?: boolean;
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
    .option('--dry-run', 'print the plan and change nothing (the default)')
    .option('--write', 'write the planned subscription files and grant removals into the working tree')
    .option('--json', 'print the plan as JSON');
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
): Promise<number> {
  if (options.dryRun && options.write) throw new UsageError('--dry-run and --write exclude each other');
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today, env);
  const file = options.agreements ?? env.FLAGS_AGREEMENTS;
  if (!file)
    throw new UsageError(
      'no agreements export',
      'pass --agreements <file> (CSV, JSON or Stripe) or set FLAGS_AGREEMENTS',
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
  const plan = planReconciliation({
    policy,
    flags: validFlags(repository),
    organizations: organizations.files,
    agreements: readExport(root, file, policy),
    today,
    ...(options.org !== undefined ? { only: options.org } : {}),
  });
  if (options.write) writePlan(root, plan);
  out(options.json ? reconciliationJson(plan) : reconciliationText(plan));
  return 0;
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
  const first = parsed.problems[0];
  if (first) {
    const more = parsed.problems.length > 1 ? ` (and ${parsed.problems.length - 1} more problems)` : '';
    throw new InputError(`${first.message}${more}`, {
      location: { file: first.file, line: first.line, col: first.col },
      hint: first.hint ?? 'fix the export; reconcile acts on none of it until all of it reads',
    });
  }
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
