import type { Report } from './model.js';

/** The report for machines: the model itself, format-tagged (`flags-report/v1`). */
export const renderReportJson = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`;
