import type { Finding } from '../core/findings/finding.js';
import { type CheckSummary, plural } from './summary.js';

const ICONS = { error: '❌', warning: '⚠️', notice: 'ℹ️' } as const;

/** A job summary for GitHub's $GITHUB_STEP_SUMMARY: a verdict and a table of findings. */
export function renderMarkdown(findings: readonly Finding[], summary: CheckSummary, limit = 200): string {
  const head =
    summary.errors > 0
      ? `### ❌ flags check: ${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}`
      : summary.warnings > 0
        ? `### ⚠️ flags check: ${plural(summary.warnings, 'warning')}`
        : '### ✅ flags check: no problems';
  const notices =
    summary.notices > 0 ? ` ${plural(summary.notices, 'notice')}: what this change decides.` : '';
  const lines = [head, '', `${plural(summary.flags, 'flag')} checked.${notices}`, ''];
  if (findings.length > 0) {
    lines.push('| | Location | Code | Problem | Fix |', '|---|---|---|---|---|');
    for (const f of findings.slice(0, limit)) {
      lines.push(
        `| ${ICONS[f.severity]} | \`${f.file}:${f.line}:${f.col}\` | \`${f.code}\` | ${cell(f.message)} | ${cell(f.hint ?? '')} |`,
      );
    }
    if (findings.length > limit)
      lines.push('', `…and ${findings.length - limit} more; run \`npx flags check\` locally for all.`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Text as a table cell: Markdown punctuation escaped, so that `__proto__` stays literal and a hint's
 * `<date>` is not swallowed as an HTML tag; one line, since a newline would end the row.
 */
export const cell = (s: string): string => s.replace(/[\\`*_[\]<>|~]/g, '\\$&').replace(/\r?\n/g, ' ');
