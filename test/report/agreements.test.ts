import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgreementAudit } from '../../scripts/core/report/agreements.js';
import { copyExample, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/** flags report --agreements: the auditor's view of the example's grants against an export. */

const TODAY = '2026-11-24';
const EXPORT = [
  'organization,agreement,status,end_date,contract',
  'org_stark55012,MSA-2026-0031,active,,PLAN-ENTERPRISE',
  'org_stark55012,ORD-2026-0412,active,,PLAN-ENTERPRISE; SKU-ANALYTICS-PRO',
  'org_wonka30417,ORD-2026-0388,ended,2026-11-01,PLAN-TEAM',
  'org_wonka30417,BETA-2026-0007,active,2027-01-31,PLAN-BETA-ASSISTANT',
  'org_initech2210,ORD-2025-0342,pending,,SKU-ANALYTICS-PRO',
  'org_hooli40921,MSA-2024-0117,active,,PLAN-ENTERPRISE',
].join('\n');

function example(): string {
  const dir = tempDir();
  copyExample(dir);
  writeFileSync(join(dir, 'agreements.csv'), `${EXPORT}\n`);
  return dir;
}

describe('flags report --agreements', () => {
  it("gives each grant its agreement's status, the drift, and each organization's grants with their flag types", async () => {
    const dir = example();
    const result = await runCli([
      'report',
      '-C',
      dir,
      '--today',
      TODAY,
      '--no-history',
      '--format',
      'json',
      '--agreements',
      'agreements.csv',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const audit = (JSON.parse(result.stdout) as { agreements: AgreementAudit }).agreements;
    const status = (org: string, flag: string) =>
      audit.grants.find((g) => g.organization === org && g.flag === flag && g.environment === 'production')
        ?.status;
    expect(status('org_stark55012', 'sso-saml')).toBe('in-force');
    expect(status('org_wonka30417', 'workspace-analytics')).toBe('ended');
    expect(status('org_initech2210', 'advanced-analytics')).toBe('pending');
    // MSA-2024-0117 is listed, for org_hooli40921: globex's grants under it cite another's agreement.
    expect(status('org_globex7731', 'sso-saml')).toBe('other-organization');
    expect(status('org_umbrella5521', 'sso-saml')).toBe('unknown');
    // A grant from a subscription names its plan; the per-organization view names flag types.
    expect(
      audit.grants.find((g) => g.organization === 'org_stark55012' && g.flag === 'sso-saml')?.plans,
    ).toEqual(['PLAN-ENTERPRISE']);
    const wonka = audit.organizations.find((o) => o.organization === 'org_wonka30417')!;
    expect(wonka.grants.map((g) => [g.flag, g.type])).toContainEqual(['writing-assistant', 'release']);
    // The drift is what flags reconcile would change.
    expect(audit.drift.map((d) => [d.organization, d.flag, d.action])).toContainEqual([
      'org_wonka30417',
      'workspace-analytics',
      'revoke',
    ]);
    const counted = Object.values(audit.counts).reduce((a, b) => a + b, 0);
    expect(counted + audit.expired).toBe(audit.grants.length);
  });

  it('leaves expired grants out of the counts, and marks an owner who is not a code owner', async () => {
    const dir = example();
    // Later, trials and dated grants have expired; and sso-saml's owner is no longer routed its reviews.
    writeFileSync(join(dir, 'CODEOWNERS'), '*  @acme/platform\n');
    const result = await runCli([
      'report',
      '-C',
      dir,
      '--today',
      '2028-01-01',
      '--no-history',
      '--agreements',
      'agreements.csv',
    ]);
    expect(result.code).toBe(0);
    const line = result.stdout.split('\n').find((l) => l.startsWith('Agreements (agreements.csv):'))!;
    const expired = Number(/; (\d+) expired grants? not counted/.exec(line)![1]);
    expect(expired).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/\(expired \d{4}-\d{2}-\d{2}\)/);
    expect(result.stdout).toMatch(/\[owner @acme\/\S+ is not a code owner of flags\//);
    expect(result.stdout).toContain('Owners who are not code owners of their flag');
  });

  it('refuses a format it does not report agreements in', async () => {
    const result = await runCli([
      'report',
      '-C',
      example(),
      '--format',
      'csv',
      '--agreements',
      'agreements.csv',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--agreements reports in text or json');
  });
});
