import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimChangeRange, MAX_RANGE_ORGANIZATIONS } from '../../scripts/core/claims/changes.js';
import { gitdir, type TempRepo } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

const NOW = '2026-11-24T12:00:00Z';
const SUPPORT = 'flags/priority-support.yaml';

const contentOf = (dir: string, environment = 'production') =>
  JSON.parse(
    Buffer.from(
      JSON.parse(readFileSync(join(dir, 'dist', `${environment}.bundle.json`), 'utf8')).content,
      'base64',
    ).toString('utf8'),
  );
const statementOf = (dir: string, environment = 'production') =>
  JSON.parse(
    Buffer.from(
      JSON.parse(readFileSync(join(dir, 'dist', `${environment}.bundle.json`), 'utf8')).envelope.payload,
      'base64',
    ).toString('utf8'),
  );

async function build(repo: TempRepo, extra: string[] = []) {
  const result = await runCli(['build', '--now', NOW, ...extra], { cwd: repo.dir });
  expect(result.code, result.stderr).toBe(0);
}

const edit = (repo: TempRepo, file: string, change: (text: string) => string) =>
  repo.write(file, change(readFileSync(join(repo.dir, file), 'utf8')));

/** The example repository over three commits: as is; org_hooli40921's grant removed; org_newco grants. */
async function threeCommits() {
  const repo = await gitdir({ example: true });
  repo.write('.gitignore', 'dist/\n');
  await repo.commit('flags'); // serial 1
  edit(repo, SUPPORT, (t) => t.replace(/\n {6}- org: org_hooli40921\n {8}agreement: ORD-2026-0203/, ''));
  await repo.commit('hooli leaves priority support'); // serial 2
  edit(repo, SUPPORT, (t) => `${t}      - org: org_newco12345\n        agreement: ORD-2026-0999\n`);
  await repo.commit('newco gets priority support'); // serial 3
  return repo;
}

describe('the claim-change feed of a bundle', () => {
  it('names, for each earlier serial, the organizations whose claim changed and how', async () => {
    const repo = await threeCommits();
    await build(repo);
    const content = contentOf(repo.dir);
    expect(content.format).toBe('flags-bundle/v2');
    expect(content.claimChanges).toEqual([
      {
        from: 2,
        to: 2,
        organizations: { org_newco12345: { added: ['priority-support'], removed: [] } },
      },
      {
        from: 1,
        to: 1,
        organizations: {
          org_hooli40921: { added: [], removed: ['priority-support'] },
          org_newco12345: { added: ['priority-support'], removed: [] },
        },
      },
    ]);
    // Staging has no grants of the flag: no claim changed there.
    expect(contentOf(repo.dir, 'staging').claimChanges).toEqual([
      { from: 2, to: 2, organizations: {} },
      { from: 1, to: 1, organizations: {} },
    ]);
  });

  it('says everyone when a default changes, and a commit that changes no flag extends the range', async () => {
    const repo = await threeCommits();
    edit(repo, SUPPORT, (t) => t.replace('default: false', 'default: true'));
    await repo.commit('priority support for everyone'); // serial 4
    repo.write('README.md', 'docs only\n');
    await repo.commit('docs'); // serial 5: the same flags as serial 4
    await build(repo);
    const ranges = contentOf(repo.dir).claimChanges;
    expect(ranges[0]).toEqual({ from: 4, to: 4, organizations: {} });
    expect(ranges.slice(1)).toEqual([
      { from: 3, to: 3, everyone: true },
      { from: 2, to: 2, everyone: true },
      { from: 1, to: 1, everyone: true },
    ]);
  });

  it('gives the same content when the same commit is built again later, with nextChangeAt in the statement', async () => {
    const repo = await threeCommits();
    edit(
      repo,
      SUPPORT,
      (t) =>
        `${t}      - org: org_trial12345\n        agreement: TRIAL-2026-0001\n        expires: 2026-12-15\n`,
    );
    await repo.commit('a trial'); // serial 4
    await build(repo);
    const first = readFileSync(join(repo.dir, 'dist', 'production.bundle.json'));
    expect(statementOf(repo.dir).nextChangeAt).toBe('2026-12-16T00:00:00Z');
    await build(repo, ['--now', '2026-11-26T08:00:00Z']);
    const again = readFileSync(join(repo.dir, 'dist', 'production.bundle.json'));
    // The content (claimChanges included) is the same bytes; only the statement's times moved.
    expect(JSON.parse(again.toString()).content).toBe(JSON.parse(first.toString()).content);
    expect(statementOf(repo.dir).issuedAt).toBe('2026-11-26T08:00:00Z');
    await build(repo);
    expect(readFileSync(join(repo.dir, 'dist', 'production.bundle.json')).equals(first)).toBe(true);
  });

  it('leaves the feed out with a --serial of its own or uncommitted flag files', async () => {
    const repo = await threeCommits();
    await build(repo, ['--serial', '40']);
    expect(contentOf(repo.dir).claimChanges).toBeUndefined();
    edit(repo, SUPPORT, (t) => t.replace('default: false', 'default: true'));
    await build(repo);
    expect(contentOf(repo.dir).claimChanges).toBeUndefined();
  });

  it('falls back to everyone when a range would name too many organizations', () => {
    const organizations = new Map(
      Array.from({ length: MAX_RANGE_ORGANIZATIONS + 1 }, (_, i) => [
        `org_${String(i).padStart(8, '0')}`,
        { added: ['sso'], removed: [] },
      ]),
    );
    expect(claimChangeRange(1, 2, { organizations, everyone: [] })).toEqual({
      from: 1,
      to: 2,
      everyone: true,
    });
    organizations.delete('org_00000000');
    expect(Object.keys(claimChangeRange(1, 2, { organizations, everyone: [] }).organizations!)).toHaveLength(
      MAX_RANGE_ORGANIZATIONS,
    );
  });
});

describe('flags claims --since', () => {
  it('lists the organizations whose claim changed since a serial, with what they gained and lost', async () => {
    const repo = await threeCommits();
    const result = await runCli(['claims', '--since', '1', '--env', 'production', '--json'], {
      cwd: repo.dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      since: 1,
      serial: 3,
      environment: 'production',
      organizations: [
        { organization: 'org_hooli40921', added: [], removed: ['priority-support'] },
        { organization: 'org_newco12345', added: ['priority-support'], removed: [] },
      ],
      everyone: [],
    });
    const text = await runCli(['claims', '--since', '2', '--env', 'production', '--today', '2026-11-24'], {
      cwd: repo.dir,
    });
    expect(text.stdout).toContain('changed since serial 2 (HEAD is serial 3)');
    expect(text.stdout).toContain('org_newco12345: +priority-support');
    expect(text.stdout).not.toContain('org_hooli40921');
  });

  it('refuses a serial in the future, one that is not a number, and a missing --env, with a fix', async () => {
    const repo = await threeCommits();
    const future = await runCli(['claims', '--since', '9', '--env', 'production'], { cwd: repo.dir });
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('serial 9 is in the future: HEAD is serial 3');
    expect(future.stderr).toContain('fix:');
    const bad = await runCli(['claims', '--since', 'HEAD~1', '--env', 'production'], { cwd: repo.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since HEAD~1 is not a serial');
    const noEnv = await runCli(['claims', '--since', '1'], { cwd: repo.dir });
    expect(noEnv.stderr).toContain('--since needs exactly one --env');
    expect(`${future.stderr}${bad.stderr}${noEnv.stderr}`).not.toMatch(/\n\s+at /);
  });
});
