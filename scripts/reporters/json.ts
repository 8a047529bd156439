import type { Finding } from '../core/findings/finding.js';
import type { CheckSummary } from './summary.js';

/** Findings for machines. The shape is versioned; fields are only ever added. */
export const renderJson = (findings: readonly Finding[], summary: CheckSummary): string =>
  `${JSON.stringify({ version: 1, summary, findings }, null, 2)}\n`;
