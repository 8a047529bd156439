import { dateOf } from './format.js';
import type { Report } from './model.js';

/**
 * The report as CSV for auditors (RFC 4180: CRLF, fields quoted when needed). One table per file:
 * the inventory, the entitlements (one row per grant) or the timeline. Text cells that a
 * spreadsheet would run as a formula (starting with = + - @ or a tab) are prefixed with an
 * apostrophe, as OWASP recommends against CSV injection; that includes every owner (@team).
 */

export const CSV_TABLES = ['inventory', 'entitlements', 'timeline'] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

type Cell = string | number | undefined;

export function csvCell(value: Cell): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const lines = (rows: readonly (readonly Cell[])[]): string =>
  rows.map((r) => `${r.map(csvCell).join(',')}\r\n`).join('');

export function renderReportCsv(report: Report, which: CsvTable = 'inventory'): string {
  if (which === 'entitlements')
    return lines([
      [
        'organization',
        'environment',
        'key',
        'type',
        'owner',
        'variant',
        'agreement',
        'ticket',
        'expires',
        'days_left',
        'status',
      ],
      ...report.entitlements.map((r) => [
        r.organization,
        r.environment,
        r.key,
        r.type,
        r.owner,
        r.variant,
        r.agreement,
        r.ticket,
        r.expires,
        r.daysLeft,
        r.status,
      ]),
    ]);
  if (which === 'timeline')
    return lines([
      ['date', 'days_left', 'bucket', 'kind', 'key', 'organization', 'environment', 'owner', 'file'],
      ...report.timeline.map((t) => [
        t.date,
        t.daysLeft,
        t.bucket,
        t.kind,
        t.key,
        t.organization,
        t.environment,
        t.owner,
        t.file,
      ]),
    ]);
  return lines([
    [
      'key',
      'file',
      'type',
      'lifetime',
      'owner',
      'description',
      'contract',
      'ticket',
      'created',
      'created_by',
      'last_changed',
      'last_changed_by',
      'reviewed',
      'review_due',
      'review_days_left',
      'expires',
      'expires_days_left',
      'status',
      'agreements',
      ...report.environments.map((e) => `granted_${e}`),
    ],
    ...report.flags.map((f) => [
      f.key,
      f.file,
      f.type,
      f.lifetime,
      f.owner,
      f.description,
      f.contract,
      f.ticket,
      dateOf(f.created) || undefined,
      f.created?.author,
      dateOf(f.lastChanged) || undefined,
      f.lastChanged?.author,
      f.reviewed,
      f.reviewDue,
      f.reviewDaysLeft,
      f.expires,
      f.expiresDaysLeft,
      f.status,
      f.agreements.join(' ') || undefined,
      ...report.environments.map((e) => f.granted[e] ?? 0),
    ]),
  ]);
}
