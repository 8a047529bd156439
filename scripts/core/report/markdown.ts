import {
  BUCKET_LABELS,
  byOrganization,
  dateOf,
  grantedCounts,
  historyNote,
  KIND_LABELS,
  relativeDays,
  untilText,
} from './format.js';
import type { Report, TimelineItem } from './model.js';

/**
 * The report as GitHub-flavoured Markdown, for job summaries and wikis. Flag files are untrusted:
 * text is escaped so it cannot break a table, start a link or inject HTML; identifiers are code.
 */

export function mdText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, '\\$&');
}

/** An identifier as inline code, unless it holds a backtick or a pipe. */
export const mdCode = (text: string): string =>
  text === '' ? '' : /[`|\r\n]/.test(text) ? mdText(text) : `\`${text}\``;

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

const timelineRow = (t: TimelineItem): string =>
  row([
    t.date,
    relativeDays(t.daysLeft),
    KIND_LABELS[t.kind],
    mdCode(t.key),
    mdCode(t.organization ?? ''),
    t.environment ?? '',
    mdCode(t.owner),
  ]);
const header = (cells: readonly string[]) => [row(cells), row(cells.map(() => '---'))];

export function renderReportMarkdown(report: Report): string {
  const s = report.summary;
  const out: string[] = [];
  out.push(`## Flags report: ${mdText(report.project)}, ${report.today}`, '');
  out.push(
    `${s.flags} flags (${Object.entries(s.byType)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ')}; ${s.byLifetime['long-lived']} long-lived, ${s.byLifetime.temporary} temporary). ` +
      `${s.organizations} organizations hold ${s.grants} grants.`,
  );
  const note = historyNote(report);
  if (note) out.push('', `> ${mdText(note)}`);

  out.push('', '### Expiry timeline', '');
  out.push(...header(['When', 'Flags, reviews and grants']));
  for (const bucket of ['overdue', 'due-soon', 'later'] as const)
    out.push(row([BUCKET_LABELS[bucket], String(s.timeline[bucket])]));
  const urgent = report.timeline.filter((t) => t.bucket !== 'later');
  if (urgent.length > 0) {
    out.push('', '#### Overdue and due within 30 days', '');
    out.push(...header(['Date', 'Days', 'What', 'Flag', 'Organization', 'Environment', 'Owner']));
    for (const t of urgent) out.push(timelineRow(t));
  }
  const next = report.timeline.filter((t) => t.bucket === 'later').slice(0, 5);
  if (next.length > 0) {
    out.push(
      '',
      urgent.length > 0 ? '#### Next' : '#### Next (nothing is overdue or due within 30 days)',
      '',
    );
    out.push(...header(['Date', 'Days', 'What', 'Flag', 'Organization', 'Environment', 'Owner']));
    for (const t of next) out.push(timelineRow(t));
  }

  out.push('', '### Owners', '');
  out.push(...header(['Owner', 'Flags']));
  for (const o of s.byOwner) out.push(row([mdCode(o.owner), String(o.flags)]));

  out.push('', '### Inventory', '');
  out.push(
    ...header([
      'Flag',
      'Type',
      'Owner',
      'Created',
      'Last changed',
      'Reviewed',
      'Review due',
      'Expires',
      'Agreements',
      `Granted (${report.environments.join(' / ')})`,
    ]),
  );
  for (const f of report.flags) {
    out.push(
      row([
        `${mdCode(f.key)}<br>${mdText(f.description)}`,
        `${f.type} (${f.lifetime})`,
        mdCode(f.owner),
        dateOf(f.created),
        f.lastChanged ? `${dateOf(f.lastChanged)} by ${mdText(f.lastChanged.author)}` : '',
        f.reviewed ?? '',
        f.reviewDue === undefined ? '' : `${f.reviewDue} (${relativeDays(f.reviewDaysLeft!)})`,
        f.expires === undefined
          ? ''
          : f.expiresDaysLeft === undefined
            ? f.expires
            : `${f.expires} (${relativeDays(f.expiresDaysLeft)})`,
        f.agreements.map(mdCode).join(' '),
        grantedCounts(f, report.environments),
      ]),
    );
  }

  out.push('', '### Entitlements by organization', '');
  if (report.entitlements.length === 0) out.push('No grants.');
  else {
    out.push(...header(['Organization', 'Environment', 'Flag', 'Variant', 'Agreement', 'Until']));
    for (const group of byOrganization(report))
      for (const r of group.rows)
        out.push(
          row([
            mdCode(r.organization),
            r.environment,
            mdCode(r.key),
            mdCode(r.variant ?? ''),
            r.agreement !== undefined
              ? mdCode(r.agreement)
              : r.ticket !== undefined
                ? `ticket ${mdCode(r.ticket)}`
                : '',
            untilText(r),
          ]),
        );
  }
  return `${out.join('\n')}\n`;
}
