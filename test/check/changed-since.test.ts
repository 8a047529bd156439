import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitdir, type TempRepo, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';
import { type CheckReport, flagYaml, TODAY, withoutProgress } from './check-cli.js';

/**
 * A pull request that does not touch an expired flag must still be able to merge: with
 * --changed-since <ref>, lifecycle errors count only in files changed since the merge base with that
 * ref; elsewhere they are warnings. Every other finding keeps its severity.
 */

const EXPIRED = [
  '# yaml-language-server: $schema=../schemas/flag.schema.json',
  'key: old-rollout',
  'description: A release that was never cleaned up.',
  'owner: "@acme/platform"',
  'type: release',
  'expires: 2026-11-01',
  'environments:',
  '  production:',
  '    enabled: true',
  '    default: true',
  '',
].join('\n');

/** main: CODEOWNERS, an expired flag and a sound one; then a feature branch. */
async function repositoryWithExpiredFlag(prefix = '', more: Record<string, string> = {}): Promise<TempRepo> {
  const repo = await gitdir();
  repo.write(`${prefix}CODEOWNERS`, '/flags/ @acme/platform\n');
  repo.write(`${prefix}flags/old-rollout.yaml`, EXPIRED);
  repo.write(`${prefix}flags/search-boost.yaml`, flagYaml('search-boost'));
  for (const [file, content] of Object.entries(more)) repo.write(`${prefix}${file}`, content);
  await repo.commit('flags on main');
  await repo.git.checkoutLocalBranch('feature');
  return repo;
}

async function check(dir: string, ref: string) {
  const result = await runCli([
    'check',
    '--repo',
    dir,
    '--today',
    TODAY,
    '--json',
    '--no-cache',
    '--changed-since',
    ref,
  ]);
  expect(withoutProgress(result.stderr)).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as CheckReport };
}

const EXPIRED_FINDING = {
  code: 'lifecycle/expired',
  file: 'flags/old-rollout.yaml',
  line: 6,
  col: 10,
  path: 'expires',
  hint: 'remove the flag and its code paths, or extend expires with a reason in the pull request',
};

describe('flags check --changed-since', () => {
  it('reports an expired flag the branch did not touch as a warning, and passes', async () => {
    const repo = await repositoryWithExpiredFlag();
    repo.write('flags/search-boost.yaml', flagYaml('search-boost', { lines: ['    default: true'] }));
    await repo.commit('turn search boost on');
    const { code, report } = await check(repo.dir, 'main');
    expect(report.findings).toEqual([
      {
        ...EXPIRED_FINDING,
        severity: 'warning',
        message: 'flag expired on 2026-11-01 (23 days ago) (not changed here)',
      },
    ]);
    expect(code).toBe(0);
  });

  it('reports the same flag as an error once the branch touches it, and fails', async () => {
    const repo = await repositoryWithExpiredFlag();
    repo.write('flags/old-rollout.yaml', EXPIRED.replace('never cleaned up', 'still not cleaned up'));
    await repo.commit('reword the old rollout');
    const { code, report } = await check(repo.dir, 'main');
    expect(report.findings).toEqual([
      { ...EXPIRED_FINDING, severity: 'error', message: 'flag expired on 2026-11-01 (23 days ago)' },
    ]);
    expect(code).toBe(1);
  });

  it('counts uncommitted and untracked changes as touched', async () => {
    const repo = await repositoryWithExpiredFlag();
    repo.write('flags/old-rollout.yaml', EXPIRED.replace('never cleaned up', 'edited, not committed'));
    repo.write('flags/new-rollout.yaml', EXPIRED.replace('old-rollout', 'new-rollout'));
    const { code, report } = await check(repo.dir, 'main');
    expect(report.findings.map((f) => `${f.file} ${f.severity}`)).toEqual([
      'flags/new-rollout.yaml error',
      'flags/old-rollout.yaml error',
    ]);
    expect(code).toBe(1);
  });

  it('measures changes from the merge base, so later commits on main are not the branch’s', async () => {
    const repo = await repositoryWithExpiredFlag();
    repo.write('flags/search-boost.yaml', flagYaml('search-boost', { lines: ['    default: true'] }));
    await repo.commit('work on the branch');
    await repo.git.checkout('main');
    repo.write('flags/old-rollout.yaml', EXPIRED.replace('never cleaned up', 'touched on main'));
    await repo.commit('a change on main after the branch started');
    await repo.git.checkout('feature');
    const { code, report } = await check(repo.dir, 'main');
    expect(report.findings.map((f) => `${f.file} ${f.severity}`)).toEqual(['flags/old-rollout.yaml warning']);
    expect(code).toBe(0);
  });

  it('keeps findings that are not about the lifecycle as errors in untouched files', async () => {
    const repo = await repositoryWithExpiredFlag('', {
      'flags/broken.yaml': flagYaml('broken', { lines: ['    default: yes'] }),
    });
    const { code, report } = await check(repo.dir, 'main');
    expect(report.findings.map((f) => `${f.file} ${f.code} ${f.severity}`)).toEqual([
      'flags/broken.yaml yaml/yaml11-boolean error',
      'flags/old-rollout.yaml lifecycle/expired warning',
    ]);
    expect(code).toBe(1);
  });

  it('works when the flags repository is a folder inside a larger git repository', async () => {
    const repo = await repositoryWithExpiredFlag('platform/');
    repo.write(
      'platform/flags/search-boost.yaml',
      flagYaml('search-boost', { lines: ['    default: true'] }),
    );
    await repo.commit('turn search boost on');
    const untouched = await check(`${repo.dir}/platform`, 'main');
    expect(untouched.report.findings.map((f) => `${f.file} ${f.severity}`)).toEqual([
      'flags/old-rollout.yaml warning',
    ]);
    repo.write('platform/flags/old-rollout.yaml', EXPIRED.replace('never cleaned up', 'touched'));
    const touched = await check(`${repo.dir}/platform`, 'main');
    expect(touched.report.findings.map((f) => `${f.file} ${f.severity}`)).toEqual([
      'flags/old-rollout.yaml error',
    ]);
  });

  it('exits 2 with a readable message and no stack trace for an unknown ref', async () => {
    const repo = await repositoryWithExpiredFlag();
    const result = await runCli([
      'check',
      '--repo',
      repo.dir,
      '--today',
      TODAY,
      '--changed-since',
      'origin/nope',
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: unknown git ref "origin/nope"\n' +
        '  fix: fetch it first; in GitHub Actions use actions/checkout with fetch-depth: 0\n',
    );
  });

  it('exits 2 with a readable message when the folder is not a git repository', async () => {
    const plain = tempDir();
    mkdirSync(join(plain, 'flags'));
    const result = await runCli(['check', '--repo', plain, '--today', TODAY, '--changed-since', 'main']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a git repository');
    expect(result.stderr).toContain('  fix: ');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
