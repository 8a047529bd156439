import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../scripts/core/report/model.js';
import { FIXTURES, type TempRepo, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';
import { exampleWithHistory } from './example-history.js';

const TODAY = '2026-11-24';
const expected = (name: string) => readFileSync(join(FIXTURES, 'governance', 'example-report', name), 'utf8');

describe('flags report on the example repository with a real git history', () => {
  let repo: TempRepo & { dispose(): void };
  const report = async (...args: string[]) => {
    const result = await runCli(['report', '--repo', repo.dir, '--today', TODAY, ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    repo = await exampleWithHistory({ shared: true });
  });
  afterAll(() => repo.dispose());

  it('writes the inventory as CSV for auditors, exactly', async () => {
    const csv = await report('--format', 'csv');
    expect(csv).toBe(expected('inventory.csv'));
    expect(csv.split('\r\n')[0]).toBe(
      'key,file,type,lifetime,owner,description,contract,ticket,created,created_by,last_changed,last_changed_by,reviewed,review_due,review_days_left,expires,expires_days_left,status,agreements,granted_development,granted_staging,granted_production',
    );
  });

  it('writes the entitlements and the timeline as CSV tables of their own', async () => {
    expect(await report('--format', 'csv', '--table', 'entitlements')).toBe(expected('entitlements.csv'));
    expect(await report('--format', 'csv', '--table', 'timeline')).toBe(expected('timeline.csv'));
  });

  it('writes Markdown for job summaries, exactly', async () => {
    expect(await report('--format', 'markdown')).toBe(expected('report.md'));
  });

  it('writes JSON with history, review and expiry dates, agreements and grant counts', async () => {
    const json = JSON.parse(await report('--format', 'json')) as Report;
    expect(json.format).toBe('flags-report/v1');
    expect(json.history).toBe('full');
    expect(json.summary).toMatchObject({
      flags: 16,
      byType: { entitlement: 7, release: 4, experiment: 2, operational: 3 },
      byLifetime: { 'long-lived': 10, temporary: 6 },
      timeline: { overdue: 0, 'due-soon': 0, later: 19 },
      organizations: 8,
      grants: 25,
    });
    const onboarding = json.flags.find((f) => f.key === 'onboarding-checklist')!;
    expect(onboarding).toMatchObject({
      file: 'flags/growth/onboarding-checklist.yaml',
      lifetime: 'temporary',
      created: { at: '2026-01-05T09:00:00Z', author: 'Alice Example' },
      lastChanged: { at: '2026-06-01T08:15:00Z', author: 'Carol Reviewer' },
      expires: '2027-01-10',
      expiresDaysLeft: 47,
      status: 'later',
    });
    const sso = json.flags.find((f) => f.key === 'sso-saml')!;
    expect(sso).toMatchObject({
      reviewed: '2026-09-30',
      reviewDue: '2027-03-29',
      reviewDaysLeft: 125,
      agreements: ['MSA-2024-0117', 'MSA-2025-0088', 'MSA-2026-0012'],
      // and org_stark55012's, from its PLAN-ENTERPRISE subscription
      granted: { development: 0, staging: 0, production: 4 },
    });
    expect(json.entitlements.filter((e) => e.organization === 'org_hooli40921')).toEqual([
      expect.objectContaining({
        key: 'advanced-analytics',
        agreement: 'TRIAL-2026-0097',
        expires: '2026-12-31',
        daysLeft: 37,
      }),
      expect.objectContaining({ key: 'invoice-pdf-v2', ticket: 'BILL-877' }),
      expect.objectContaining({ key: 'priority-support', agreement: 'ORD-2026-0203', status: 'active' }),
    ]);
  });

  it('writes text for people: timeline, owners, inventory and who holds what', async () => {
    const text = await report();
    expect(text).toContain('Flags report for acme-platform on 2026-11-24\n');
    expect(text).toContain('Next: 2026-12-28 (in 34 days) review due: api-rate-limits');
    expect(text).toMatch(
      / {2}sso-saml +entitlement \(long-lived\) +@acme\/identity +2026-01-05 +2026-10-15 Bob Builder/,
    );
    expect(text).toMatch(
      /org_hooli40921\n {4}production +advanced-analytics +TRIAL-2026-0097 +2026-12-31 \(in 37 days\)/,
    );
  });

  it('writes a self-contained HTML page that lists every flag', async () => {
    const html = await report('--format', 'html');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)=|url\(|@import|https?:\/\//);
    expect(html).toContain('content="default-src &#39;none&#39;;');
    expect(html.match(/<tr data-key=/g)).toHaveLength(16);
  });

  it('is deterministic for a given --today, and FLAGS_TODAY works like --today', async () => {
    const a = await report('--format', 'json');
    const b = await runCli(['report', '--repo', repo.dir, '--format', 'json'], {
      env: { FLAGS_TODAY: TODAY },
    });
    expect(b.stdout).toBe(a);
  });

  it('moves dates into the overdue and due-soon buckets as time passes', async () => {
    const result = await runCli(['report', '--repo', repo.dir, '--today', '2027-01-20', '--format', 'json']);
    const json = JSON.parse(result.stdout) as Report;
    expect(json.summary.timeline).toEqual({ overdue: 4, 'due-soon': 7, later: 8 });
    expect(json.flags.find((f) => f.key === 'graphql-gateway')).toMatchObject({
      status: 'overdue',
      expiresDaysLeft: -5,
    });
    expect(json.flags.find((f) => f.key === 'pricing-page-layout')).toMatchObject({
      status: 'due-soon',
      expiresDaysLeft: 0,
    });
  });

  it('writes --out atomically and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const out = join(dir, 'nested', 'report.html');
    const result = await runCli([
      'report',
      '--repo',
      repo.dir,
      '--today',
      TODAY,
      '--format',
      'html',
      '--out',
      out,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('report.html (16 flags, html)');
    expect(readFileSync(out, 'utf8')).toBe(await report('--format', 'html'));
    expect(readdirSync(join(dir, 'nested'))).toEqual(['report.html']);
  });

  it('refuses an unknown format or table with a usage error', async () => {
    const format = await runCli(['report', '--repo', repo.dir, '--format', 'pdf']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('unknown format "pdf"');
    const table = await runCli(['report', '--repo', repo.dir, '--format', 'csv', '--table', 'owners']);
    expect(table.code).toBe(2);
  });
});

describe('flags report without git history', () => {
  it('says so, and leaves created and last changed blank', async () => {
    const dir = tempDir();
    const result = await runCli(
      [
        'report',
        '--repo',
        join(FIXTURES, 'check', 'policy-claim-budget'),
        '--today',
        TODAY,
        '--format',
        'csv',
      ],
      {
        env: { FLAGS_CACHE_DIR: dir, GIT_CEILING_DIRECTORIES: join(FIXTURES, 'check') },
      },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('not a git repository');
    expect(result.stdout.split('\r\n')[1]).toBe(
      'audit-log-export,flags/audit-log-export.yaml,entitlement,long-lived,\'@acme/platform,"An Enterprise plan capability, granted per organization.",PLAN-ENTERPRISE,,,,,,2026-10-01,2027-03-30,126,,,later,MSA-2024-0117,1',
    );
  });
});
