import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgreements } from '../scripts/core/agreements/parse.js';
import type { Flag } from '../scripts/core/model/flag.js';
import type { Organization } from '../scripts/core/model/organization.js';
import { type Policy, PolicySchema } from '../scripts/core/model/policy.js';
import { planReconciliation } from '../scripts/core/reconcile/plan.js';

/**
 * The reconciliation's budget at the scale of a real customer base: 20,000 organizations, 50
 * plan-sold flags (10 plans of 5 flags, tiered flags among them), 100,000 export rows (line items:
 * five per organization, some agreements ended, some pending), and subscription files for every
 * organization, a tenth of them out of date. The baseline, measured in the same run, is reading and
 * parsing the export alone (from disk); the plan (reading, parsing and planning) must take at most
 * 3× as long. Medians of interleaved rounds.
 *
 *   npm run bench:reconcile -- [--orgs N] [--rows N] [--runs N]
 */

const TARGET_RATIO = 3;

function args(argv: string[]) {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  return {
    orgs: Number(value('--orgs') ?? 20_000),
    rows: Number(value('--rows') ?? 100_000),
    runs: Math.max(1, Number(value('--runs') ?? 7)),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const TIERS = ['bronze', 'silver', 'gold'];

function world(orgs: number, rows: number) {
  const plans: NonNullable<Policy['plans']> = {};
  const flags: { file: string; flag: Flag }[] = [];
  for (let p = 0; p < 10; p++) {
    const planFlags: Record<string, true | string> = {};
    for (let f = 0; f < 5; f++) {
      const key = `sold-feature-${p}-${f}`;
      const tiered = f === 0;
      planFlags[key] = tiered ? TIERS[p % 3]! : true;
      flags.push({
        file: `flags/${key}.yaml`,
        flag: {
          key,
          description: 'A plan-sold feature.',
          owner: '@acme/platform',
          type: 'entitlement',
          contract: `PLAN-P${p}`,
          reviewed: '2026-10-01',
          ...(tiered ? { variants: { bronze: 1, silver: 2, gold: 3 }, defaultVariant: 'bronze' } : {}),
          environments: { production: { enabled: true, default: tiered ? 'bronze' : false } },
        },
      });
    }
    plans[`PLAN-P${p}`] = { flags: planFlags };
  }
  const policy = PolicySchema.parse({ plans });
  const perOrg = Math.max(1, Math.floor(rows / orgs));
  const lines = ['organization,agreement,status,end_date,contract'];
  const organizations: { file: string; organization: Organization }[] = [];
  for (let o = 0; o < orgs; o++) {
    const org = `org_bench${String(o).padStart(8, '0')}`;
    const agreement = `ORD-2026-${String(o).padStart(6, '0')}`;
    const held: string[] = [];
    for (let i = 0; i < perOrg; i++) {
      const plan = `PLAN-P${(o + i * 3) % 10}`;
      const status = o % 50 === 0 ? 'ended' : o % 97 === 0 ? 'pending' : 'active';
      lines.push(`${org},${agreement},${status},${o % 7 === 0 ? '2027-06-30' : ''},${plan}`);
      if (status === 'active') held.push(plan);
    }
    // A tenth of the files are behind the export: one plan short.
    const written = o % 10 === 0 ? held.slice(1) : held;
    organizations.push({
      file: `flags/_organizations/${org}.yaml`,
      organization: {
        organization: org,
        subscriptions: [...new Set(written)].map((plan) => ({
          plan,
          agreements: [agreement],
          ...(o % 7 === 0 ? { expires: '2027-06-30' } : {}),
        })),
      },
    });
  }
  return { policy, flags, organizations, csv: `${lines.join('\n')}\n` };
}

const options = args(process.argv.slice(2));
const { policy, flags, organizations, csv } = world(options.orgs, options.rows);
const dir = mkdtempSync(join(tmpdir(), 'flags-bench-reconcile-'));
const file = join(dir, 'agreements.csv');
writeFileSync(file, csv);
try {
  const baseline: number[] = [];
  const planned: number[] = [];
  let changes = 0;
  let events = 0;
  for (let round = 0; round < options.runs; round++) {
    let started = performance.now();
    const parsed = parseAgreements('agreements.csv', readFileSync(file, 'utf8'));
    baseline.push(performance.now() - started);
    if (parsed.problems.length > 0) throw new Error(parsed.problems[0]!.message);
    started = performance.now();
    const plan = planReconciliation({
      policy,
      flags,
      organizations,
      agreements: parseAgreements('agreements.csv', readFileSync(file, 'utf8')).agreements,
      today: '2026-11-24',
    });
    planned.push(performance.now() - started);
    changes = plan.changes.length;
    events = plan.organizations.length;
  }
  const base = median(baseline);
  const plan = median(planned);
  const ratio = plan / base;
  console.log(
    `reconcile: ${options.orgs} organizations, ${flags.length} plan-sold flags, ${csv.split('\n').length - 2} export rows`,
  );
  console.log(`  baseline (read + parse the export): ${base.toFixed(1)} ms`);
  console.log(
    `  plan (read + parse + plan):         ${plan.toFixed(1)} ms  = ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×)`,
  );
  console.log(`  planned: ${events} organization events, ${changes} flag changes`);
  if (ratio > TARGET_RATIO) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
