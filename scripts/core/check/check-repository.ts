import type { Codeowners } from '../codeowners/parse.js';
import type { IsoDate } from '../dates.js';
import { compareFindings, finding, type Finding } from '../findings/finding.js';
import type { Policy } from '../model/policy.js';
import { claimBudgetFindings } from '../rules/claim-budget.js';
import { type FlagRule, ruleContext, runRules } from '../rules/context.js';
import { lifecycleRules } from '../rules/lifecycle.js';
import { ownershipRule } from '../rules/ownership.js';
import { type FileResult, tableLocator } from './file-result.js';

export interface RepositoryInput {
  policy: Policy;
  files: readonly FileResult[];
  /** Findings made before analysis: the policy, unreadable files, symbolic links. */
  preliminary: readonly Finding[];
  codeowners: Codeowners | undefined;
  today: IsoDate;
  /** With --changed-since: lifecycle errors count only in these files; elsewhere they are warnings. */
  changedFiles?: ReadonlySet<string>;
}

/** Combines per-file results with the rules that need the whole repository, today or CODEOWNERS. */
export function checkRepository(input: RepositoryInput): Finding[] {
  const out: Finding[] = [...input.preliminary];
  for (const result of input.files) out.push(...result.findings);
  out.push(...duplicateKeys(input.files));
  out.push(...claimBudgetFindings(input));
  const deferred: FlagRule[] = [...lifecycleRules(input.today)];
  if (input.codeowners) {
    out.push(...input.codeowners.findings);
    deferred.push(ownershipRule(input.codeowners));
  } else if (input.files.length > 0) {
    out.push(
      finding(
        'ownership/no-codeowners',
        'CODEOWNERS',
        { line: 1, col: 1 },
        'no CODEOWNERS file: flag owners are not asked to review changes',
        'add CODEOWNERS, e.g. with flags codeowners --write',
      ),
    );
  }
  for (const result of input.files) {
    if (!result.flag) continue;
    const sink: Finding[] = [];
    const locate = tableLocator(result.positions);
    runRules(
      deferred,
      ruleContext(result.file, result.flag, input.policy, locate, sink, (code, at, message, hint, path) =>
        finding(code, result.file, at, message, hint, path),
      ),
    );
    out.push(...sink);
  }
  const changed = input.changedFiles;
  const gated = changed
    ? out.map((f) =>
        demote(f, changed)
          ? { ...f, severity: 'warning' as const, message: `${f.message} (not changed here)` }
          : f,
      )
    : out;
  return gated.sort(compareFindings);
}

function demote(f: Finding, changed: ReadonlySet<string>): boolean {
  return f.severity === 'error' && f.code.startsWith('lifecycle/') && !changed.has(f.file);
}

function duplicateKeys(files: readonly FileResult[]): Finding[] {
  const byKey = new Map<string, FileResult[]>();
  for (const result of files) {
    if (!result.flag) continue;
    const list = byKey.get(result.flag.key) ?? [];
    list.push(result);
    byKey.set(result.flag.key, list);
  }
  const out: Finding[] = [];
  for (const [key, list] of byKey) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((a, b) => (a.file < b.file ? -1 : 1));
    for (const dup of sorted.slice(1)) {
      out.push(
        finding(
          'model/duplicate-key',
          dup.file,
          tableLocator(dup.positions)(['key']),
          `key "${key}" is already declared in ${sorted[0]!.file}`,
          'give each flag a unique key; keys are global across subfolders',
          'key',
        ),
      );
    }
  }
  return out;
}
