import {
  ALL_ENVIRONMENTS,
  accessColumns,
  accessWho,
  byEnvironment,
  CODEOWNERS_NOTE,
  changeWhat,
  codeownersTitle,
  ownershipLine,
  policyLine,
  problemLine,
  rangeTitle,
  sectionOf,
  summaryLine,
  type Words,
} from '../core/diff/describe.js';
import type { Change, DiffReport } from '../core/diff/types.js';
import { POLICY_FILE } from '../core/check/analyze-policy.js';

/**
 * `flags diff` as GitHub-flavoured Markdown for the job summary. Customer access is a table at the
 * top, one row per organization and environment, with the agreement in a column of its own.
 */

/** A code span that survives backticks and table pipes in the value. */
export function codeSpan(value: string): string {
  const text = value.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const ticks = '`'.repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return ticks.length > 1 ? `${ticks} ${text} ${ticks}` : `\`${text}\``;
}

/** Plain text from the repository, made inert: no HTML, no table breaks. */
export const inert = (value: string): string =>
  value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');

const words: Words = { code: codeSpan };

const ICON: Record<string, string> = { '+': '➕', '-': '➖', '~': '✏️' };

function icon(change: Change): string {
  if (change.kind === 'flag-added' || change.kind === 'grant-added' || change.kind === 'environment-added')
    return ICON['+']!;
  if (
    change.kind === 'flag-removed' ||
    change.kind === 'grant-revoked' ||
    change.kind === 'environment-removed'
  )
    return ICON['-']!;
  return ICON['~']!;
}

export function renderDiffMarkdown(report: DiffReport, limit = 500): string {
  const { diff } = report;
  const out: string[] = [
    `### 🚩 flags diff: ${rangeTitle(report, words)}`,
    '',
    `${summaryLine(diff.summary)}.`,
  ];
  if (report.mergeBase) out.push('', `Compared from the merge base \`${report.mergeBase.slice(0, 12)}\`.`);
  const section = (name: ReturnType<typeof sectionOf>) => diff.changes.filter((c) => sectionOf(c) === name);
  // A job summary holds at most 1 MiB; a sweeping change is summarised, the rest is a command away.
  const more = (total: number) =>
    total > limit ? ['', `…and ${total - limit} more; run \`npx flags diff\` locally for all.`] : [];

  const access = section('access');
  if (access.length > 0) {
    out.push('', `#### 🔐 Customer access (${access.length})`, '');
    out.push('| Environment | Flag | Organization | Change | Agreement |', '|---|---|---|---|---|');
    const ordered = byEnvironment(access, diff.environments).flatMap((g) => g.changes);
    for (const change of ordered.slice(0, limit)) {
      const who = accessWho(change);
      const { what, agreement } = accessColumns(change, words);
      out.push(
        `| ${change.env ? codeSpan(change.env) : ALL_ENVIRONMENTS} | ${codeSpan(change.key)} | ${who ? codeSpan(who) : 'all organizations'} | ${icon(change)} ${what} | ${agreement} |`,
      );
    }
    out.push(...more(ordered.length));
  }

  const flags = section('flags');
  if (flags.length > 0) {
    out.push('', '#### Flags', '');
    for (const change of flags.slice(0, limit))
      out.push(`- ${icon(change)} ${codeSpan(change.key)}: ${changeWhat(change, words)}`);
    out.push(...more(flags.length));
  }

  const values = section('values');
  if (values.length > 0) {
    out.push('', '#### Values');
    let room = limit;
    for (const group of byEnvironment(values, diff.environments)) {
      if (room <= 0) break;
      out.push('', `**${group.env === undefined ? ALL_ENVIRONMENTS : inert(group.env)}**`, '');
      for (const change of group.changes.slice(0, room))
        out.push(`- ${icon(change)} ${codeSpan(change.key)}: ${changeWhat(change, words)}`);
      room -= group.changes.length;
    }
    out.push(...more(values.length));
  }

  if (diff.policy)
    out.push('', `#### Policy (${codeSpan(POLICY_FILE)})`, '', `- ${policyLine(diff.policy, words)}`);

  if (report.codeowners) {
    out.push('', `#### 👥 ${codeownersTitle(report.codeowners, words)}`, '', CODEOWNERS_NOTE, '');
    for (const flag of report.codeowners.flags.slice(0, limit)) out.push(`- ${ownershipLine(flag, words)}`);
    out.push(...more(report.codeowners.flags.length));
  }

  if (diff.problems.length > 0) {
    out.push('', '#### ⚠️ Not compared', '');
    for (const problem of diff.problems)
      out.push(`- ${problemLine({ ...problem, message: inert(problem.message) }, report, words)}`);
  }
  return `${out.join('\n')}\n`;
}
