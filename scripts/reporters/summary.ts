import type { Finding } from '../core/findings/finding.js';

export interface CheckSummary {
  errors: number;
  warnings: number;
  /** Notices: what the change decides (CODEOWNERS); they never fail the check. */
  notices: number;
  /** Files with at least one finding. */
  filesWithFindings: number;
  flags: number;
  cached: number;
}

export function summarize(
  findings: readonly Finding[],
  stats: { flags: number; cached: number },
): CheckSummary {
  return {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    notices: findings.filter((f) => f.severity === 'notice').length,
    filesWithFindings: new Set(findings.map((f) => f.file)).size,
    flags: stats.flags,
    cached: stats.cached,
  };
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
