import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepository, rng } from '../../bench/generate-repo.js';
import { loadRepository, type Repository } from '../../scripts/adapters/repository.js';
import { fileFindings } from '../../scripts/core/check/check-repository.js';
import type { FileResult } from '../../scripts/core/check/file-result.js';
import { claimOverruns, claimKeyBytes, reduceForClaims } from '../../scripts/core/claims/budget.js';
import { claimBytes, evaluatorFor } from '../../scripts/core/claims/claim.js';
import { parseCodeowners } from '../../scripts/core/codeowners/parse.js';
import type { Finding } from '../../scripts/core/findings/finding.js';
import type { Flag } from '../../scripts/core/model/flag.js';
import { defaultPolicy, type Policy } from '../../scripts/core/model/policy.js';
import type { FlagRule } from '../../scripts/core/rules/context.js';
import { lifecycleRules } from '../../scripts/core/rules/lifecycle.js';
import { ownershipRule } from '../../scripts/core/rules/ownership.js';
import { EXAMPLE_ROOT, FIXTURES } from '../helpers/gitdir.js';
import { refClaimOverruns, refLifecycleRules, refOwnershipRule } from './reference.js';

/**
 * The rules that run after the cache on every check were rewritten for speed: lifecycle is one pass
 * that compares dates as strings and reads only the dates outside the allowed range, CODEOWNERS is
 * indexed, the claim budget bounds the claims before it reads a grant. These tests hold them to the
 * straightforward forms they replaced (./reference.ts) on the example repository, every fixture,
 * generated repositories and hand-made edge cases, at several dates.
 */

const DATES = [
  '2026-11-24',
  '2025-01-01',
  '2026-12-31',
  '2027-02-28',
  '2027-06-01',
  '2028-02-29',
  '2030-01-01',
];

/** The findings of per-file rules, file by file, as checkRepository runs them. */
function perFile(files: readonly FileResult[], policy: Policy, rules: readonly FlagRule[]): Finding[][] {
  return files.map((result) => fileFindings({ ...result, findings: [] }, policy, rules));
}

/** A result or the error it throws, so that the two forms must also fail alike. */
function outcome<T>(run: () => T): T | { threw: string } {
  try {
    return run();
  } catch (error) {
    return { threw: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

const withFlags = (files: readonly FileResult[]) =>
  files.filter((r): r is FileResult & { flag: Flag } => r.flag !== undefined);

function expectSameRules(
  repo: Pick<Repository, 'files' | 'policy' | 'codeowners'>,
  dates: readonly string[],
) {
  for (const today of dates) {
    expect(perFile(repo.files, repo.policy, lifecycleRules(today)), `lifecycle at ${today}`).toEqual(
      perFile(repo.files, repo.policy, refLifecycleRules(today)),
    );
  }
  if (repo.codeowners) {
    expect(perFile(repo.files, repo.policy, [ownershipRule(repo.codeowners)]), 'ownership').toEqual(
      perFile(repo.files, repo.policy, [refOwnershipRule(repo.codeowners)]),
    );
  }
}

function expectSameClaims(
  flags: readonly { file: string; flag: Flag }[],
  policy: Policy,
  today: string,
  budgets: readonly number[],
) {
  for (const maxClaimBytes of budgets) {
    const budgeted: Policy = { ...policy, limits: { ...policy.limits, maxClaimBytes } };
    expect(claimOverruns(flags, budgeted, today), `budget ${maxClaimBytes} at ${today}`).toEqual(
      refClaimOverruns(flags, budgeted, today),
    );
  }
}

/** Every folder under test/fixtures that holds a repository (a flags/ folder). */
function fixtureRepositories(dir = FIXTURES): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    if (name === 'flags') out.push(dir);
    else out.push(...fixtureRepositories(path));
  }
  return out;
}

describe('the fast rules after the cache, against the rules they replaced', () => {
  it('answer alike on the example repository at many dates, with and without room in the claim budget', async () => {
    const repo = await loadRepository(EXAMPLE_ROOT, { cacheDir: false });
    expect(repo.files.length).toBeGreaterThan(10);
    expectSameRules(repo, DATES);
    for (const today of DATES)
      expectSameClaims(withFlags(repo.files), repo.policy, today, [16, 64, 100, 200, 2048]);
  });

  it('answer alike on every fixture repository', async () => {
    const roots = fixtureRepositories();
    expect(roots.length).toBeGreaterThan(20);
    for (const root of roots) {
      const repo = await loadRepository(root, { cacheDir: false });
      expectSameRules(repo, ['2026-11-24', '2027-06-01', '2030-01-01']);
      expectSameClaims(withFlags(repo.files), repo.policy, '2026-11-24', [
        16,
        64,
        repo.policy.limits.maxClaimBytes,
      ]);
    }
  });

  describe('on generated repositories', () => {
    let dir = '';
    const repos: Repository[] = [];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'flags-fast-rules-'));
      generateRepository(join(dir, 'clean'), { flags: 600 });
      generateRepository(join(dir, 'due'), { flags: 600, dueShare: 0.1, seed: 7 });
      for (const name of ['clean', 'due'])
        repos.push(await loadRepository(join(dir, name), { cacheDir: false }));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('report the same lifecycle and ownership findings', () => {
      for (const repo of repos) expectSameRules(repo, DATES);
    });

    it('find the same organizations over budget, from every bound to none', { timeout: 180_000 }, () => {
      for (const repo of repos) {
        const flags = withFlags(repo.files);
        // All keys: about 600 × 21 bytes. Budgets from there down to below the flags on for everyone.
        const all = 1 + flags.reduce((sum, { flag }) => sum + claimKeyBytes(flag.key), 0);
        for (const today of ['2026-11-24', '2027-06-01'])
          expectSameClaims(flags, repo.policy, today, [
            all + 10,
            all,
            all - 1,
            6000,
            3000,
            1500,
            700,
            300,
            16,
          ]);
      }
    });
  });

  it('answer alike on hand-made edge cases: unreal dates, bounds of ranges, an unreadable today', () => {
    const dates = [
      '2026-11-24',
      '2026-11-23',
      '2026-11-25',
      '2027-02-22',
      '2027-02-23',
      '2026-05-28',
      '2026-05-27',
      '2026-02-30',
      '2026-13-01',
      '2026-11-2',
      '0099-12-31',
      '0100-01-01',
      '9999-12-31',
      '2028-02-29',
      '2027-02-29',
      '2026-11-24 ',
      '',
    ];
    const files: FileResult[] = [];
    let n = 0;
    for (const type of ['release', 'experiment', 'entitlement', 'operational'] as const) {
      for (const date of [...dates, undefined]) {
        const flag: Flag = {
          key: `edge-${n}`,
          description: 'x',
          owner: '@acme/platform',
          type,
          environments: {
            production: {
              enabled: true,
              grants: dates.map((expires, i) => ({ org: `org_edge${String(i).padStart(5, '0')}`, expires })),
            },
          },
        };
        if (date !== undefined) {
          flag.expires = date;
          flag.reviewed = date;
        }
        files.push({ file: `flags/edge-${n++}.yaml`, hash: '', findings: [], positions: {} });
        files[files.length - 1]!.flag = flag;
      }
    }
    const policies: Policy[] = [defaultPolicy()];
    const odd = defaultPolicy();
    // Cadences and lifetimes the schema refuses, for callers that build a policy by hand.
    odd.types = {
      entitlement: { reviewEveryDays: 1.5, requiresAgreement: true },
      operational: { requiresAgreement: false },
      release: { maxLifetimeDays: 0.5, requiresAgreement: false },
      experiment: { requiresAgreement: false },
    };
    policies.push(odd);
    for (const policy of policies) {
      for (const today of ['2026-11-24', '2028-02-29', '0100-01-01', '9999-01-01', '2026-02-30', 'today']) {
        expect(
          outcome(() => perFile(files, policy, lifecycleRules(today))),
          `lifecycle at ${today}`,
        ).toEqual(outcome(() => perFile(files, policy, refLifecycleRules(today))));
      }
    }
    // The one difference: a review whose next due date would fall after 9999-12-31. The old rule
    // built that date as "+010000-…" and failed on reading it back; the new one compares days.
    expect(outcome(() => perFile(files, defaultPolicy(), refLifecycleRules('9999-12-31')))).toEqual({
      threw: expect.stringMatching(/^RangeError: not a date: \+010000-/),
    });
    expect(perFile(files, defaultPolicy(), lifecycleRules('9999-12-31')).flat().length).toBeGreaterThan(0);
  });
});

describe('the claim budget, against every organization sized flag by flag', () => {
  /** Flags of every shape claims see; `unreal` adds grant expiries that are not dates. */
  function randomFlags(
    seed: number,
    count: number,
    orgs: readonly string[],
    unreal = true,
  ): { file: string; flag: Flag }[] {
    const random = rng(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const out: { file: string; flag: Flag }[] = [];
    for (let i = 0; i < count; i++) {
      // Some keys twice (the last file wins), some not ASCII or with characters JSON escapes.
      const key =
        random() < 0.05 && i > 0 ? `flag-${i - 1}` : `flag-${i}${pick(['', '-x', '-ü', '-"q"', '-\\'])}`;
      const kind = random();
      const variants =
        kind < 0.2
          ? { yes: true, no: false }
          : kind < 0.25
            ? { off: false, on: true, maybe: false }
            : kind < 0.35
              ? { red: 'red', blue: 'blue' }
              : undefined;
      const names = variants ? Object.keys(variants) : [];
      const value = () => (variants ? pick(names) : pick([true, false, false, 'on', 'off']));
      const environments: Flag['environments'] = {};
      for (const env of ['development', 'staging', 'production']) {
        if (random() < 0.1) continue;
        const config: Flag['environments'][string] = { enabled: random() < 0.85 };
        if (random() < 0.85) (config as { default?: unknown }).default = value();
        if (random() < 0.4)
          config.rollout = {
            percentage: pick([0, 1, 10, 50, 99, 100]),
            ...(variants && random() < 0.8 ? { variant: pick(names) } : {}),
          };
        // Now and then a long list (over 16 grants), and an organization granted twice.
        const share = random() < 0.05 ? 0.9 : 0.3;
        const granted = orgs.filter(() => random() < share);
        if (granted.length > 0 && random() < 0.3) granted.push(granted[0]!);
        if (granted.length > 0)
          config.grants = granted.map((org) => ({
            org,
            ...(variants && random() < 0.8 ? { variant: pick(names) } : {}),
            ...(random() < 0.2
              ? {
                  expires: pick([
                    '2026-11-23',
                    '2026-11-24',
                    '2026-12-31',
                    ...(unreal ? ['2026-02-30'] : []),
                  ]),
                }
              : {}),
          }));
        environments[env] = config;
      }
      const flag: Flag = { key, description: 'x', owner: '@acme/platform', type: 'release', environments };
      if (variants)
        Object.assign(flag, { variants, ...(random() < 0.8 ? { defaultVariant: pick(names) } : {}) });
      out.push({ file: `flags/${String(i).padStart(3, '0')}.yaml`, flag });
    }
    return out;
  }

  it('finds the same overruns with the same sizes and first grants as sizing every claim', () => {
    const orgs = Array.from({ length: 24 }, (_, i) => `org_${String(i).padStart(8, 'a')}`);
    const policy: Policy = { ...defaultPolicy(), environments: ['development', 'staging', 'production'] };
    for (let seed = 1; seed <= 60; seed++) {
      const flags = randomFlags(seed, 40, orgs);
      const all = 1 + flags.reduce((sum, { flag }) => sum + claimKeyBytes(flag.key), 0);
      expectSameClaims(flags, policy, '2026-11-24', [
        all + 1,
        all,
        Math.floor(all * 0.6),
        Math.floor(all * 0.35),
        120,
        40,
        16,
      ]);
    }
  });

  // Without unreal dates: the bundle compiler reads those otherwise, and such a flag never passes
  // the check (model/invalid-date) to be compiled.
  it('reduces a flag as the Evaluator answers for it', () => {
    const orgs = ['org_alpha001', 'org_beta0002', 'org_gamma003', 'org_unlisted9'];
    const policy: Policy = { ...defaultPolicy(), environments: ['development', 'staging', 'production'] };
    for (let seed = 1; seed <= 30; seed++) {
      const flags = randomFlags(seed, 25, orgs, false);
      const byKey = new Map(flags.map(({ flag }) => [flag.key, flag]));
      for (const environment of policy.environments) {
        const evaluator = evaluatorFor(flags, policy, environment, '2026-11-24');
        for (const org of orgs) {
          const expected = evaluator.claimsFor(org);
          const actual = [...byKey.values()]
            .map((flag) => reduceForClaims(flag, environment, '2026-11-24'))
            .filter((r) => r !== undefined)
            .filter((r) => {
              const granted = r.grants.get(org);
              if (granted !== undefined) return granted;
              return r.everyone ?? evaluator.isEnabled(r.key, org);
            })
            .map((r) => r.key)
            .sort();
          expect(actual, `seed ${seed} ${environment} ${org}`).toEqual(expected);
        }
      }
    }
  });

  it('counts the bytes of a key as the claim JSON does', () => {
    for (const key of ['a', 'sso-saml', 'ü', '"q"', 'back\\slash', 'tab\t', '\u2028', '😀', ''])
      expect(claimKeyBytes(key), key).toBe(claimBytes([key]) - 1);
  });
});

describe('CODEOWNERS lookups, against scanning from the last rule', () => {
  it('agree on random rules and paths, including globs, folders and line breaks', () => {
    const random = rng(11);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const segments = ['flags', 'docs', 'a', 'b', 'x.yaml', 'y.yml', 'logs', '.github'];
    const globs = ['*', '**', '*.yaml', 'x.*', '?', 'v?', '*s'];
    const pattern = () => {
      const parts = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        random() < 0.25 ? pick(globs) : pick(segments),
      );
      return `${random() < 0.5 ? '/' : ''}${parts.join('/')}${random() < 0.3 ? '/' : ''}`;
    };
    const path = () => {
      const parts = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        pick([...segments, 'v2', 'z']),
      );
      const joined = parts.join('/');
      return random() < 0.03 ? joined.replace('/', '/\n') : joined;
    };
    for (let round = 0; round < 300; round++) {
      const lines = Array.from(
        { length: 1 + Math.floor(random() * 12) },
        () =>
          `${random() < 0.05 ? pick(['*', '/', '**', '/**/', '*/', '/*']) : pattern()} ${random() < 0.1 ? '' : '@o'}`,
      );
      const codeowners = parseCodeowners('CODEOWNERS', lines.join('\n'));
      const fast = ownershipRule(codeowners);
      const slow = refOwnershipRule(codeowners);
      const files: FileResult[] = Array.from({ length: 30 }, () => ({
        file: path(),
        hash: '',
        findings: [],
        positions: {},
        flag: { key: 'k', description: 'x', owner: '@o', type: 'release', environments: {} } as Flag,
      }));
      expect(perFile(files, defaultPolicy(), [fast]), lines.join(' | ')).toEqual(
        perFile(files, defaultPolicy(), [slow]),
      );
    }
  });
});
