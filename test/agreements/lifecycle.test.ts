import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRepository, validFlags } from '../../scripts/adapters/repository.js';
import { dayOf } from '../../scripts/core/agreements/instant.js';
import { type Agreement, isInForce, isNotYetInForce } from '../../scripts/core/agreements/model.js';
import { parseAgreements } from '../../scripts/core/agreements/parse.js';
import type { PlanInput } from '../../scripts/core/retire/model.js';
import { findDue } from '../../scripts/core/retire/due.js';
import { planRetirement } from '../../scripts/core/retire/plan.js';
import { planText } from '../../scripts/core/retire/report.js';
import { FIXTURES, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/** Agreements over time: when a timestamped agreement ends, and agreements not in force yet. */

const EXPORTS = join(FIXTURES, 'retire', 'agreements');
const REPO = join(FIXTURES, 'retire', 'repo');
const read = (name: string) =>
  parseAgreements(`${name}/agreements.csv`, readFileSync(join(EXPORTS, name, 'agreements.csv'), 'utf8'));

let base: Omit<PlanInput, 'today'>;

beforeAll(async () => {
  const repo = await loadRepository(REPO, { cacheDir: false, threads: 1 });
  base = { flags: validFlags(repo), policy: repo.policy, historyFor: 'all' };
});

/** The grants the plan revokes because their agreement ended, as key env/org. */
const revoked = (agreements: Agreement[], today: string) =>
  findDue({ ...base, agreements, today }).flatMap((item) =>
    item.reasons.flatMap((r) => (r.kind === 'agreement-ended' ? [`${item.key} ${r.env}/${r.org}`] : [])),
  );

describe('timestamps in the agreements export', () => {
  it('count by the UTC date of their instant, not by their first ten characters', () => {
    const parsed = read('offsets');
    expect(parsed.problems).toEqual([]);
    expect(parsed.agreements.map((a) => [a.org, a.endDate])).toEqual([
      ['org_globex7731', '2026-11-24'],
      ['org_umbrella5521', '2026-11-25'],
      ['org_acmeqa01', '2026-11-24'],
      ['org_hooli40921', '2026-11-25'],
    ]);
  });

  it('revoke a grant the day after the UTC date of the end (inclusive), neither a day early nor late', () => {
    const { agreements } = read('offsets');
    expect(revoked(agreements, '2026-11-24')).toEqual([]);
    expect(revoked(agreements, '2026-11-25').sort()).toEqual([
      'advanced-analytics production/org_globex7731',
      'advanced-analytics staging/org_acmeqa01',
      'sso-saml production/org_globex7731',
    ]);
    expect(revoked(agreements, '2026-11-26').sort()).toEqual([
      'advanced-analytics production/org_globex7731',
      'advanced-analytics production/org_hooli40921',
      'advanced-analytics production/org_umbrella5521',
      'advanced-analytics staging/org_acmeqa01',
      'sso-saml production/org_globex7731',
    ]);
  });

  it.each([
    ['2026-11-25T00:30:00+02:00', '2026-11-24'],
    ['2026-11-24T23:30:00-02:00', '2026-11-25'],
    ['2026-12-31T23:59:59Z', '2026-12-31'],
    ['2026-12-31t23:59:59.999999z', '2026-12-31'],
    ['2027-01-01T04:00+0500', '2026-12-31'],
    ['2027-01-01T04:00:00+05', '2026-12-31'],
    ['2024-02-29', '2024-02-29'],
  ])('reads %s as the day %s', (text, day) => {
    expect(dayOf(text)).toEqual({ ok: true, day });
  });

  it.each([
    ['2026-11-25T00:30:00', 'without a time zone'],
    ['2026-11-25T24:00:00Z', 'time of day that does not exist'],
    ['2026-11-25T12:60Z', 'time of day that does not exist'],
    ['2026-11-25T12:00:00+24:00', 'offset that does not exist'],
    ['2026-02-30T12:00:00Z', 'is not a date or timestamp'],
    ['2026-11-25T12Z', 'is not a date or timestamp'],
    ['2026-11-25X12:00Z', 'is not a date or timestamp'],
    ['20261125', 'is not a date or timestamp'],
    ['2026-13-01', 'is not a date'],
  ])('refuses %s (%s)', (text, problem) => {
    const result = dayOf(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it('refuses a malformed timestamp at file:line:col with a hint', () => {
    const parsed = read('no-time-zone');
    expect(parsed.agreements).toEqual([]);
    expect(parsed.problems).toEqual([
      {
        file: 'no-time-zone/agreements.csv',
        line: 2,
        col: 38,
        message: 'end date "2026-11-25T00:30:00" is a timestamp without a time zone, so its day is unknown',
        hint: 'add Z (UTC) or the offset, e.g. 2026-11-25T00:30:00Z, or write the date alone',
      },
    ]);
  });

  it('refuses an agreement that starts after it ends', () => {
    expect(read('starts-after-end').problems[0]).toMatchObject({
      line: 2,
      col: 39,
      message:
        'agreement MSA-2025-0088 of org_umbrella5521 starts on 2027-01-01, after it ends on 2026-12-31',
    });
  });
});

describe('agreements not in force yet', () => {
  it('are pending, draft, or start after today (the start day counts as in force)', () => {
    expect(isNotYetInForce({ status: 'pending' }, '2027-03-01')).toBe(true);
    expect(isNotYetInForce({ status: 'active', startDate: '2027-03-02' }, '2027-03-01')).toBe(true);
    expect(isNotYetInForce({ status: 'active', startDate: '2027-03-01' }, '2027-03-01')).toBe(false);
    expect(isInForce({ status: 'active', startDate: '2027-03-01' }, '2027-03-01')).toBe(true);
    expect(isInForce({ status: 'active', startDate: '2027-03-02' }, '2027-03-01')).toBe(false);
    expect(isNotYetInForce({ status: 'pending', endDate: '2027-01-01' }, '2027-03-01')).toBe(false);
    expect(isNotYetInForce({ status: 'ended' }, '2027-03-01')).toBe(false);
  });

  it('are reported as drift for every grant under them, and revoke nothing', () => {
    const { agreements, problems } = read('not-in-force');
    expect(problems).toEqual([]);
    const plan = planRetirement({ ...base, agreements, today: '2027-03-01' });
    expect(plan.drift.filter((d) => d.kind === 'not-in-force').map((d) => d.message)).toEqual([
      'advanced-analytics grants org_acmeqa01 in staging under MSA-2024-0001, which is not in force yet: it is draft',
      'advanced-analytics grants org_globex7731 in production under MSA-2024-0117, which is not in force yet: it is pending',
      'advanced-analytics grants org_umbrella5521 in production under MSA-2025-0088, which is not in force yet: it starts on 2027-04-01 (active)',
      'sso-saml grants org_globex7731 in production under MSA-2024-0117, which is not in force yet: it is pending',
    ]);
    // Starting 2027-05-31 (UTC), the enterprise agreement asks for no grant yet.
    expect(plan.drift.some((d) => d.kind === 'missing-grant')).toBe(false);
    // Only the trial, which ended on its own end date, is revoked.
    expect(revoked(agreements, '2027-03-01')).toEqual(['advanced-analytics production/org_hooli40921']);
    expect(planText(plan)).toContain(
      '  not-in-force  advanced-analytics grants org_umbrella5521 in production under MSA-2025-0088, which is not in force yet: it starts on 2027-04-01 (active)',
    );
    const later = planRetirement({ ...base, agreements, today: '2027-06-01' });
    expect(later.drift.filter((d) => d.kind === 'missing-grant').map((d) => d.org)).toEqual([
      'org_wayne880142',
    ]);
  });

  it('are reported by flags retire --dry-run', async () => {
    const dir = tempDir();
    cpSync(REPO, dir, { recursive: true });
    cpSync(join(EXPORTS, 'not-in-force', 'agreements.csv'), join(dir, 'crm.csv'));
    const result = await runCli([
      'retire',
      '--dry-run',
      '-C',
      dir,
      '--today',
      '2027-03-01',
      '--agreements',
      'crm.csv',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'not-in-force  sso-saml grants org_globex7731 in production under MSA-2024-0117, which is not in force yet: it is pending',
    );
  });
});
