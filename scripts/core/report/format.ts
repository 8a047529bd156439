import type { Change, EntitlementRow, InventoryRow, Report, TimelineItem } from './model.js';

/** Wording shared by the renderers, so text, Markdown, CSV and HTML say the same thing. */

export const dateOf = (change: Change | undefined): string => (change ? change.at.slice(0, 10) : '');

export function relativeDays(left: number): string {
  if (left === 0) return 'today';
  if (left === 1) return 'tomorrow';
  if (left === -1) return 'yesterday';
  return left > 0 ? `in ${left} days` : `${-left} days ago`;
}

export const BUCKET_LABELS = {
  overdue: 'overdue',
  'due-soon': 'due within 30 days',
  later: 'later',
} as const;

export const KIND_LABELS: Record<TimelineItem['kind'], string> = {
  'flag-expiry': 'flag expires',
  review: 'review due',
  'grant-expiry': 'grant expires',
};

export function timelineSubject(entry: TimelineItem): string {
  return entry.organization === undefined
    ? entry.key
    : `${entry.key} for ${entry.organization} in ${entry.environment}`;
}

/** "3 · 0 · 1" style counts of organizations granted, in policy environment order. */
export const grantedCounts = (row: InventoryRow, environments: readonly string[]): string =>
  environments.map((e) => String(row.granted[e] ?? 0)).join(' / ');

export function untilText(row: Pick<EntitlementRow, 'expires' | 'daysLeft'>): string {
  if (row.expires === undefined) return 'no end date';
  return row.daysLeft === undefined ? row.expires : `${row.expires} (${relativeDays(row.daysLeft)})`;
}

export function dueText(row: InventoryRow): string {
  if (!row.due) return '';
  return `${row.due.kind === 'expiry' ? 'expires' : 'review'} ${row.due.date} (${relativeDays(row.due.daysLeft)})`;
}

export function historyNote(report: Report): string | undefined {
  if (report.history === 'none') return 'no git history: created and last changed are left blank';
  if (report.history === 'shallow')
    return 'shallow git clone: created is the oldest commit the clone has (fetch with fetch-depth: 0)';
  return undefined;
}

/** Entitlements grouped by organization, then environment, in report order. */
export function byOrganization(report: Report): { organization: string; rows: EntitlementRow[] }[] {
  const groups = new Map<string, EntitlementRow[]>();
  for (const row of report.entitlements) {
    const list = groups.get(row.organization) ?? [];
    list.push(row);
    groups.set(row.organization, list);
  }
  return [...groups].map(([organization, rows]) => ({ organization, rows }));
}
