import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, tempDir } from '../helpers/gitdir.js';
import { OWNER, REPO, retireWorld } from '../helpers/github-emulator/world.js';
import { runCli } from '../helpers/run-cli.js';

const REPO_DIR = join(FIXTURES, 'retire', 'repo');

function copyOfFixture(): string {
  const dir = tempDir();
  cpSync(REPO_DIR, dir, { recursive: true });
  return dir;
}

describe('flags retire on the command line', () => {
  it('prints the plan as text and changes nothing outside CI', async () => {
    const result = await runCli([
      'retire',
      '-C',
      copyOfFixture(),
      '--today',
      '2027-03-01',
      '--agreements',
      'agreements.csv',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Retirement plan for 2027-03-01: 9 flags, 7 due; 0 bot pull requests open now, 5 after this run',
    );
    expect(result.stdout).toContain(
      // The grant whose agreement ended is flags reconcile's; retire removes the expired one.
      '  flags/retire/advanced-analytics  chore(flags): remove 1 expired grant from advanced-analytics',
    );
    expect(result.stdout).toContain('note: dry run: nothing was pushed or changed on GitHub');
    expect(result.stdout).toContain(
      'missing-grant  org_wayne880142 holds MSA-2026-0012 for PLAN-ENTERPRISE (active) but sso-saml does not grant it in production',
    );
  });

  it('prints the plan as JSON, with the exact pull requests it would open', async () => {
    const result = await runCli(['retire', '--dry-run', '--json', '-C', copyOfFixture()], {
      env: { FLAGS_TODAY: '2027-03-01', CI: 'true' },
    });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      open: { key: string; branch: string; body: string }[];
      deferred: { key: string }[];
    };
    expect(plan.open.map((p) => p.key)).toEqual([
      'onboarding-checklist',
      'graphql-gateway',
      'new-checkout-flow',
      'advanced-analytics',
      'invoice-pdf-v2',
    ]);
    expect(plan.open[2]!.body).toContain('- `src/checkout.ts:4` `new-checkout-flow`');
    expect(plan.deferred.map((d) => d.key)).toEqual(['webhook-delivery', 'api-rate-limits']);
  });

  it('refuses to run live in CI without a token, with a hint and no stack trace', async () => {
    const result = await runCli(['retire', '-C', copyOfFixture(), '--today', '2027-03-01'], {
      env: { CI: 'true', GITHUB_REPOSITORY: 'acme/flags' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: no GitHub token\n  fix: set GITHUB_TOKEN or pass --token; see docs/retire.md for a GitHub App or personal token\n',
    );
  });

  it('refuses an agreements export it cannot fully read, at file:line:col', async () => {
    const dir = copyOfFixture();
    const result = await runCli([
      'retire',
      '-C',
      dir,
      '--today',
      '2027-03-01',
      '--agreements',
      join(FIXTURES, 'retire', 'agreements', 'bad-status', 'agreements.csv'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /agreements\.csv:3:32: error: unknown status "on hold"\n {2}fix: use one of active, /,
    );
  });

  it('opens a pull request through the real binary, with the token, API URL and repository from the environment', async () => {
    const world = await retireWorld();
    const dir = world.clone();
    const result = await runCli(['retire', '-C', dir, '--max-per-run', '1', '--today', '2027-03-01'], {
      env: {
        CI: 'true',
        GITHUB_TOKEN: world.emulator.token,
        GITHUB_API_URL: `${world.emulator.url}/api/v3`,
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^opened #1 for onboarding-checklist https:\/\/github\.test\/acme\/flags\/pull\/1 \(review requested\)$/m,
    );
    expect(world.emulator.openPulls().map((p) => p.head)).toEqual(['flags/retire/onboarding-checklist']);
    expect(world.emulator.violations).toEqual([]);
  });
});
