import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitdir, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

const TODAY = '2026-12-01';
const init = (dir: string, ...args: string[]) => runCli(['init', '--today', TODAY, ...args], { cwd: dir });
const ADOPTER = [
  '--environments',
  'dev,prod',
  '--owner',
  '@globex/platform',
  '--org-pattern',
  '^cust-[0-9]{4,}$',
];

/** Every file under a folder (but .git), with its text. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name === '.git') continue;
      if (entry.isDirectory()) walk(path);
      else out[path] = readFileSync(join(dir, path), 'utf8');
    }
  };
  walk('');
  return out;
}

describe('flags init in an empty folder', () => {
  it('makes a repository that passes flags check, schemas --check and codeowners --check', async () => {
    const repo = await gitdir();
    const made = await init(repo.dir, ...ADOPTER);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(Object.keys(snapshot(repo.dir)).sort()).toEqual([
      '.github/workflows/flags-pr.yml',
      '.github/workflows/flags-publish.yml',
      '.github/workflows/flags-reconcile.yml',
      '.github/workflows/flags-retire.yml',
      '.gitignore',
      'CODEOWNERS',
      'flags/_policy.yaml',
      'schemas/flag.schema.json',
      'schemas/organization.schema.json',
      'schemas/policy.schema.json',
    ]);
    for (const args of [
      ['check', '--today', TODAY],
      ['schemas', '--check'],
      ['codeowners', '--check'],
    ]) {
      const result = await runCli(args, { cwd: repo.dir });
      expect(result.code, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    const environments = await runCli(['environments', '--json'], { cwd: repo.dir });
    expect(JSON.parse(environments.stdout)).toEqual(['dev', 'prod']);
  });

  it('writes the policy of the options: environments, project from the folder name, id patterns', async () => {
    const parent = tempDir();
    const dir = join(parent, 'Globex Flags');
    const made = await init(
      parent,
      '--repo',
      'Globex Flags',
      ...ADOPTER,
      '--contract-pattern',
      '^PLAN-[A-Z]+$',
    );
    expect(made.code).toBe(0);
    const policy = readFileSync(join(dir, 'flags/_policy.yaml'), 'utf8');
    expect(policy).toMatch(/^# yaml-language-server: \$schema=\.\.\/schemas\/policy\.schema\.json\n/);
    expect(policy).toContain('project: globex-flags\n');
    expect(policy).toContain('environments: [dev, prod]\n');
    expect(policy).toContain('idPattern: "^cust-[0-9]{4,}$"\n');
    expect(policy).toContain('contractPattern: "^PLAN-[A-Z]+$"\n');
    const named = await init(tempDir(), ...ADOPTER, '--project', 'globex');
    expect(named.stdout).toContain('project globex,');
  });

  it('adds example flags only with --example, and they pass flags check on the day they are made', async () => {
    const repo = await gitdir();
    expect((await init(repo.dir, ...ADOPTER, '--example')).code).toBe(0);
    const flags = readdirSync(join(repo.dir, 'flags')).sort();
    expect(flags).toEqual(['_policy.yaml', 'read-only-mode.yaml', 'welcome-banner.yaml']);
    // A release flag expires within its type's lifetime of the day init ran.
    expect(readFileSync(join(repo.dir, 'flags/welcome-banner.yaml'), 'utf8')).toContain(
      'expires: 2027-03-01\n',
    );
    const check = await runCli(['check', '--today', TODAY], { cwd: repo.dir });
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toContain('2 flags checked');
  });

  it('keeps the development key, caches and bundles out of git', async () => {
    const repo = await gitdir();
    expect((await init(repo.dir, ...ADOPTER, '--example')).code).toBe(0);
    await repo.commit('flags init');
    const build = await runCli(['build', '--now', `${TODAY}T12:00:00Z`], { cwd: repo.dir });
    expect(build.code, build.stderr).toBe(0);
    expect(existsSync(join(repo.dir, 'dist/prod.bundle.json'))).toBe(true);
    expect((await repo.git.raw(['status', '--porcelain', '--untracked-files=all'])).trim()).toBe('');
  });

  it('asks nothing without a terminal, and says what is missing', async () => {
    const dir = tempDir();
    const result = await init(dir, '--environments', 'dev,prod');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing --owner');
    expect(result.stderr).toContain('fix: give the owning team, e.g. flags init --owner @org/platform');
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    [['--environments', 'dev,Prod'], '--environments: "Prod" is not an environment name'],
    [['--environments', 'dev,dev'], '--environments: "dev" is named twice'],
    [['--org-pattern', '^org_[a-z'], '--org-pattern: "^org_[a-z" is not a regular expression'],
    [['--project', 'Globex Flags'], '--project: "Globex Flags" is not a project name'],
    [['--owner', 'globex'], '--owner "globex" is not a GitHub team or user'],
  ])('refuses %j and names the option', async (args, message) => {
    const dir = tempDir();
    const result = await init(dir, '--owner', '@globex/platform', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('flags init run again', () => {
  it('changes nothing and says so', async () => {
    const repo = await gitdir();
    expect((await init(repo.dir, ...ADOPTER, '--example')).code).toBe(0);
    const before = snapshot(repo.dir);
    const mtimes = Object.keys(before).map((f) => statSync(join(repo.dir, f)).mtimeMs);
    const again = await init(repo.dir, ...ADOPTER, '--example');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to change: the repository is as flags init makes it');
    expect(snapshot(repo.dir)).toEqual(before);
    expect(Object.keys(before).map((f) => statSync(join(repo.dir, f)).mtimeMs)).toEqual(mtimes);
  });

  it("keeps a person's changed file and shows the difference; --force replaces it", async () => {
    const repo = await gitdir();
    expect((await init(repo.dir, ...ADOPTER)).code).toBe(0);
    const policy = join(repo.dir, 'flags/_policy.yaml');
    const edited = readFileSync(policy, 'utf8').replace('maxClaimBytes: 4096', 'maxClaimBytes: 2048');
    writeFileSync(policy, edited);
    const kept = await init(repo.dir, ...ADOPTER);
    expect(kept.code).toBe(1);
    expect(kept.stdout).toMatch(/kept +flags\/_policy\.yaml/);
    expect(kept.stdout).toContain('-   maxClaimBytes: 2048');
    expect(kept.stdout).toContain('+   maxClaimBytes: 4096');
    expect(kept.stdout).toContain('pass --force to replace it');
    expect(readFileSync(policy, 'utf8')).toBe(edited);
    const forced = await init(repo.dir, ...ADOPTER, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/replaced +flags\/_policy\.yaml/);
    expect(readFileSync(policy, 'utf8')).toContain('maxClaimBytes: 4096');
  });

  it('with --dry-run writes nothing and lists what it would do', async () => {
    const dir = tempDir();
    const result = await init(dir, ...ADOPTER, '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/would create +flags\/_policy\.yaml/);
    expect(result.stdout).toContain('dry run: nothing written');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with --json gives the plan to machines', async () => {
    const repo = await gitdir();
    const first = JSON.parse((await init(repo.dir, ...ADOPTER, '--json')).stdout);
    expect(first).toMatchObject({
      project: expect.any(String),
      environments: ['dev', 'prod'],
      changed: true,
    });
    expect(first.files.every((f: { action: string }) => f.action === 'create')).toBe(true);
    const second = JSON.parse((await init(repo.dir, ...ADOPTER, '--json')).stdout);
    expect(second.changed).toBe(false);
    expect(new Set(second.files.map((f: { action: string }) => f.action))).toEqual(new Set(['unchanged']));
  });
});

describe('flags init in an existing repository', () => {
  it("merges into CODEOWNERS and .gitignore, keeps a person's workflow and flags", async () => {
    const repo = await gitdir({ fixture: 'init/existing-repository' });
    const before = snapshot(repo.dir);
    const result = await init(repo.dir, '--environments', 'dev,prod');
    expect(result.code).toBe(1); // the changed workflow is kept
    expect(result.stdout).toMatch(/kept +\.github\/workflows\/flags-pr\.yml/);
    const after = snapshot(repo.dir);
    expect(after['.github/workflows/flags-pr.yml']).toBe(before['.github/workflows/flags-pr.yml']);
    expect(after['flags/payments/instant-payouts.yaml']).toBe(before['flags/payments/instant-payouts.yaml']);
    // The hand-written rules stay; the managed block makes the flag's owner a code owner.
    expect(after.CODEOWNERS!.startsWith(before.CODEOWNERS!)).toBe(true);
    expect(after.CODEOWNERS).toContain(
      '/flags/payments/instant-payouts.yaml @globex/payouts @globex/payments',
    );
    // node_modules and /dist are there already; only .cache/ is added.
    expect(after['.gitignore']!.startsWith(before['.gitignore']!)).toBe(true);
    expect(after['.gitignore']!.slice(before['.gitignore']!.length).match(/^[^#\n].*$/gm)).toEqual([
      '.cache/',
    ]);
    const check = await runCli(['check', '--today', TODAY], { cwd: repo.dir });
    expect(check.code, check.stdout).toBe(0);
    expect((await runCli(['codeowners', '--check'], { cwd: repo.dir })).code).toBe(0);
  });

  it('takes the example flags’ owner from CODEOWNERS when --owner is not given', async () => {
    const repo = await gitdir({ fixture: 'init/existing-repository' });
    await init(repo.dir, '--environments', 'dev,prod', '--example');
    expect(readFileSync(join(repo.dir, 'flags/welcome-banner.yaml'), 'utf8')).toContain(
      'owner: "@globex/platform"',
    );
  });
});
