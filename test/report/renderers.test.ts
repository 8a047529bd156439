import { describe, expect, it } from 'vitest';
import type { Flag } from '../../scripts/core/model/flag.js';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import { csvCell, renderReportCsv } from '../../scripts/core/report/csv.js';
import { esc, renderReportHtml } from '../../scripts/core/report/html.js';
import { mdText, renderReportMarkdown } from '../../scripts/core/report/markdown.js';
import { bucketOf, buildReport } from '../../scripts/core/report/model.js';
import { renderReportText } from '../../scripts/core/report/text.js';

const HOSTILE =
  'Breaks <script>alert(1)</script> "quotes" | pipes *stars* [link](x) \u001b[31mred\r\nnext line';

const hostileFlag: Flag = {
  key: 'hostile-flag',
  description: HOSTILE,
  owner: '@acme/platform',
  type: 'entitlement',
  contract: '=HYPERLINK("http://evil")',
  reviewed: '2026-10-01',
  environments: {
    production: {
      enabled: true,
      default: false,
      grants: [{ org: 'org_<b>bold</b>', agreement: '+SUM(A1)|x', expires: '2026-12-01' }],
    },
  },
};

const report = () =>
  buildReport({
    flags: [{ file: 'flags/hostile-flag.yaml', flag: hostileFlag }],
    policy: defaultPolicy(),
    today: '2026-11-24',
  });

describe('renderers treat flag files as untrusted', () => {
  it('HTML-escapes every value, in text and in attributes', () => {
    const html = renderReportHtml(report());
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>bold');
    expect(html).toContain('Breaks &lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot;');
    expect(html).toContain('data-orgs="org_&lt;b&gt;bold&lt;/b&gt;"');
    // The only script element is the page's own, allowed by its hash in the CSP.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(esc(`<a href="x" onclick='y'>&`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
  });

  it('keeps Markdown tables intact and HTML out of job summaries', () => {
    const md = renderReportMarkdown(report());
    const inventoryRow = md.split('\n').find((l) => l.startsWith('| `hostile-flag`'))!;
    expect(inventoryRow).toContain(
      'Breaks &lt;script&gt;alert(1)&lt;/script&gt; "quotes" \\| pipes \\*stars\\* \\[link\\](x)',
    );
    expect(inventoryRow.split(/(?<!\\)\|/)).toHaveLength(12);
    expect(md).not.toContain('<script>');
    expect(mdText('a\nb')).toBe('a b');
  });

  it('quotes CSV fields and defuses spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('@acme/platform')).toBe("'@acme/platform");
    expect(csvCell(-5)).toBe('-5');
    const csv = renderReportCsv(report());
    expect(csv).toContain(`'=HYPERLINK(""http://evil"")`);
    expect(renderReportCsv(report(), 'entitlements')).toContain("'+SUM(A1)|x");
  });

  it('keeps terminal escapes out of the text report', () => {
    const text = renderReportText(report());
    expect(text).not.toContain('\u001b');
    expect(text).toContain('org_<b>bold</b>');
  });
});

describe('the report model', () => {
  it('buckets dates: overdue before today, due within 30 days, later', () => {
    expect([-1, 0, 30, 31].map(bucketOf)).toEqual(['overdue', 'due-soon', 'due-soon', 'later']);
  });

  it('takes the earlier of expiry and review as the next date of a long-lived flag', () => {
    const r = buildReport({
      flags: [{ file: 'flags/a.yaml', flag: { ...hostileFlag, key: 'a', expires: '2026-12-01' } }],
      policy: defaultPolicy(),
      today: '2026-11-24',
    });
    expect(r.flags[0]).toMatchObject({
      reviewDue: '2027-03-30',
      due: { kind: 'expiry', date: '2026-12-01', daysLeft: 7 },
      status: 'due-soon',
    });
    expect(r.timeline.map((t) => `${t.date} ${t.kind}`)).toEqual([
      '2026-12-01 flag-expiry',
      '2026-12-01 grant-expiry',
      '2027-03-30 review',
    ]);
  });

  it('counts only grants that have not expired per environment, and every policy environment', () => {
    const r = buildReport({
      flags: [{ file: 'flags/hostile-flag.yaml', flag: hostileFlag }],
      policy: defaultPolicy(),
      today: '2026-12-02',
    });
    expect(r.flags[0]!.granted).toEqual({ development: 0, staging: 0, production: 0 });
    expect(r.entitlements[0]).toMatchObject({ status: 'expired', daysLeft: -1 });
    expect(r.flags[0]!.environments.development).toEqual({ state: '-', granted: 0 });
  });
});
