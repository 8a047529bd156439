import { createHash } from 'node:crypto';
import { addDays } from '../dates.js';
import { FLAG_TYPES } from '../model/flag.js';
import { BUCKET_LABELS, dateOf, historyNote, KIND_LABELS, relativeDays } from './format.js';
import type { Bucket, EntitlementRow, InventoryRow, Report, Status, TimelineItem } from './model.js';

/**
 * The report as one self-contained HTML page: inline CSS and script, inline SVG charts, no fonts,
 * images or requests, so it opens from a file or a CI artifact with no network. Everything from
 * flag files is HTML-escaped where it is written; the script never parses HTML, it only hides and
 * shows rows; and a Content-Security-Policy allows exactly the page's own style and script (by
 * hash), so even a mistake in escaping could not run injected script or load anything.
 */

export function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

const STATUS_LABELS: Record<Status, string> = { ...BUCKET_LABELS, none: 'no date' };
const STATUSES: Status[] = ['overdue', 'due-soon', 'later', 'none'];
const OWNERS_SHOWN = 12;
const LATER_SHOWN = 300;
/** Above this many flags the browser renders sections only as they scroll into view. */
const LARGE = 2000;

const CSS = `
:root{--fg:#1c2430;--muted:#5b6675;--line:#dde2e8;--bg:#fff;--panel:#f6f8fa;--accent:#0b5cad;
--overdue:#c62828;--due-soon:#d97706;--later:#2e7d32;--none:#8a94a3;
--entitlement:#6d28d9;--operational:#475569;--release:#0f766e;--experiment:#be185d}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ee;--muted:#9aa4b2;--line:#323a46;--bg:#14181e;--panel:#1c222a;--accent:#6cb0ff}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body.large main>section{content-visibility:auto;contain-intrinsic-size:auto 900px}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px 12px;border-bottom:1px solid var(--line)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
main{padding:0 28px 40px;max-width:1600px}
.muted,.file{color:var(--muted)}.file{font-size:12px}
.note{margin:8px 0 0;padding:6px 10px;border-left:3px solid var(--due-soon);background:var(--panel)}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px;background:var(--panel);text-align:left;color:inherit;font:inherit;cursor:pointer}
.card b{display:block;font-size:24px}
.card.overdue b{color:var(--overdue)}.card.due-soon b{color:var(--due-soon)}.card.later b{color:var(--later)}
.grid{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:32px}
@media (max-width:1000px){.grid{grid-template-columns:1fr}}
svg text{fill:var(--fg);font:11px system-ui,sans-serif}
svg .axis{stroke:var(--line)}svg .today{stroke:var(--muted);stroke-dasharray:3 3}
.b-overdue{fill:var(--overdue)}.b-due-soon{fill:var(--due-soon)}.b-later{fill:var(--later)}
.bars{list-style:none;margin:0;padding:0}
.bars button{display:grid;grid-template-columns:minmax(140px,auto) 1fr 36px;gap:8px;align-items:center;width:100%;border:0;background:none;color:inherit;font:inherit;padding:3px 0;cursor:pointer;text-align:left}
.bars button:hover,.card:hover{outline:1px solid var(--accent)}
.bars svg{width:100%;height:10px}.bars rect{fill:var(--accent)}
.filters{position:sticky;top:0;z-index:2;display:flex;gap:10px;flex-wrap:wrap;align-items:center;padding:10px 0;background:var(--bg);border-bottom:1px solid var(--line)}
.filters input,.filters select,.filters button{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:inherit}
.filters input{min-width:340px}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:6px 7px;text-align:left;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);background:var(--bg);vertical-align:bottom}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{white-space:nowrap;font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.desc{min-width:240px;max-width:380px}
.nowrap{white-space:nowrap}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-size:12px}
.t-entitlement{background:var(--entitlement)}.t-operational{background:var(--operational)}.t-release{background:var(--release)}.t-experiment{background:var(--experiment)}
.pill{display:inline-block;padding:1px 7px;border-radius:10px;border:1px solid currentColor;font-size:12px;white-space:nowrap}
.s-overdue{color:var(--overdue)}.s-due-soon{color:var(--due-soon)}.s-later{color:var(--later)}.s-none{color:var(--none)}
.chip{display:inline-block;white-space:nowrap;margin:0 4px 4px 0;padding:2px 6px;border-radius:6px;background:var(--panel);border:1px solid var(--line);font-size:12px}
.stale{margin:2px 0;font-size:12px;color:var(--due-soon)}
.grant{display:block;margin:0 0 4px;padding:3px 6px;border-left:3px solid var(--none);background:var(--panel);border-radius:4px}
.grant.s-overdue{border-left-color:var(--overdue)}.grant.s-due-soon{border-left-color:var(--due-soon)}.grant.s-later{border-left-color:var(--later)}
.grant,.grant code{color:var(--fg)}
.empty{padding:12px;color:var(--muted)}
.envs div{white-space:nowrap}.envs .env{display:inline-block;min-width:84px;color:var(--muted)}.envs b{display:inline-block;min-width:18px;text-align:right;font-variant-numeric:tabular-nums}
footer{padding:16px 28px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
`.trim();

const SCRIPT = `
(function () {
  'use strict';
  var byId = function (id) { return document.getElementById(id); };
  var all = function (selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); };
  var q = byId('q');
  var selects = { type: byId('f-type'), owner: byId('f-owner'), status: byId('f-status'), env: byId('f-env'), finding: byId('f-finding') };
  // The finding filter is there only when some flag has findings.
  if (!selects.finding) delete selects.finding;
  function hasFinding(el) {
    var code = selects.finding ? selects.finding.value : '';
    return !code || (' ' + (el.dataset.findings || '') + ' ').indexOf(' ' + code + ' ') !== -1;
  }
  var total = all('#inventory tbody tr').length;
  // What search matches: the element's text, plus the organizations and owner it carries as data.
  var texts = new WeakMap();
  function textOf(el) {
    var t = texts.get(el);
    if (t === undefined) {
      var d = el.dataset;
      t = [el.textContent, d.orgs || '', d.owner || '', d.org || ''].join(' ').toLowerCase();
      texts.set(el, t);
    }
    return t;
  }
  function fits(el, text) {
    var d = el.dataset;
    return (!selects.type.value || d.type === selects.type.value) &&
      (!selects.owner.value || d.owner === selects.owner.value) &&
      (!selects.status.value || d.status === selects.status.value) &&
      (!text || textOf(el).indexOf(text) !== -1);
  }
  function apply() {
    var text = q.value.trim().toLowerCase();
    var env = selects.env.value;
    var shown = 0;
    all('#inventory tbody tr').forEach(function (tr) { var ok = fits(tr, text) && hasFinding(tr); tr.hidden = !ok; if (ok) shown++; });
    byId('shown').textContent = shown + ' of ' + total + ' flags';
    byId('inventory-empty').hidden = shown !== 0;
    var items = 0;
    all('#timeline tbody tr').forEach(function (tr) { var ok = fits(tr, text); tr.hidden = !ok; if (ok) items++; });
    byId('timeline-empty').hidden = items !== 0;
    var orgs = 0;
    all('#matrix tbody tr').forEach(function (tr) {
      var orgHit = text !== '' && tr.dataset.org.toLowerCase().indexOf(text) !== -1;
      var any = false;
      all('.grant', tr).forEach(function (g) {
        var ok = fits(g, orgHit ? '' : text) && (!env || g.dataset.env === env);
        g.hidden = !ok;
        if (ok) any = true;
      });
      tr.hidden = !any;
      if (any) orgs++;
    });
    all('[data-col-env]').forEach(function (cell) { cell.hidden = env !== '' && cell.dataset.colEnv !== env; });
    byId('matrix-empty').hidden = orgs !== 0;
    var state = new URLSearchParams();
    if (q.value) state.set('q', q.value);
    Object.keys(selects).forEach(function (k) { if (selects[k].value) state.set(k, selects[k].value); });
    var hash = state.toString();
    try { history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search); } catch (e) { /* file: URLs in some browsers */ }
  }
  var initial = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (initial.get('q')) q.value = initial.get('q');
  Object.keys(selects).forEach(function (k) {
    var v = initial.get(k);
    if (v && all('option', selects[k]).some(function (o) { return o.value === v; })) selects[k].value = v;
  });
  // Large pages filter after a pause in typing, not on every key.
  var timer;
  q.addEventListener('input', function () {
    if (total <= 2000) return apply();
    clearTimeout(timer);
    timer = setTimeout(apply, 200);
  });
  Object.keys(selects).forEach(function (k) { selects[k].addEventListener('change', apply); });
  all('button[data-filter]').forEach(function (b) {
    b.addEventListener('click', function () {
      var select = selects[b.dataset.filter];
      select.value = select.value === b.dataset.value ? '' : b.dataset.value;
      apply();
      byId('flags').scrollIntoView({ block: 'start' });
    });
  });
  byId('reset').addEventListener('click', function () {
    q.value = '';
    Object.keys(selects).forEach(function (k) { selects[k].value = ''; });
    apply();
  });
  document.documentElement.classList.add('js');
  apply();
})();
`.trim();

const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${sha256(CSS)}'`,
  `script-src 'sha256-${sha256(SCRIPT)}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const options = (values: readonly { value: string; label: string }[], all: string) =>
  [
    `<option value="">${esc(all)}</option>`,
    ...values.map((v) => `<option value="${esc(v.value)}">${esc(v.label)}</option>`),
  ].join('');

export function renderReportHtml(report: Report): string {
  const s = report.summary;
  const typeOf = new Map(report.flags.map((f) => [f.key, f.type]));
  const orgs = orgsByKey(report.entitlements);
  // Everything overdue or due soon, then the next later dates: a long tail would only slow the page.
  const urgent = report.timeline.filter((t) => t.bucket !== 'later').length;
  const shownTimeline = report.timeline.slice(0, urgent + LATER_SHOWN);
  const hiddenLater = report.timeline.length - shownTimeline.length;
  const note = historyNote(report);
  const title = `Flags report: ${report.project}, ${report.today}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body${s.flags > LARGE ? ' class="large"' : ''}>
<header>
<h1>Flags report: ${esc(report.project)}</h1>
<div class="muted">As of ${esc(report.today)} &middot; ${s.flags} flags (${s.byLifetime['long-lived']} long-lived, ${s.byLifetime.temporary} temporary) &middot; ${s.organizations} organizations hold ${s.grants} grants &middot; environments: ${esc(report.environments.join(', '))}</div>
${note ? `<p class="note">${esc(note)}</p>` : ''}
<div class="cards" aria-label="Expiry timeline summary">
${(['overdue', 'due-soon', 'later'] as const)
  .map(
    (b) =>
      `<button type="button" class="card ${b}" data-filter="status" data-value="${b}" title="Show only ${esc(BUCKET_LABELS[b])}"><b>${s.timeline[b]}</b>${esc(BUCKET_LABELS[b])}</button>`,
  )
  .join('\n')}
</div>
<p class="muted">Flag expiries, review due dates and grant expiries, counted from ${esc(report.today)}.</p>
</header>
<main>
<section class="grid">
<div>
<h2 id="chart-title">Expiry timeline</h2>
${timelineChart(report)}
</div>
<div>
<h2>By type</h2>
${bars(
  FLAG_TYPES.map((t) => ({ label: t, count: s.byType[t], value: t })),
  'type',
)}
<h2>By owner</h2>
${bars(
  s.byOwner.slice(0, OWNERS_SHOWN).map((o) => ({ label: o.owner, count: o.flags, value: o.owner })),
  'owner',
)}${s.byOwner.length > OWNERS_SHOWN ? `<p class="muted">and ${s.byOwner.length - OWNERS_SHOWN} more owners (see the owner filter)</p>` : ''}
</div>
</section>
<div class="filters" role="search">
<input id="q" type="search" placeholder="Search flags, descriptions, organizations, agreements" aria-label="Search">
<select id="f-type" aria-label="Type">${options(
    FLAG_TYPES.map((t) => ({ value: t, label: t })),
    'All types',
  )}</select>
<select id="f-owner" aria-label="Owner">${options(
    s.byOwner.map((o) => ({ value: o.owner, label: o.owner })),
    'All owners',
  )}</select>
<select id="f-status" aria-label="Due">${options(
    STATUSES.map((v) => ({ value: v, label: STATUS_LABELS[v] })),
    'Any date',
  )}</select>
<select id="f-env" aria-label="Environment">${options(
    report.environments.map((e) => ({ value: e, label: e })),
    'All environments',
  )}</select>
${findingSelect(report)}<button id="reset" type="button">Reset</button>
<span id="shown" class="muted" aria-live="polite">${s.flags} of ${s.flags} flags</span>
</div>
<section>
<h2 id="flags">Inventory</h2>
<div class="wrap">
<table id="inventory">
<thead><tr><th>Flag</th><th>Type</th><th>Owner</th><th>Created, last changed</th><th>Reviewed</th><th>Next date</th><th>Agreements</th><th title="Organizations granted per environment, and what everyone else gets">Granted</th></tr></thead>
<tbody>
${report.flags.map((f) => inventoryRow(f, report.environments, [...(orgs.get(f.key) ?? [])], report.history !== 'none')).join('\n')}
</tbody>
</table>
<p id="inventory-empty" class="empty" hidden>No flag matches the filters.</p>
</div>
</section>
<section>
<h2>Expiries and reviews</h2>
<div class="wrap">
<table id="timeline">
<thead><tr><th>Date</th><th>When</th><th>What</th><th>Flag</th><th>Organization</th><th>Environment</th><th>Owner</th></tr></thead>
<tbody>
${shownTimeline.map((t) => timelineRow(t, typeOf.get(t.key) ?? '')).join('\n')}
</tbody>
</table>
${
  hiddenLater > 0
    ? `<p class="muted">And ${hiddenLater} later dates, after ${esc(shownTimeline[shownTimeline.length - 1]!.date)}: every date is in the CSV (--table timeline) and JSON reports.</p>`
    : ''
}
<p id="timeline-empty" class="empty"${report.timeline.length === 0 ? '' : ' hidden'}>Nothing expires and nothing is due for review.</p>
</div>
</section>
<section>
<h2>Entitlement matrix</h2>
<p class="muted">Which organizations hold which flags in each environment, under which agreement, until when.</p>
<div class="wrap">
<table id="matrix">
<thead><tr><th>Organization</th>${report.environments.map((e) => `<th data-col-env="${esc(e)}">${esc(e)}</th>`).join('')}</tr></thead>
<tbody>
${matrixRows(report)}
</tbody>
</table>
<p id="matrix-empty" class="empty"${report.entitlements.length === 0 ? '' : ' hidden'}>No grants match.</p>
</div>
</section>
</main>
<footer>Generated by <code>flags report</code> for ${esc(report.today)}. A static page: it needs no network.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function orgsByKey(entitlements: readonly EntitlementRow[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of entitlements) {
    const set = out.get(e.key) ?? new Set<string>();
    set.add(e.organization);
    out.set(e.key, set);
  }
  return out;
}

function pill(status: Status, text: string): string {
  return `<span class="pill s-${status}">${esc(text)}</span>`;
}

function inventoryRow(
  f: InventoryRow,
  environments: readonly string[],
  orgs: readonly string[],
  historyKnown: boolean,
): string {
  const next = f.due
    ? pill(
        f.status,
        `${f.due.kind === 'expiry' ? (f.due.daysLeft < 0 ? 'expired' : 'expires') : 'review'} ${relativeDays(f.due.daysLeft)}`,
      ) + `<div class="muted">${esc(f.due.date)}</div>`
    : pill('none', 'no date');
  const reviewed = f.reviewed
    ? `<span class="nowrap">${esc(f.reviewed)}</span>${f.reviewDue ? `<div class="muted nowrap">due ${esc(f.reviewDue)}</div>` : ''}`
    : '<span class="muted">-</span>';
  const agreements = [
    f.contract ? `<div class="muted">contract <code>${esc(f.contract)}</code></div>` : '',
    f.ticket ? `<div class="muted">ticket <code>${esc(f.ticket)}</code></div>` : '',
    ...f.agreements.map((a) => `<span class="chip">${esc(a)}</span>`),
  ].join('');
  const history =
    f.created && f.lastChanged
      ? `<span class="nowrap">${esc(dateOf(f.created))}</span>` +
        (f.lastChanged.commit === f.created.commit
          ? `<div class="muted">by ${esc(f.created.author)}</div>`
          : `<div class="muted">by ${esc(f.created.author)}</div><div class="nowrap">changed ${esc(dateOf(f.lastChanged))}</div><div class="muted">by ${esc(f.lastChanged.author)}</div>`)
      : `<span class="muted">${historyKnown ? 'not committed' : '-'}</span>`;
  const codes = [...new Set((f.findings ?? []).map((x) => x.code))];
  const lifecycle = [
    f.state ? `<span class="chip">${f.state}</span>` : '',
    f.usage ? `<div class="muted">${esc(f.usage.text)}</div>` : '',
    ...(f.findings ?? []).map((x) => `<div class="stale" title="${esc(x.code)}">${esc(x.message)}</div>`),
  ].join('');
  return `<tr data-key="${esc(f.key)}" data-type="${esc(f.type)}" data-owner="${esc(f.owner)}" data-status="${f.status}"${orgs.length > 0 ? ` data-orgs="${esc(orgs.join(' '))}"` : ''}${codes.length > 0 ? ` data-findings="${esc(codes.join(' '))}"` : ''}>
<td><code>${esc(f.key)}</code>${lifecycle}<div class="desc">${esc(f.description)}</div><div class="file">${esc(f.file)}${f.tags.map((t) => ` <span class="chip">${esc(t)}</span>`).join('')}</div></td>
<td><span class="badge t-${esc(f.type)}">${esc(f.type)}</span><div class="muted">${f.lifetime}</div></td>
<td>${esc(f.owner)}</td>
<td>${history}</td>
<td>${reviewed}</td>
<td>${next}</td>
<td>${agreements}</td>
<td class="envs">${environments
    .map((e) => {
      const state = f.environments[e];
      const detail = state
        ? `${state.state}${state.rollout !== undefined ? `, ${state.rollout}% rollout` : ''}`
        : '';
      return `<div data-col-env="${esc(e)}"><span class="env">${esc(e)}</span> <b>${f.granted[e] ?? 0}</b> <span class="muted">${esc(detail)}</span></div>`;
    })
    .join('')}</td>
</tr>`;
}

function timelineRow(t: TimelineItem, type: string): string {
  return `<tr data-type="${esc(type)}" data-owner="${esc(t.owner)}" data-status="${t.bucket}">
<td class="nowrap">${esc(t.date)}</td><td>${pill(t.bucket, relativeDays(t.daysLeft))}</td><td>${esc(KIND_LABELS[t.kind])}</td><td><code>${esc(t.key)}</code></td><td>${t.organization ? `<code>${esc(t.organization)}</code>` : ''}</td><td>${esc(t.environment ?? '')}</td><td>${esc(t.owner)}</td>
</tr>`;
}

const grantStatus = (row: EntitlementRow): Status =>
  row.status === 'expired'
    ? 'overdue'
    : row.status === 'expiring'
      ? 'due-soon'
      : row.expires
        ? 'later'
        : 'none';

function matrixRows(report: Report): string {
  const byOrg = new Map<string, EntitlementRow[]>();
  for (const row of report.entitlements) {
    const list = byOrg.get(row.organization) ?? [];
    list.push(row);
    byOrg.set(row.organization, list);
  }
  const out: string[] = [];
  for (const [org, rows] of byOrg) {
    const cells = report.environments.map((env) => {
      const grants = rows.filter((r) => r.environment === env);
      return `<td data-col-env="${esc(env)}">${grants.map(grantChip).join('')}</td>`;
    });
    out.push(
      `<tr data-org="${esc(org)}"><td><code>${esc(org)}</code><div class="muted">${rows.length} grant${rows.length === 1 ? '' : 's'}</div></td>${cells.join('')}</tr>`,
    );
  }
  return out.join('\n');
}

function grantChip(r: EntitlementRow): string {
  const status = grantStatus(r);
  const basis = r.agreement ?? (r.ticket ? `ticket ${r.ticket}` : 'no agreement');
  const until = r.expires ? `until ${r.expires} (${relativeDays(r.daysLeft ?? 0)})` : 'no end date';
  return `<span class="grant s-${status}" data-env="${esc(r.environment)}" data-type="${esc(r.type)}" data-owner="${esc(r.owner)}" data-status="${status}"><code>${esc(r.key)}</code>${r.variant ? ` = ${esc(r.variant)}` : ''} <span class="muted">${esc(basis)} &middot; ${esc(until)}</span></span>`;
}

/** A filter by finding code, over the codes the report's flags have (none: no filter). */
function findingSelect(report: Report): string {
  const counts = new Map<string, number>();
  for (const f of report.flags)
    for (const code of new Set((f.findings ?? []).map((x) => x.code)))
      counts.set(code, (counts.get(code) ?? 0) + 1);
  if (counts.size === 0) return '';
  return `<select id="f-finding" aria-label="Finding">${options(
    [...counts]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([code, n]) => ({ value: code, label: `${code} (${n})` })),
    'Any finding',
  )}</select>
`;
}

function bars(items: readonly { label: string; count: number; value: string }[], filter: string): string {
  const max = Math.max(1, ...items.map((i) => i.count));
  return `<ul class="bars">${items
    .map(
      (i) =>
        `<li><button type="button" data-filter="${filter}" data-value="${esc(i.value)}" title="Show only ${esc(i.label)}"><span>${esc(i.label)}</span><svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"><rect width="${((i.count / max) * 100).toFixed(1)}" height="10" rx="2"></rect></svg><span class="num">${i.count}</span></button></li>`,
    )
    .join('')}</ul>`;
}

/** "2026-11" → "2026-12": the 28th plus five days is always in the next month. */
const nextMonth = (month: string): string => addDays(`${month}-28`, 5).slice(0, 7);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CHART_MONTHS = 12;

/**
 * Bars per calendar month from today's month on, after one bar for everything overdue and before
 * one for everything further than a year out; each bar stacked by bucket (due within 30 days, later).
 */
function timelineChart(report: Report): string {
  const today = report.today;
  const start = today.slice(0, 7);
  const months: string[] = [];
  for (let month = start, i = 0; i < CHART_MONTHS; i++, month = nextMonth(month)) months.push(month);
  const lastMonth = months[months.length - 1]!;
  type Column = { label: string; title: string; counts: Record<Bucket, number> };
  const zero = (): Record<Bucket, number> => ({ overdue: 0, 'due-soon': 0, later: 0 });
  const overdue: Column = { label: 'Overdue', title: 'Overdue', counts: zero() };
  const columns: Column[] = months.map((m, i) => {
    const [year, month] = m.split('-');
    const name = MONTHS[Number(month) - 1]!;
    const label = i === 0 || month === '01' ? `${name} \u2019${year!.slice(2)}` : name;
    return { label, title: `${name} ${year}`, counts: zero() };
  });
  const beyond: Column = {
    label: 'Later',
    title: `After ${columns[columns.length - 1]!.title}`,
    counts: zero(),
  };
  for (const t of report.timeline) {
    if (t.bucket === 'overdue') overdue.counts.overdue++;
    else if (t.date.slice(0, 7) > lastMonth) beyond.counts[t.bucket]++;
    else {
      const index = months.indexOf(t.date.slice(0, 7));
      columns[Math.max(0, index)]!.counts[t.bucket]++;
    }
  }
  const all = [overdue, ...columns, beyond];
  const totals = all.map((c) => c.counts.overdue + c.counts['due-soon'] + c.counts.later);
  const max = Math.max(1, ...totals);
  const width = 720;
  const height = 220;
  const top = 18;
  const bottom = 40;
  const left = 8;
  const slot = (width - left * 2) / all.length;
  const barWidth = slot * 0.62;
  const scale = (height - top - bottom) / max;
  const parts: string[] = [];
  parts.push(
    `<line class="axis" x1="${left}" y1="${height - bottom}" x2="${width - left}" y2="${height - bottom}"></line>`,
  );
  const todayX = left + slot;
  parts.push(
    `<line class="today" x1="${todayX}" y1="${top - 6}" x2="${todayX}" y2="${height - bottom}"></line>`,
  );
  parts.push(`<text x="${todayX + 3}" y="${top - 8}">today ${esc(today)}</text>`);
  all.forEach((column, i) => {
    const x = left + slot * i + (slot - barWidth) / 2;
    let y = height - bottom;
    for (const bucket of ['overdue', 'due-soon', 'later'] as const) {
      const n = column.counts[bucket];
      if (n === 0) continue;
      const h = n * scale;
      y -= h;
      parts.push(
        `<rect class="b-${bucket}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(`${column.title}: ${n} ${BUCKET_LABELS[bucket]}`)}</title></rect>`,
      );
    }
    const total = totals[i]!;
    if (total > 0)
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle">${total}</text>`,
      );
    parts.push(
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${esc(column.label)}</text>`,
    );
  });
  const legend = (['overdue', 'due-soon', 'later'] as const)
    .map((b, i) => {
      const x = left + i * 150;
      return `<rect class="b-${b}" x="${x}" y="${height - 10}" width="10" height="10"></rect><text x="${x + 14}" y="${height - 1}">${esc(BUCKET_LABELS[b])}</text>`;
    })
    .join('');
  return `<svg id="timeline-chart" role="img" aria-labelledby="chart-title" viewBox="0 0 ${width} ${height + 4}" width="100%">${parts.join('')}${legend}</svg>
<p class="muted">Flag expiries, review due dates and grant expiries per month.</p>`;
}
