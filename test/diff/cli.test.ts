import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitdir, type TempRepo, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/** A repository with the diff fixture committed on main and a branch `feature` checked out. */
async function branched(): Promise<TempRepo & { edit(file: string, from: string, to: string): void }> {
  const repo = await gitdir({ fixture: 'diff/base' });
  await repo.commit('flags as on main');
  await repo.git.checkoutLocalBranch('feature');
  return {
    ...repo,
    edit(file, from, to) {
      const text = readFileSync(join(repo.dir, file), 'utf8');
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
      repo.write(file, text.replace(from, to));
    },
  };
}

const diff = (repo: TempRepo, ...args: string[]) => runCli(['diff', ...args], { cwd: repo.dir });

describe('flags diff on real git repositories', () => {
  it('lists a grant added with its agreement, a grant revoked and a grant expiry extended, access first', async () => {
    const repo = await branched();
    repo.edit('flags/analytics.yaml', '      - org: org_initech\n        agreement: ORD-2025-0342\n', '');
    repo.edit('flags/analytics.yaml', 'expires: 2026-12-31', 'expires: 2027-03-31');
    repo.edit(
      'flags/analytics.yaml',
      '      - org: org_globex\n',
      '      - org: org_wayne\n        agreement: MSA-2026-0412\n      - org: org_globex\n',
    );
    await repo.commit('grant Wayne, revoke Initech, extend the Hooli trial');
    const result = await diff(repo, 'main', 'feature');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'flags diff main → feature: 1 flag changed; 3 customer-access changes',
        '',
        'Customer access (3)',
        '  production',
        '    + analytics: org_wayne granted (agreement MSA-2026-0412)',
        '    - analytics: org_initech revoked (agreement ORD-2025-0342)',
        '    ~ analytics: org_hooli grant expiry extended 2026-12-31 → 2027-03-31 (+90 days) (agreement TRIAL-2026-0097)',
        '',
      ].join('\n'),
    );
  });

  it('writes the same change as a Markdown table for the job summary', async () => {
    const repo = await branched();
    repo.edit('flags/analytics.yaml', '      - org: org_initech\n        agreement: ORD-2025-0342\n', '');
    repo.edit('flags/analytics.yaml', 'expires: 2026-12-31', 'expires: 2027-03-31');
    repo.edit('flags/checkout.yaml', 'percentage: 10', 'percentage: 25');
    repo.edit('flags/checkout.yaml', 'owner: "@acme/payments"', 'owner: "@acme/checkout"');
    await repo.commit('changes');
    const result = await diff(repo, 'main', 'feature', '--format', 'markdown');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        '### 🚩 flags diff: `main` → `feature`',
        '',
        '2 flags changed; 2 customer-access changes.',
        '',
        '#### 🔐 Customer access (2)',
        '',
        '| Environment | Flag | Organization | Change | Agreement |',
        '|---|---|---|---|---|',
        '| `production` | `analytics` | `org_initech` | ➖ revoked | `ORD-2025-0342` |',
        '| `production` | `analytics` | `org_hooli` | ✏️ grant expiry extended 2026-12-31 → 2027-03-31 (+90 days) | `TRIAL-2026-0097` |',
        '',
        '#### Flags',
        '',
        '- ✏️ `checkout`: owner `@acme/payments` → `@acme/checkout`',
        '',
        '#### Values',
        '',
        '**production**',
        '',
        '- ✏️ `checkout`: rollout 10% → 25%',
        '',
      ].join('\n'),
    );
  });

  it('lists a flag added and one removed, and the grants the removal takes away', async () => {
    const repo = await branched();
    repo.remove('flags/analytics.yaml');
    repo.write(
      'flags/bulk-export.yaml',
      readFileSync(join(repo.dir, 'flags/read-only.yaml'), 'utf8')
        .replace('key: read-only', 'key: bulk-export')
        .replace('type: operational', 'type: release')
        .replace('reviewed: 2026-06-30', 'expires: 2027-01-31'),
    );
    await repo.commit('add bulk-export, retire analytics');
    const result = await diff(repo, 'main', 'feature');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'flags diff main → feature: 2 flags changed (1 added, 1 removed); 3 customer-access changes',
        '',
        'Customer access (3)',
        '  production',
        '    - analytics: org_globex revoked (agreement MSA-2024-0117)',
        '    - analytics: org_initech revoked (agreement ORD-2025-0342)',
        '    - analytics: org_hooli revoked (agreement TRIAL-2026-0097, until 2026-12-31)',
        '',
        'Flags',
        '  - analytics: removed (entitlement, owner @acme/analytics, was flags/analytics.yaml)',
        '  + bulk-export: added (release, owner @acme/sre, flags/bulk-export.yaml)',
        '',
        'Values',
        '  staging',
        '    + bulk-export: configured: enabled, default false',
        '  production',
        '    + bulk-export: configured: enabled, default false',
        '',
      ].join('\n'),
    );
  });

  it('shows an owner and a type change, a flag expiry extended by its days, and a rollout raised', async () => {
    const repo = await branched();
    repo.edit('flags/checkout.yaml', 'owner: "@acme/payments"', 'owner: "@acme/checkout"');
    repo.edit('flags/checkout.yaml', 'expires: 2027-01-15', 'expires: 2027-02-14');
    repo.edit('flags/checkout.yaml', 'percentage: 10', 'percentage: 50');
    repo.edit('flags/legacy-search.yaml', 'type: release', 'type: operational');
    await repo.commit('ramp checkout');
    const { stdout, code } = await diff(repo, 'main', 'feature');
    expect(code).toBe(0);
    expect(stdout).toContain('  ~ checkout: owner @acme/payments → @acme/checkout\n');
    expect(stdout).toContain('  ~ checkout: expiry extended 2027-01-15 → 2027-02-14 (+30 days)\n');
    expect(stdout).toContain('  ~ legacy-search: type release → operational\n');
    expect(stdout).toContain('Values\n  production\n    ~ checkout: rollout 10% → 50%\n');
    expect(stdout).not.toContain('Customer access');
  });

  it('matches a file moved to a subfolder by key: a move, not a removal and an addition', async () => {
    const repo = await branched();
    const text = readFileSync(join(repo.dir, 'flags/checkout.yaml'), 'utf8');
    repo.remove('flags/checkout.yaml');
    repo.write('flags/payments/checkout.yaml', text.replace('$schema=../schemas', '$schema=../../schemas'));
    await repo.commit('move checkout to the payments folder');
    const result = await diff(repo, 'main', 'feature');
    expect(result.stdout).toBe(
      [
        'flags diff main → feature: 1 flag changed; no customer-access changes',
        '',
        'Flags',
        '  ~ checkout: moved flags/checkout.yaml → flags/payments/checkout.yaml',
        '',
      ].join('\n'),
    );
  });

  it('reports a file that does not parse at head plainly, without calling its flag removed', async () => {
    const repo = await branched();
    repo.write('flags/analytics.yaml', 'key: analytics\nenvironments: [unclosed\n');
    repo.edit('flags/checkout.yaml', 'percentage: 10', 'percentage: 20');
    await repo.commit('break a file');
    const result = await diff(repo, 'main', 'feature');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('revoked');
    expect(result.stdout).not.toContain('removed');
    expect(result.stdout).toContain('~ checkout: rollout 10% → 20%');
    expect(result.stdout).toMatch(
      /Not compared\n {2}! flags\/analytics\.yaml:\d+:\d+ at feature: .+ \(yaml\/[a-z-]+\)\n$/,
    );
    expect(result.stdout).toContain('1 file not compared');
  });

  it('fails with a readable error and exit 2 for an unknown ref', async () => {
    const repo = await branched();
    const result = await diff(repo, 'origin/nope', 'feature');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: unknown git ref "origin/nope"\n  fix: fetch it first; in GitHub Actions use actions/checkout with fetch-depth: 0\n',
    );
    expect((await diff(repo, 'main', 'no-such-branch')).code).toBe(2);
  });

  it('fails with exit 2 outside a git repository', async () => {
    const result = await runCli(['diff', 'main'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: .* is not a git repository/);
  });

  it('reads only the files that changed: a broken file nobody touched is not reported', async () => {
    const repo = await branched();
    await repo.git.checkout('main');
    repo.write('flags/untouched.yaml', 'key: [broken\n');
    await repo.commit('a broken file on main');
    await repo.git.checkout(['-b', 'feature-2']);
    repo.edit('flags/checkout.yaml', 'percentage: 10', 'percentage: 11');
    await repo.commit('one change');
    const result = await diff(repo, 'main', 'feature-2');
    expect(result.stdout).toBe(
      'flags diff main → feature-2: 1 flag changed; no customer-access changes\n\nValues\n  production\n    ~ checkout: rollout 10% → 11%\n',
    );
  });

  it('says so when nothing changed, and exits 0', async () => {
    const repo = await branched();
    repo.write('README.md', 'not a flag\n');
    await repo.commit('docs only');
    const result = await diff(repo, 'main', 'feature');
    expect(result).toEqual({ code: 0, stderr: '', stdout: 'flags diff main → feature: no flag changes\n' });
    const markdown = await diff(repo, 'main', 'feature', '--format', 'markdown');
    expect(markdown.stdout).toBe('### 🚩 flags diff: `main` → `feature`\n\nno flag changes.\n');
  });

  it('compares with the working tree by default, uncommitted and untracked files included', async () => {
    const repo = await branched();
    repo.edit('flags/read-only.yaml', 'production:\n    enabled: true', 'production:\n    enabled: false');
    repo.write(
      'flags/new-flag.yaml',
      readFileSync(join(repo.dir, 'flags/read-only.yaml'), 'utf8').replace('key: read-only', 'key: new-flag'),
    );
    const { stdout, code } = await diff(repo, 'main');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^flags diff main → the working tree: 2 flags changed \(1 added\)/);
    expect(stdout).toContain('    ~ read-only: disabled (was enabled): serves off\n');
    expect(stdout).toContain('  + new-flag: added (operational, owner @acme/sre, flags/new-flag.yaml)\n');
  });

  it('compares from the merge base, so what main gained since the branch is not shown as removed', async () => {
    const repo = await branched();
    repo.edit('flags/checkout.yaml', 'percentage: 10', 'percentage: 15');
    await repo.commit('feature work');
    await repo.git.checkout('main');
    repo.write(
      'flags/on-main.yaml',
      readFileSync(join(repo.dir, 'flags/read-only.yaml'), 'utf8').replace('key: read-only', 'key: on-main'),
    );
    await repo.commit('main moved on');
    const result = await diff(repo, 'main', 'feature');
    expect(result.stdout).toMatch(
      /^flags diff main → feature: 1 flag changed; no customer-access changes\n\(compared from the merge base [0-9a-f]{12}\)\n/,
    );
    expect(result.stdout).not.toContain('on-main');
    const direct = await diff(repo, 'main', 'feature', '--no-merge-base');
    expect(direct.stdout).toContain('  - on-main: removed');
  });

  it('prints JSON with --json and appends Markdown to $GITHUB_STEP_SUMMARY', async () => {
    const repo = await branched();
    repo.edit(
      'flags/analytics.yaml',
      '      - org: org_globex\n',
      '      - org: org_wayne\n        agreement: MSA-2026-0412\n      - org: org_globex\n',
    );
    await repo.commit('grant Wayne');
    const summary = join(tempDir(), 'summary.md');
    writeFileSync(summary, 'before\n');
    const result = await runCli(['diff', 'main', 'feature', '--json'], {
      cwd: repo.dir,
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      version: 1,
      base: { label: 'main' },
      head: { label: 'feature' },
      summary: { flagsAdded: 0, flagsRemoved: 0, flagsChanged: 1, accessChanges: 1, problems: 0 },
      environments: ['staging', 'production'],
      changes: [
        {
          kind: 'grant-added',
          key: 'analytics',
          env: 'production',
          org: 'org_wayne',
          access: true,
          grant: { org: 'org_wayne', agreement: 'MSA-2026-0412' },
        },
      ],
      problems: [],
    });
    expect(report.base.commit).toMatch(/^[0-9a-f]{40}$/);
    const written = readFileSync(summary, 'utf8');
    expect(written.startsWith('before\n### 🚩 flags diff: `main` → `feature`\n')).toBe(true);
    expect(written).toContain('| `production` | `analytics` | `org_wayne` | ➕ granted | `MSA-2026-0412` |');
  });

  it('reports a policy change and the environments it adds', async () => {
    const repo = await branched();
    repo.edit(
      'flags/_policy.yaml',
      'environments: [staging, production]',
      'environments: [qa, staging, production]',
    );
    repo.edit(
      'flags/read-only.yaml',
      'environments:\n',
      'environments:\n  qa:\n    enabled: true\n    default: true\n',
    );
    await repo.commit('a qa environment');
    const { stdout } = await diff(repo, 'main', 'feature');
    expect(stdout).toContain('Values\n  qa\n    + read-only: configured: enabled, default true\n');
    expect(stdout).toContain(
      'Policy (flags/_policy.yaml)\n  changed: environments; environments added: qa\n',
    );
  });

  it('works on a flags repository in a subfolder of a larger git repository', async () => {
    const repo = await gitdir();
    repo.write('README.md', 'monorepo\n');
    const base = readFileSync(join(import.meta.dirname, '../fixtures/diff/base/flags/checkout.yaml'), 'utf8');
    repo.write('platform/flags/checkout.yaml', base);
    await repo.commit('base');
    repo.write('platform/flags/checkout.yaml', base.replace('percentage: 10', 'percentage: 30'));
    const result = await runCli(['diff', 'HEAD', '--repo', 'platform'], { cwd: repo.dir });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('~ checkout: rollout 10% → 30%');
  });
});
