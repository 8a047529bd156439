import type { DiffReport } from '../core/diff/types.js';

/** `flags diff --json`: the report as data. The shape is versioned; fields are only ever added. */
export const renderDiffJson = (report: DiffReport): string =>
  `${JSON.stringify(
    {
      version: 1,
      base: report.base,
      head: report.head,
      ...(report.mergeBase ? { mergeBase: report.mergeBase } : {}),
      summary: report.diff.summary,
      environments: report.diff.environments,
      changes: report.diff.changes,
      ...(report.diff.policy ? { policy: report.diff.policy } : {}),
      problems: report.diff.problems,
      ...(report.codeowners ? { codeowners: report.codeowners } : {}),
    },
    null,
    2,
  )}\n`;
