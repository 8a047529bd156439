import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../adapters/files.js';
import { createProgress } from '../adapters/progress.js';
import { loadRepository, type Repository } from '../adapters/repository.js';
import { readTrustedText } from '../adapters/trusted-files.js';
import { CODEOWNERS_LOCATIONS, parseCodeowners } from '../core/codeowners/parse.js';
import { lineDiff, type SyncResult, syncCodeowners } from '../core/codeowners/sync.js';
import { UsageError } from '../errors.js';
import { styleFor } from '../reporters/style.js';
import { resolveFlagsRoot, withRepo } from './common.js';

interface CodeownersOptions {
  repo: string;
  check?: boolean;
  write?: boolean;
}

export function registerCodeowners(program: Command): void {
  const command = program
    .command('codeowners')
    .description("keep the managed block of CODEOWNERS that makes each flag's owner a code owner of its file")
    .option('--check', 'exit 1 with a diff when the block is out of sync (the default)')
    .option('--write', 'rewrite the block');
  withRepo(command);
  command.action(async (options: CodeownersOptions) => {
    process.exitCode = await runCodeowners(options);
  });
}

/**
 * The CODEOWNERS file GitHub reads (the first that exists), else CODEOWNERS at the root. A link
 * counts as there (lstat), so reading it is refused rather than a second file written elsewhere.
 */
export function codeownersFile(root: string): { file: string; exists: boolean } {
  for (const location of CODEOWNERS_LOCATIONS)
    if (lstatSync(join(root, location), { throwIfNoEntry: false })) return { file: location, exists: true };
  return { file: 'CODEOWNERS', exists: false };
}

/** The block as it should be for this repository. */
export function planCodeowners(
  root: string,
  repo: Pick<Repository, 'files'>,
): SyncResult & { file: string; exists: boolean; current: string } {
  const where = codeownersFile(root);
  const current = readTrustedText(root, where.file) ?? '';
  const flags = repo.files.map((r) => ({ file: r.file, owner: r.flag?.owner }));
  return { ...syncCodeowners(where.file, current, flags), ...where, current };
}

export async function runCodeowners(options: CodeownersOptions): Promise<number> {
  if (options.check && options.write) throw new UsageError('give --check or --write, not both');
  const root = resolveFlagsRoot(options.repo);
  const progress = createProgress('reading flags');
  const repo = await loadRepository(root, { onProgress: progress.update });
  progress.done();
  const plan = planCodeowners(root, repo);
  const counts = `${repo.files.length} flag files, ${plan.lines.length} in the managed block`;
  const out: string[] = [];
  for (const problem of plan.problems) out.push(`${problem.file}: ${problem.message}`);
  // What GitHub will make of the file: unsupported syntax and malformed owners are skipped there.
  const findings = parseCodeowners(plan.file, plan.text).findings;
  const style = styleFor(process.stdout);
  const report = () => {
    for (const f of findings)
      out.push(
        `${style.bold(`${f.file}:${f.line}:${f.col}`)} ${style.red(f.severity)} ${style.dim(f.code)}  ${f.message}`,
        ...(f.hint ? [`  fix: ${f.hint}`] : []),
      );
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
  };
  const failing = findings.some((f) => f.severity === 'error') || plan.problems.length > 0;
  if (options.write) {
    if (plan.changed) {
      writeFileAtomic(join(root, plan.file), plan.text);
      const diff = lineDiff(plan.current, plan.text);
      out.unshift(
        `${plan.exists ? 'updated' : 'created'} ${plan.file}: ${diff.filter((l) => l.startsWith('+')).length} lines added, ${diff.filter((l) => l.startsWith('-')).length} removed (${counts})`,
      );
    } else out.unshift(`${plan.file} is up to date (${counts})`);
    report();
    return failing ? 1 : 0;
  }
  if (!plan.exists) {
    out.unshift(`no CODEOWNERS file; create one with flags codeowners --write`);
    report();
    return 1;
  }
  if (plan.changed) {
    out.unshift(
      `${plan.file} is out of sync with the flag owners:`,
      `--- ${plan.file}`,
      `+++ ${plan.file} (as flags codeowners --write would write it)`,
      ...lineDiff(plan.current, plan.text).map((l) => (l.startsWith('+') ? style.cyan(l) : style.red(l))),
      '',
      'fix: run flags codeowners --write and commit the result',
    );
    report();
    return 1;
  }
  out.unshift(`${plan.file} is in sync (${counts})`);
  report();
  return failing ? 1 : 0;
}
