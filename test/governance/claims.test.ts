import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../../bench/generate-repo.js';
import { claimOverruns } from '../../scripts/core/claims/budget.js';
import { claimBytes, evaluatorFor } from '../../scripts/core/claims/claim.js';
import type { Flag } from '../../scripts/core/model/flag.js';
import { defaultPolicy, type Policy } from '../../scripts/core/model/policy.js';
import { claimBudgetFindings } from '../../scripts/core/rules/claim-budget.js';
import { FIXTURES, tempDir } from '../helpers/gitdir.js';
import { type CliResult, runCli } from '../helpers/run-cli.js';

/** The CLI on the example, with a result cache of this file's own (other runs share the repository's). */
const CACHE = mkdtempSync(join(tmpdir(), 'flags-claims-cache-'));
afterAll(() => rmSync(CACHE, { recursive: true, force: true }));
const cli = (args: string[]): Promise<CliResult> => runCli(args, { env: { FLAGS_CACHE_DIR: CACHE } });

const TODAY = '2026-11-24';
const BUDGET_FIXTURE = join(FIXTURES, 'check', 'policy-claim-budget');

function randomFlags(seed: number, count: number, orgs: readonly string[]): { file: string; flag: Flag }[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const out: { file: string; flag: Flag }[] = [];
  for (let i = 0; i < count; i++) {
    const key = `flag-${i}-${pick(['a', 'bb', 'ccc', 'long-name'])}`;
    const kind = random();
    // Boolean flags, boolean variants (which count in claims) and string variants (which do not).
    const variants =
      kind < 0.2 ? { yes: true, no: false } : kind < 0.3 ? { red: 'red', blue: 'blue' } : undefined;
    const names = variants ? Object.keys(variants) : [];
    const value = () => (variants ? pick(names) : random() < 0.5);
    const environments: Flag['environments'] = {};
    for (const env of ['development', 'production']) {
      if (random() < 0.1) continue;
      const config: Flag['environments'][string] = { enabled: random() < 0.9 };
      if (random() < 0.85) config.default = value();
      if (random() < 0.4)
        config.rollout = {
          percentage: pick([0, 10, 50, 100]),
          ...(variants && random() < 0.8 ? { variant: pick(names) } : {}),
        };
      const granted = orgs.filter(() => random() < 0.3);
      // Now and then an organization twice: the later grant wins, as in the bundle.
      if (granted.length > 0 && random() < 0.2) granted.push(granted[0]!);
      if (granted.length > 0)
        config.grants = granted.map((org) => ({
          org,
          ...(variants && random() < 0.8 ? { variant: pick(names) } : {}),
          ...(random() < 0.2 ? { expires: pick(['2026-11-23', '2026-11-24', '2026-12-31']) } : {}),
        }));
      environments[env] = config;
    }
    const flag: Flag = { key, description: 'x', owner: '@acme/platform', type: 'release', environments };
    if (variants)
      Object.assign(flag, { variants, ...(random() < 0.8 ? { defaultVariant: pick(names) } : {}) });
    out.push({ file: `flags/${key}.yaml`, flag });
  }
  return out;
}

describe('the claim byte budget', () => {
  it('finds exactly the organizations whose Evaluator claim is over budget', () => {
    const orgs = ['org_alpha001', 'org_beta0002', 'org_gamma003', 'org_delta004', 'org_eps00005'];
    for (let seed = 1; seed <= 120; seed++) {
      const flags = randomFlags(seed, 30, orgs);
      const base: Policy = { ...defaultPolicy(), environments: ['development', 'production'] };
      const bytes = new Map<string, number>();
      for (const env of base.environments) {
        const evaluator = evaluatorFor(flags, base, env, TODAY);
        for (const org of orgs) bytes.set(`${env} ${org}`, claimBytes(evaluator.claimsFor(org)));
      }
      const sizes = [...bytes.values()].sort((a, b) => a - b);
      const budget = Math.max(16, sizes[Math.floor(sizes.length / 2)]!);
      const policy: Policy = { ...base, limits: { ...base.limits, maxClaimBytes: budget } };
      const found = claimOverruns(flags, policy, TODAY);
      const everyone = new Set(found.filter((o) => o.organization === undefined).map((o) => o.environment));
      const expected = [...bytes]
        .filter(([id, n]) => n > budget && !everyone.has(id.split(' ')[0]!))
        .map(([id, n]) => `${id} ${n}`)
        .sort();
      const actual = found
        .filter((o) => o.organization !== undefined)
        .map((o) => `${o.environment} ${o.organization} ${o.bytes}`)
        .sort();
      expect(actual, `seed ${seed}`).toEqual(expected);
      for (const env of everyone) {
        const newcomer = evaluatorFor(flags, policy, env, TODAY).claimsFor('org_newcomer1');
        expect(claimBytes(newcomer), `seed ${seed}`).toBeGreaterThan(budget);
      }
    }
  });

  it('measures the claim as bytes of its JSON array', () => {
    expect(claimBytes([])).toBe(2);
    expect(claimBytes(['sso-saml'])).toBe(12);
    expect(claimBytes(['a', 'b'])).toBe(9);
  });

  it('reports one finding at the policy when the flags on for everyone are already over budget', () => {
    const flags = randomFlags(7, 20, ['org_alpha001']).map(({ file, flag }) => ({
      file,
      hash: '',
      findings: [],
      positions: { key: [2, 6] as [number, number] },
      flag: {
        ...flag,
        variants: undefined,
        defaultVariant: undefined,
        environments: { production: { enabled: true, default: true } },
      },
    }));
    const policy: Policy = { ...defaultPolicy(), limits: { ...defaultPolicy().limits, maxClaimBytes: 64 } };
    const policyAt = { 'limits.maxClaimBytes': { line: 9, col: 18 } };
    const findings = claimBudgetFindings({ policy, policyAt, files: flags, today: TODAY });
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'policy/claim-budget',
        file: 'flags/_policy.yaml',
        line: 9,
        col: 18,
        path: 'limits.maxClaimBytes',
        message: expect.stringMatching(
          /^in production every organization's feature_flags claim is at least \d+ bytes \(20 flags on for everyone\), over the budget of 64$/,
        ),
      }),
    ]);
  });

  it('is checked by flags check, at the first grant of the organization', async () => {
    const result = await cli(['check', '--repo', BUDGET_FIXTURE, '--today', TODAY, '--json', '--no-cache']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([
      {
        code: 'policy/claim-budget',
        severity: 'error',
        file: 'flags/audit-log-export.yaml',
        line: 13,
        col: 14,
        path: 'environments.production.grants.0.org',
        message:
          'the feature_flags claim of org_globex7731 in production is 67 bytes (4 flags), over the budget of 64',
        hint: 'see it with flags claims --org org_globex7731 --env production; retire flags it no longer needs, or raise limits.maxClaimBytes',
      },
    ]);
  });
});

describe('a budget the flags on for everyone already exceed', () => {
  /** The budget fixture with its four flags on for everyone in production, and a smaller budget. */
  function onForEveryone(policyTail: string): string {
    const root = tempDir();
    cpSync(BUDGET_FIXTURE, root, { recursive: true });
    for (const name of ['audit-log-export', 'custom-domains', 'priority-support', 'sso-saml']) {
      const path = join(root, 'flags', `${name}.yaml`);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/default: false/, 'default: true'));
    }
    const policy = join(root, 'flags', '_policy.yaml');
    writeFileSync(
      policy,
      readFileSync(policy, 'utf8').replace(/limits:\n {2}maxClaimBytes: 64\n/, policyTail),
    );
    return root;
  }

  it('is found at the limit in the policy that it exceeds', async () => {
    const root = onForEveryone('limits:\n  maxFileBytes: 65536\n  maxClaimBytes: 32\n');
    const result = await cli(['check', '--repo', root, '--today', TODAY, '--json', '--no-cache']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([
      expect.objectContaining({
        code: 'policy/claim-budget',
        file: 'flags/_policy.yaml',
        line: 6,
        col: 18,
        path: 'limits.maxClaimBytes',
      }),
    ]);
  });

  it('is found where the limit would go when the policy keeps the default', async () => {
    const root = onForEveryone('limits:\n  maxFileBytes: 65536\n');
    const policy = join(root, 'flags', '_policy.yaml');
    // A hundred and ten more flags on for everyone: over the default budget of 4096 bytes.
    const template = readFileSync(join(root, 'flags', 'sso-saml.yaml'), 'utf8');
    for (let i = 0; i < 110; i++) {
      const key = `everyone-${String(i).padStart(3, '0')}-with-a-rather-long-flag-key`;
      writeFileSync(join(root, 'flags', `${key}.yaml`), template.replace(/^key: .*$/m, `key: ${key}`));
    }
    const result = await cli(['check', '--repo', root, '--today', TODAY, '--json', '--no-cache']);
    const budget = JSON.parse(result.stdout).findings.filter(
      (f: { code: string }) => f.code === 'policy/claim-budget',
    );
    expect(budget).toEqual([
      expect.objectContaining({ file: 'flags/_policy.yaml', line: 4, col: 1, path: 'limits.maxClaimBytes' }),
    ]);
    expect(readFileSync(policy, 'utf8').split('\n')[3]).toBe('limits:');
  });
});

describe('flags claims', () => {
  it('prints the feature_flags claim of an organization per environment, with its size', async () => {
    const result = await cli(['claims', '--org', 'org_globex7731', '--env', 'production', '--today', TODAY]);
    expect(result.stdout).toBe(
      [
        'feature_flags claim of org_globex7731 on 2026-11-24 (budget 2048 bytes)',
        '',
        'production  5 flags, 91 bytes (4% of the budget)',
        '            ["advanced-analytics","new-checkout-flow","priority-support","sso-saml","webhook-delivery"]',
        '              advanced-analytics: granted under MSA-2024-0117, flags/advanced-analytics.yaml',
        '              new-checkout-flow: on for every organization (default or rollout)',
        '              priority-support: granted under ORD-2025-0419, flags/priority-support.yaml',
        '              sso-saml: granted under MSA-2024-0117, flags/identity/sso-saml.yaml',
        '              webhook-delivery: on for every organization (default or rollout)',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(0);
  });

  it('answers as the compiled bundle evaluator does, and counts a grant through its last day', async () => {
    const result = await cli(['claims', '--org', 'org_hooli40921', '--json', '--today', '2026-12-31']);
    const json = JSON.parse(result.stdout) as {
      claims: { environment: string; feature_flags: string[]; bytes: number }[];
    };
    const production = json.claims.find((c) => c.environment === 'production')!;
    expect(production.feature_flags).toContain('advanced-analytics');
    expect(production.bytes).toBe(claimBytes(production.feature_flags));
    const after = await cli([
      'claims',
      '--org',
      'org_hooli40921',
      '--json',
      '--env',
      'production',
      '--today',
      '2027-01-01',
    ]);
    expect(JSON.parse(after.stdout).claims[0].feature_flags).not.toContain('advanced-analytics');
  });

  it('notes an organization without grants, and exits 1 over budget', async () => {
    const unknown = await cli(['claims', '--org', 'org_newcomer01', '--env', 'production', '--today', TODAY]);
    expect(unknown.stdout).toContain('note: org_newcomer01 has no grant in any flag');
    const over = await cli(['claims', '--repo', BUDGET_FIXTURE, '--org', 'org_globex7731', '--today', TODAY]);
    expect(over.code).toBe(1);
    expect(over.stdout).toContain('production  4 flags, 67 bytes (105% of the budget)  OVER BUDGET');
  });

  it('refuses an environment the policy does not declare', async () => {
    const result = await cli(['claims', '--org', 'org_globex7731', '--env', 'prod']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown environment "prod"');
  });
});

describe('flags who', () => {
  it('lists the organizations granted, with agreement and end, the rollout and the default', async () => {
    const result = await cli(['who', 'advanced-analytics', '--env', 'production', '--today', TODAY]);
    expect(result.stdout).toBe(
      [
        'advanced-analytics (entitlement, owner @acme/analytics, contract SKU-ANALYTICS-PRO) on 2026-11-24',
        '  flags/advanced-analytics.yaml',
        '',
        'production:',
        '  granted (5):',
        '    org_globex7731    on  agreement MSA-2024-0117                           no end date',
        '    org_initech2210   on  agreement ORD-2025-0342                           no end date',
        '    org_umbrella5521  on  agreement MSA-2025-0088                           no end date',
        '    org_hooli40921    on  agreement TRIAL-2026-0097                         until 2026-12-31 (in 37 days)',
        '    org_stark55012    on  agreement ORD-2026-0412 (plan SKU-ANALYTICS-PRO)  no end date',
        '  everyone else: off (default)',
        '',
      ].join('\n'),
    );
  });

  it('explains one organization: grant, rollout bucket, default, expired grant', async () => {
    const rollout = await cli([
      'who',
      'new-checkout-flow',
      '--env',
      'production',
      '--org',
      'org_globex7731',
      '--today',
      TODAY,
    ]);
    expect(rollout.stdout).toContain('  rollout: 25% of the other organizations get on');
    expect(rollout.stdout).toContain('org_globex7731:\n  production: on, because in the 25% rollout');
    const expired = await cli([
      'who',
      'advanced-analytics',
      '--env',
      'production',
      '--org',
      'org_hooli40921',
      '--today',
      '2027-01-01',
      '--json',
    ]);
    const json = JSON.parse(expired.stdout);
    expect(json.organization).toEqual([
      {
        organization: 'org_hooli40921',
        environment: 'production',
        value: false,
        variant: 'off',
        reason: 'DEFAULT',
        because: 'the default for organizations without a grant (its grant expired on 2026-12-31)',
      },
    ]);
    expect(json.environments[0].grants[3]).toMatchObject({
      organization: 'org_hooli40921',
      applies: false,
      daysLeft: -1,
    });
  });

  it('shows variants by name and value, and disabled environments', async () => {
    const result = await cli(['who', 'api-rate-limits', '--today', TODAY]);
    expect(result.stdout).toContain(
      'development: not configured: every organization gets basic = {"requestsPerMinute":600,"burst":100}',
    );
    expect(result.stdout).toContain(
      '    org_umbrella5521  scale = {"requestsPerMinute":6000,"burst":1000}  agreement ORD-2025-0510  no end date',
    );
    const disabled = await cli(['who', 'graphql-gateway', '--env', 'production', '--today', TODAY]);
    expect(disabled.stdout).toContain('production: disabled: every organization gets off');
  });

  it('says which flags are near an unknown key', async () => {
    const result = await cli(['who', 'sso', '--today', TODAY]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no flag "sso"');
    expect(result.stderr).toContain('did you mean sso-saml?');
  });
});
