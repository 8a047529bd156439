import {
  ALL_ENVIRONMENTS,
  byEnvironment,
  CODEOWNERS_NOTE,
  changeLine,
  codeownersTitle,
  ownershipLine,
  policyLine,
  problemLine,
  rangeTitle,
  sectionOf,
  summaryLine,
} from '../core/diff/describe.js';
import type { Change, DiffReport } from '../core/diff/types.js';
import { POLICY_FILE } from '../core/check/analyze-policy.js';
import { plain, type Style } from './style.js';

/**
 * `flags diff` for people. Customer access comes first, so a CODEOWNERS reviewer of entitlements
 * sees grants, revocations and agreement references before anything else.
 */
export function renderDiffText(report: DiffReport, style: Style = plain): string {
  const { diff } = report;
  const out: string[] = [`${style.bold(`flags diff ${rangeTitle(report)}`)}: ${summaryLine(diff.summary)}`];
  if (report.mergeBase)
    out.push(style.dim(`(compared from the merge base ${report.mergeBase.slice(0, 12)})`));
  const section = (name: ReturnType<typeof sectionOf>) => diff.changes.filter((c) => sectionOf(c) === name);
  const grouped = (title: string, changes: Change[]) => {
    if (changes.length === 0) return;
    out.push('', title);
    for (const group of byEnvironment(changes, diff.environments)) {
      out.push(`  ${group.env ?? ALL_ENVIRONMENTS}`);
      for (const change of group.changes) out.push(`    ${changeLine(change)}`);
    }
  };
  const access = section('access');
  grouped(style.bold(style.yellow(`Customer access (${access.length})`)), access);
  const flags = section('flags');
  if (flags.length > 0) {
    out.push('', style.bold('Flags'));
    for (const change of flags) out.push(`  ${changeLine(change)}`);
  }
  grouped(style.bold('Values'), section('values'));
  if (diff.policy) out.push('', style.bold(`Policy (${POLICY_FILE})`), `  ${policyLine(diff.policy)}`);
  if (report.codeowners) {
    out.push('', style.bold(style.yellow(codeownersTitle(report.codeowners))));
    for (const flag of report.codeowners.flags) out.push(`  ${ownershipLine(flag)}`);
    out.push(`  ${style.dim(CODEOWNERS_NOTE)}`);
  }
  if (diff.problems.length > 0) {
    out.push('', style.bold(style.red('Not compared')));
    for (const problem of diff.problems) out.push(`  ! ${problemLine(problem, report)}`);
  }
  return `${out.join('\n')}\n`;
}
