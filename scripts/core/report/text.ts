import {
  BUCKET_LABELS,
  byOrganization,
  dateOf,
  dueText,
  grantedCounts,
  historyNote,
  KIND_LABELS,
  relativeDays,
  timelineSubject,
  untilText,
} from './format.js';
import type { Report } from './model.js';

/** The report for a terminal: summary, what is due, owners, the inventory and who holds what. */

/** Flag files are untrusted: no control characters (terminal escapes) reach the terminal. */
const clean = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd(),
  );
}

export function renderReportText(report: Report): string {
  const s = report.summary;
  const out: string[] = [];
  out.push(`Flags report for ${clean(report.project)} on ${report.today}`);
  out.push(
    `${s.flags} flags: ${Object.entries(s.byType)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ')} (${s.byLifetime['long-lived']} long-lived, ${s.byLifetime.temporary} temporary)`,
  );
  out.push(`${s.organizations} organizations hold ${s.grants} grants`);
  const note = historyNote(report);
  if (note) out.push(`note: ${note}`);

  out.push('', 'Expiry timeline');
  out.push(
    ...table(
      (['overdue', 'due-soon', 'later'] as const).map((b) => [
        BUCKET_LABELS[b],
        String(s.timeline[b]).padStart(5),
      ]),
    ),
  );
  const urgent = report.timeline.filter((t) => t.bucket !== 'later');
  if (urgent.length > 0) {
    out.push('', 'Overdue and due within 30 days');
    out.push(
      ...table(
        urgent.map((t) => [
          t.date,
          relativeDays(t.daysLeft),
          KIND_LABELS[t.kind],
          clean(timelineSubject(t)),
          clean(t.owner),
        ]),
      ),
    );
  }
  const next = report.timeline.find((t) => t.bucket === 'later');
  if (next)
    out.push(
      '',
      `${urgent.length > 0 ? 'Then' : 'Next'}: ${next.date} (${relativeDays(next.daysLeft)}) ${KIND_LABELS[next.kind]}: ${clean(timelineSubject(next))}`,
    );

  out.push('', 'Owners');
  out.push(...table(s.byOwner.map((o) => [clean(o.owner), String(o.flags)])));

  out.push('', `Inventory (granted: ${report.environments.join(' / ')})`);
  out.push(
    ...table([
      ['KEY', 'TYPE', 'OWNER', 'CREATED', 'LAST CHANGED', 'REVIEWED', 'NEXT DATE', 'AGREEMENTS', 'GRANTED'],
      ...report.flags.map((f) => [
        clean(f.key),
        `${f.type} (${f.lifetime})`,
        clean(f.owner),
        dateOf(f.created) || '-',
        f.lastChanged ? `${dateOf(f.lastChanged)} ${clean(f.lastChanged.author)}` : '-',
        f.reviewed ?? '-',
        dueText(f) || '-',
        f.agreements.length === 0
          ? '-'
          : clean(
              f.agreements.length <= 2
                ? f.agreements.join(' ')
                : `${f.agreements.slice(0, 2).join(' ')} +${f.agreements.length - 2}`,
            ),
        grantedCounts(f, report.environments),
      ]),
    ]),
  );

  out.push('', 'Entitlements by organization');
  if (report.entitlements.length === 0) out.push('  no grants');
  for (const group of byOrganization(report)) {
    out.push(`  ${clean(group.organization)}`);
    out.push(
      ...table(
        group.rows.map((r) => [
          r.environment,
          clean(r.key),
          r.variant === undefined ? '' : clean(r.variant),
          clean(r.agreement ?? (r.ticket ? `ticket ${r.ticket}` : 'no agreement')),
          untilText(r),
        ]),
        '    ',
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
