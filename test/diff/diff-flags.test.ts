import { describe, expect, it } from 'vitest';
import { accessColumns, changeLine, dateMove, summaryLine } from '../../scripts/core/diff/describe.js';
import { diffSnapshots } from '../../scripts/core/diff/diff-flags.js';
import { buildSnapshot } from '../../scripts/core/diff/snapshot.js';
import type { DiffReport, FlagsDiff, Side } from '../../scripts/core/diff/types.js';
import { codeSpan, inert, renderDiffMarkdown } from '../../scripts/reporters/diff-markdown.js';
import { renderDiffText } from '../../scripts/reporters/diff-text.js';

const MODELINE = '# yaml-language-server: $schema=../schemas/flag.schema.json\n';
const POLICY = 'environments: [staging, production]\n';
const bytes = (text: string) => new TextEncoder().encode(text);

/** A side made of YAML texts by path, parsed the way `flags diff` parses the files of a ref. */
const side = (name: Side, files: Record<string, string>, policy = POLICY) =>
  buildSnapshot(
    name,
    bytes(policy),
    Object.entries(files).map(([file, text]) => ({ file, bytes: bytes(text) })),
  );

const diff = (base: Record<string, string>, head: Record<string, string>, policies?: [string, string]) =>
  diffSnapshots(side('base', base, policies?.[0]), side('head', head, policies?.[1]));

const report = (d: FlagsDiff): DiffReport => ({
  base: { label: 'main' },
  head: { label: 'feature' },
  diff: d,
});
const lines = (d: FlagsDiff) => d.changes.map((c) => changeLine(c));

const entitlement = (production: string, extra = '') =>
  `${MODELINE}key: sso
description: Single sign-on.
owner: "@acme/identity"
type: entitlement
contract: SKU-SSO
${extra}environments:
  production:
    enabled: true
    default: false
${production}`;

const grants = (...lines: string[]) => `    grants:\n${lines.map((l) => `      - ${l}\n`).join('')}`;

describe('diffSnapshots', () => {
  it('shows a changed agreement on a grant, old and new reference side by side', () => {
    const d = diff(
      { 'flags/sso.yaml': entitlement(grants('{org: org_a1b2, agreement: TRIAL-2026-0001}')) },
      { 'flags/sso.yaml': entitlement(grants('{org: org_a1b2, agreement: MSA-2026-0002}')) },
    );
    expect(lines(d)).toEqual(['~ sso: org_a1b2 agreement TRIAL-2026-0001 → MSA-2026-0002']);
    expect(accessColumns(d.changes[0]!)).toEqual({
      what: 'agreement changed',
      agreement: 'TRIAL-2026-0001 → MSA-2026-0002',
    });
  });

  it('counts days when a grant expiry is shortened, and calls a removed expiry an extension without end', () => {
    const d = diff(
      {
        'flags/sso.yaml': entitlement(
          grants(
            '{org: org_aaaa, agreement: A-1, expires: 2026-12-31}',
            '{org: org_bbbb, agreement: B-1, expires: 2026-12-31}',
            '{org: org_cccc, agreement: C-1}',
          ),
        ),
      },
      {
        'flags/sso.yaml': entitlement(
          grants(
            '{org: org_aaaa, agreement: A-1, expires: 2026-12-21}',
            '{org: org_bbbb, agreement: B-1}',
            '{org: org_cccc, agreement: C-1, expires: 2027-01-31}',
          ),
        ),
      },
    );
    expect(lines(d)).toEqual([
      '~ sso: org_aaaa grant expiry shortened 2026-12-31 → 2026-12-21 (−10 days) (agreement A-1)',
      '~ sso: org_bbbb grant expiry removed (was 2026-12-31): no end date (agreement B-1)',
      '~ sso: org_cccc grant expiry set to 2027-01-31 (agreement C-1)',
    ]);
    expect(d.changes.every((c) => c.access && c.env === 'production')).toBe(true);
  });

  it('treats a value change of an entitlement as customer access, for all organizations', () => {
    const before = entitlement('');
    const d = diff(
      { 'flags/sso.yaml': before },
      { 'flags/sso.yaml': before.replace('default: false', 'default: true').replace('SKU-SSO', 'SKU-SSO-2') },
    );
    expect(d.changes.map((c) => [c.kind, c.env, c.access])).toEqual([
      ['contract-changed', undefined, true],
      ['default-changed', 'production', true],
    ]);
    const markdown = renderDiffMarkdown(report(d));
    expect(markdown).toContain(
      '| all environments | `sso` | all organizations | ✏️ contract `SKU-SSO` → `SKU-SSO-2` | — |',
    );
    expect(markdown).toContain('| `production` | `sso` | all organizations | ✏️ default false → true | — |');
    expect(renderDiffText(report(d))).toBe(
      [
        'flags diff main → feature: 1 flag changed; 2 customer-access changes',
        '',
        'Customer access (2)',
        '  all environments',
        '    ~ sso: contract SKU-SSO → SKU-SSO-2',
        '  production',
        '    ~ sso: default false → true',
        '',
      ].join('\n'),
    );
  });

  it('revokes the grants of an environment that is no longer configured', () => {
    const d = diff(
      { 'flags/sso.yaml': entitlement(grants('{org: org_aaaa, agreement: A-1}')) },
      {
        'flags/sso.yaml': entitlement('').replace(
          / {2}production:[\s\S]*$/,
          '  staging:\n    enabled: true\n',
        ),
      },
    );
    expect(lines(d)).toEqual([
      '+ sso: configured: enabled',
      '- sso: no longer configured (was enabled, default false): serves off',
      '- sso: org_aaaa revoked (agreement A-1)',
    ]);
    expect(d.changes.map((c) => c.env)).toEqual(['staging', 'production', 'production']);
  });

  it('describes variant, default variant and rollout variant changes', () => {
    const flag = (variants: string, defaultVariant: string, rollout: string) => `${MODELINE}key: layout
description: Pricing layout test.
owner: "@acme/growth"
type: experiment
expires: 2027-01-20
variants: ${variants}
defaultVariant: ${defaultVariant}
environments:
  production:
    enabled: true
    default: control
    rollout: ${rollout}
`;
    const d = diff(
      {
        'flags/layout.yaml': flag(
          '{control: a, compact: {cols: 2, dense: true}, old: x}',
          'control',
          '{percentage: 20, variant: compact}',
        ),
      },
      {
        'flags/layout.yaml': flag(
          '{control: b, compact: {dense: true, cols: 2}, wide: w}',
          'wide',
          '{percentage: 20, variant: wide}',
        ),
      },
    );
    expect(lines(d)).toEqual([
      '~ layout: variants: added wide; removed old; value of control changed',
      '~ layout: default variant control → wide',
      '~ layout: rollout 20% of compact → 20% of wide',
    ]);
  });

  it('pairs an organization granted twice in order, and reports only the grant that went', () => {
    const d = diff(
      {
        'flags/sso.yaml': entitlement(
          grants('{org: org_aaaa, agreement: A-1}', '{org: org_aaaa, agreement: A-2}'),
        ),
      },
      { 'flags/sso.yaml': entitlement(grants('{org: org_aaaa, agreement: A-1}')) },
    );
    expect(lines(d)).toEqual(['- sso: org_aaaa revoked (agreement A-2)']);
  });

  it('pairs a key kept in two files by path first, so a duplicate is an addition, not a move', () => {
    const text = entitlement('');
    const d = diff({ 'flags/sso.yaml': text }, { 'flags/sso.yaml': text, 'flags/team/sso.yaml': text });
    expect(lines(d)).toEqual([
      '+ sso: added (entitlement, owner @acme/identity, flags/team/sso.yaml)',
      '+ sso: configured: enabled, default false',
    ]);
  });

  it('shows a flag whose file did not parse at base as added, so every grant it makes is visible', () => {
    const d = diff(
      { 'flags/sso.yaml': 'key: [' },
      { 'flags/sso.yaml': entitlement(grants('{org: org_aaaa, agreement: A-1}')) },
    );
    expect(d.summary).toEqual({
      flagsAdded: 1,
      flagsRemoved: 0,
      flagsChanged: 0,
      accessChanges: 2,
      problems: 1,
    });
    expect(d.problems).toEqual([
      expect.objectContaining({ side: 'base', file: 'flags/sso.yaml', code: 'yaml/syntax' }),
    ]);
    expect(lines(d)).toContain('+ sso: org_aaaa granted (agreement A-1)');
  });

  it('does not call a flag removed when its file no longer parses at head', () => {
    const d = diff(
      { 'flags/sso.yaml': entitlement(grants('{org: org_aaaa, agreement: A-1}')) },
      { 'flags/sso.yaml': 'key: [' },
    );
    expect(d.changes).toEqual([]);
    expect(summaryLine(d.summary)).toBe('no flag changes; 1 file not compared');
  });

  it('reports a schema failure at a side with its finding code, and a broken policy with the defaults used', () => {
    const d = diff({}, { 'flags/sso.yaml': `${MODELINE}key: sso\n` }, [POLICY, 'environments: nope\n']);
    expect(d.problems.map((p) => [p.side, p.file, p.code])).toEqual([
      ['head', 'flags/_policy.yaml', expect.stringMatching(/^schema\//)],
      ['head', 'flags/sso.yaml', expect.stringMatching(/^schema\//)],
    ]);
    expect(d.problems[0]!.message).toMatch(/\(the default policy was used\)$/);
  });

  it('lists other changed fields without printing free text', () => {
    const before = entitlement('', 'reviewed: 2026-04-01\ntags: [a]\n');
    const after = entitlement('', 'reviewed: 2026-10-01\ntags: [a, b]\n').replace(
      'Single sign-on.',
      'SAML and OIDC.',
    );
    expect(lines(diff({ 'flags/sso.yaml': before }, { 'flags/sso.yaml': after }))).toEqual([
      '~ sso: description changed',
      '~ sso: tags a → a, b',
      '~ sso: reviewed 2026-04-01 → 2026-10-01',
    ]);
  });
});

describe('the words of flags diff', () => {
  it('keeps a sweeping change within the job summary, pointing to the full list', () => {
    const many = grants(
      '{org: org_aaaa, agreement: A-1}',
      '{org: org_bbbb, agreement: B-1}',
      '{org: org_cccc, agreement: C-1}',
    );
    const d = diff({}, { 'flags/sso.yaml': entitlement(many) });
    const markdown = renderDiffMarkdown(report(d), 2);
    expect(markdown.match(/^\| `production`/gm)).toHaveLength(2);
    expect(markdown).toContain('\n\n…and 2 more; run `npx flags diff` locally for all.\n');
  });

  it('says extended or shortened with the number of days', () => {
    expect(dateMove({ from: '2026-12-31', to: '2027-01-01', days: 1 })).toBe(
      'extended 2026-12-31 → 2027-01-01 (+1 day)',
    );
    expect(dateMove({ from: '2026-12-31', to: '2026-12-01', days: -30 })).toBe(
      'shortened 2026-12-31 → 2026-12-01 (−30 days)',
    );
  });

  it('keeps repository text inert in Markdown', () => {
    expect(codeSpan('a|b')).toBe('`a\\|b`');
    expect(codeSpan('x`y')).toBe('`` x`y ``');
    expect(inert('<img src=x> | **')).toBe('&lt;img src=x&gt; \\| **');
  });
});
