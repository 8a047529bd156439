import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reconciliation } from '../../scripts/core/reconcile/model.js';
import { runReconcile } from '../../scripts/commands/reconcile.js';
import { copyExample, tempDir } from '../helpers/gitdir.js';

/**
 * Each customer event of a revenue-operations team, played against a copy of the example
 * repository on 2026-11-24: the plan names it, --write carries it out, and a rerun on the same
 * export plans nothing and writes nothing.
 */

const TODAY = '2026-11-24';
const HEADER = 'organization,agreement,status,end_date,contract\n';

// The example's subscriptions: org_stark55012 holds PLAN-ENTERPRISE (MSA-2026-0031 + ORD-2026-0412)
// and SKU-ANALYTICS-PRO (ORD-2026-0412); org_wonka30417 holds PLAN-TEAM (ORD-2026-0388) and the
// writing-assistant beta (BETA-2026-0007, until 2027-01-31).
const STARK = [
  'org_stark55012,MSA-2026-0031,active,,PLAN-ENTERPRISE',
  'org_stark55012,ORD-2026-0412,active,,PLAN-ENTERPRISE; SKU-ANALYTICS-PRO',
];
const WONKA = [
  'org_wonka30417,ORD-2026-0388,active,,PLAN-TEAM',
  'org_wonka30417,BETA-2026-0007,active,2027-01-31,PLAN-BETA-ASSISTANT',
];

function repo(): string {
  const dir = tempDir();
  copyExample(dir);
  return dir;
}

async function reconcile(
  dir: string,
  rows: readonly string[],
  extra: { write?: boolean; org?: string } = {},
) {
  writeFileSync(join(dir, 'agreements.csv'), HEADER + rows.join('\n'));
  let text = '';
  const code = await runReconcile(
    { repo: dir, today: TODAY, agreements: 'agreements.csv', json: true, ...extra },
    (t) => {
      text += t;
    },
    {},
  );
  expect(code).toBe(0);
  return JSON.parse(text) as Reconciliation;
}

/** Writes the plan, then checks that the same export finds nothing left to do and writes nothing. */
async function writeAndRerun(dir: string, rows: readonly string[], files: readonly string[]) {
  await reconcile(dir, rows, { write: true });
  const before = files.map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null));
  const again = await reconcile(dir, rows, { write: true });
  expect(again.organizations).toEqual([]);
  expect(again.changes).toEqual([]);
  expect(files.map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null))).toEqual(
    before,
  );
}

const brief = (plan: Reconciliation) =>
  plan.changes.map((c) => [c.organization, c.flag, c.environment, c.action, c.agreement]);

describe('flags reconcile plans what the agreements call for', () => {
  it('finds nothing to do when the export matches the subscriptions', async () => {
    const plan = await reconcile(repo(), [...STARK, ...WONKA]);
    expect(plan.organizations).toEqual([]);
    expect(plan.reconciled).toBe(2);
  });

  it('grants a new customer its plans, and writes its subscription file', async () => {
    const dir = repo();
    const rows = ['org_cyberdyne2029,ORD-2026-0530,active,,PLAN-TEAM; SKU-PREMIER-SUPPORT'];
    const plan = await reconcile(dir, rows);
    expect(plan.organizations[0]!.event).toBe('new-customer');
    expect(plan.organizations[0]!.title).toBe(
      'org_cyberdyne2029 signed PLAN-TEAM + SKU-PREMIER-SUPPORT under ORD-2026-0530: +priority-support, +workspace-analytics (silver)',
    );
    expect(brief(plan)).toEqual([
      ['org_cyberdyne2029', 'priority-support', 'production', 'grant', 'ORD-2026-0530'],
      ['org_cyberdyne2029', 'workspace-analytics', 'production', 'grant', 'ORD-2026-0530'],
    ]);
    await writeAndRerun(dir, rows, ['flags/_organizations/org_cyberdyne2029.yaml']);
    expect(readFileSync(join(dir, 'flags/_organizations/org_cyberdyne2029.yaml'), 'utf8')).toBe(
      [
        '# yaml-language-server: $schema=../../schemas/organization.schema.json',
        'organization: org_cyberdyne2029',
        'subscriptions:',
        '  - plan: PLAN-TEAM',
        '    agreements: [ORD-2026-0530]',
        '  - plan: SKU-PREMIER-SUPPORT',
        '    agreements: [ORD-2026-0530]',
        '',
      ].join('\n'),
    );
  });

  it('names an upgrade with every flag it changes, the tier among them', async () => {
    const dir = repo();
    const rows = [...WONKA, 'org_wonka30417,ORD-2026-0412,active,,PLAN-ENTERPRISE'];
    const plan = await reconcile(dir, rows);
    const event = plan.organizations[0]!;
    expect(event.event).toBe('upgrade');
    expect(event.title).toMatch(
      /^org_wonka30417 upgraded to PLAN-ENTERPRISE under ORD-2026-0412: \+audit-log-export, \+sso-saml, workspace-analytics tier silver → gold/,
    );
    expect(plan.changes.map((c) => [c.flag, c.action, c.after?.variant])).toEqual([
      ['audit-log-export', 'grant', 'on'],
      ['sso-saml', 'grant', 'on'],
      ['workspace-analytics', 'change', 'gold'],
    ]);
    await writeAndRerun(dir, rows, ['flags/_organizations/org_wonka30417.yaml']);
    // The comment above the beta subscription stays with it.
    expect(readFileSync(join(dir, 'flags/_organizations/org_wonka30417.yaml'), 'utf8')).toContain(
      '  # Opted in to the writing assistant beta until the end of January.\n  - plan: PLAN-BETA-ASSISTANT',
    );
  });

  it('revokes what a downgrade drops, and keeps the plan another agreement still holds', async () => {
    const dir = repo();
    // The order form ended: the analytics add-on goes; the master agreement keeps PLAN-ENTERPRISE.
    const rows = [
      STARK[0]!,
      'org_stark55012,ORD-2026-0412,ended,2026-10-31,PLAN-ENTERPRISE; SKU-ANALYTICS-PRO',
    ];
    const plan = await reconcile(dir, rows);
    expect(plan.organizations[0]!.event).toBe('downgrade');
    expect(plan.changes.filter((c) => c.action === 'revoke').map((c) => c.flag)).toEqual([
      'advanced-analytics',
    ]);
    const sso = plan.changes.find((c) => c.flag === 'sso-saml')!;
    expect([sso.action, sso.before?.agreements, sso.after?.agreements]).toEqual([
      'change',
      ['MSA-2026-0031', 'ORD-2026-0412'],
      ['MSA-2026-0031'],
    ]);
    await writeAndRerun(dir, rows, ['flags/_organizations/org_stark55012.yaml']);
  });

  it('keeps a grant cited under two agreements while either is in force', async () => {
    const rows = ['org_stark55012,MSA-2026-0031,ended,2026-11-01,PLAN-ENTERPRISE', STARK[1]!];
    const plan = await reconcile(repo(), rows);
    expect(plan.changes.filter((c) => c.action === 'revoke')).toEqual([]);
    expect(plan.organizations[0]!.event).toBe('renewal');
  });

  it('carries a renewal under a new agreement reference as a change, not a revoke and a grant', async () => {
    const dir = repo();
    const rows = [
      'org_wonka30417,ORD-2026-0388,ended,2026-11-20,PLAN-TEAM',
      'org_wonka30417,ORD-2026-0777,active,2027-11-20,PLAN-TEAM',
      WONKA[1]!,
    ];
    const plan = await reconcile(dir, rows);
    expect(plan.organizations[0]!.event).toBe('renewal');
    expect(brief(plan)).toEqual([
      ['org_wonka30417', 'workspace-analytics', 'production', 'change', 'ORD-2026-0777'],
    ]);
    expect(plan.changes[0]!.summary).toBe(
      'workspace-analytics until 2027-11-20, under ORD-2026-0777 (was ORD-2026-0388)',
    );
    await writeAndRerun(dir, rows, ['flags/_organizations/org_wonka30417.yaml']);
  });

  it('drops the expiry of a trial that converted', async () => {
    const dir = repo();
    const trial = ['org_cyberdyne2029,TRIAL-2026-0300,active,2026-12-15,PLAN-TEAM'];
    await reconcile(dir, trial, { write: true });
    const converted = [
      'org_cyberdyne2029,TRIAL-2026-0300,ended,2026-12-15,PLAN-TEAM',
      'org_cyberdyne2029,ORD-2026-0801,active,,PLAN-TEAM',
    ];
    const plan = await reconcile(dir, converted);
    expect(plan.organizations[0]!.event).toBe('trial-converted');
    expect(plan.changes[0]!.before?.expires).toBe('2026-12-15');
    expect(plan.changes[0]!.after?.expires).toBeUndefined();
    await writeAndRerun(dir, converted, ['flags/_organizations/org_cyberdyne2029.yaml']);
  });

  it('changes the variant when the tier changes', async () => {
    const dir = repo();
    const policy = join(dir, 'flags/_policy.yaml');
    writeFileSync(
      policy,
      readFileSync(policy, 'utf8').replace(
        '  PLAN-TEAM:\n',
        '  PLAN-TEAM-PLUS:\n    flags: { workspace-analytics: gold }\n  PLAN-TEAM:\n',
      ),
    );
    const rows = ['org_wonka30417,ORD-2026-0388,active,,PLAN-TEAM-PLUS', WONKA[1]!];
    const plan = await reconcile(dir, rows);
    expect(plan.organizations[0]!.event).toBe('tier-change');
    expect(plan.changes.map((c) => c.summary)).toEqual(['workspace-analytics tier silver → gold']);
    await writeAndRerun(dir, rows, ['flags/_organizations/org_wonka30417.yaml']);
  });

  it('revokes everything of a churned customer and removes its subscription file', async () => {
    const dir = repo();
    const rows = [
      'org_wonka30417,ORD-2026-0388,churned,2026-11-15,PLAN-TEAM',
      'org_wonka30417,BETA-2026-0007,ended,2026-11-15,PLAN-BETA-ASSISTANT',
    ];
    const plan = await reconcile(dir, rows);
    expect(plan.organizations[0]!.event).toBe('churn');
    expect(plan.changes.map((c) => [c.flag, c.action])).toEqual([
      ['workspace-analytics', 'revoke'],
      ['writing-assistant', 'revoke'],
    ]);
    await writeAndRerun(dir, rows, ['flags/_organizations/org_wonka30417.yaml']);
    expect(existsSync(join(dir, 'flags/_organizations/org_wonka30417.yaml'))).toBe(false);
  });

  it('revokes flag-file grants whose agreements all ended, keeping comments and order', async () => {
    const dir = repo();
    const rows = ['org_umbrella5521,MSA-2025-0088,terminated,2026-10-31,SKU-ANALYTICS-PRO'];
    const plan = await reconcile(dir, rows);
    expect(brief(plan)).toEqual([
      ['org_umbrella5521', 'advanced-analytics', 'production', 'revoke', 'MSA-2025-0088'],
      ['org_umbrella5521', 'sso-saml', 'production', 'revoke', 'MSA-2025-0088'],
    ]);
    // api-rate-limits cites ORD-2025-0510, which this export does not list: it stays.
    expect(plan.organizations[0]!.event).toBe('downgrade');
    await writeAndRerun(dir, rows, ['flags/advanced-analytics.yaml', 'flags/identity/sso-saml.yaml']);
    expect(readFileSync(join(dir, 'flags/advanced-analytics.yaml'), 'utf8')).toContain(
      '      # Trial until the renewal call; the bot opens a cleanup PR when it ends.\n      - org: org_hooli40921',
    );
  });

  it('names a beta opt-in', async () => {
    const dir = repo();
    const rows = [...STARK, 'org_stark55012,BETA-2026-0101,active,2027-01-31,PLAN-BETA-ASSISTANT'];
    const plan = await reconcile(dir, rows);
    expect(plan.organizations[0]!.event).toBe('beta-opt-in');
    expect(plan.organizations[0]!.title).toBe(
      'org_stark55012 opted in to PLAN-BETA-ASSISTANT under BETA-2026-0101: +writing-assistant until 2027-01-31',
    );
    await writeAndRerun(dir, rows, ['flags/_organizations/org_stark55012.yaml']);
  });

  it('reports agreements not yet in force, and grants nothing for them', async () => {
    const plan = await reconcile(repo(), ['org_cyberdyne2029,ORD-2026-0611,pending,,SKU-ANALYTICS-PRO']);
    expect(plan.changes).toEqual([]);
    expect(plan.pending).toEqual([
      {
        organization: 'org_cyberdyne2029',
        agreement: 'ORD-2026-0611',
        contracts: ['SKU-ANALYTICS-PRO'],
        rawStatus: 'pending',
      },
    ]);
  });

  it('reconciles one organization with --org and leaves every other one alone', async () => {
    const rows = [
      'org_cyberdyne2029,ORD-2026-0530,active,,PLAN-TEAM',
      'org_wonka30417,ORD-2026-0388,churned,2026-11-15,PLAN-TEAM',
    ];
    const plan = await reconcile(repo(), rows, { org: 'org_cyberdyne2029' });
    expect(plan.organizations.map((o) => o.organization)).toEqual(['org_cyberdyne2029']);
    expect(plan.reconciled).toBe(1);
  });
});
