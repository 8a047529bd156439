import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagYaml, TODAY, withoutProgress } from '../check/check-cli.js';
import { gitdir, type TempRepo, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * The pull-request gate against a hostile pull request: a flag file that is a link to a file other
 * people own, characters nobody can see in review, a change to CODEOWNERS that quietly gives a flag
 * other reviewers. Real git repositories, the real `flags` binary.
 */

interface Finding {
  code: string;
  severity: string;
  file: string;
  line: number;
  col: number;
  message: string;
}

async function check(dir: string, args: string[] = []) {
  const result = await runCli(['check', '--repo', dir, '--today', TODAY, '--no-cache', ...args]);
  expect(withoutProgress(result.stderr)).toBe('');
  return result;
}

async function checkJson(dir: string, args: string[] = []) {
  const result = await check(dir, ['--json', ...args]);
  return {
    code: result.code,
    report: JSON.parse(result.stdout) as { summary: Record<string, number>; findings: Finding[] },
  };
}

const brief = (f: Finding) => `${f.severity} ${f.code} ${f.file}:${f.line}:${f.col}`;

const limits = (expires: string, value: boolean) =>
  [
    '# yaml-language-server: $schema=../schemas/flag.schema.json',
    'key: limits',
    'description: Request limits for the public API.',
    'owner: "@acme/platform"',
    'type: release',
    `expires: ${expires}`,
    'environments:',
    '  production:',
    '    enabled: true',
    `    default: ${value}`,
    '',
  ].join('\n');

/** main: a flag file that is a link to docs/, which the docs team owns; then a branch. */
async function linkedFlagRepository(): Promise<TempRepo> {
  const repo = await gitdir();
  repo.write('CODEOWNERS', '/flags/ @acme/platform\n/docs/ @acme/docs\n');
  repo.write('flags/search-boost.yaml', flagYaml('search-boost'));
  repo.write('docs/limits.yaml', limits('2026-12-20', false));
  repo.link('flags/limits.yaml', '../docs/limits.yaml');
  await repo.commit('flags on main');
  await repo.git.checkoutLocalBranch('feature');
  // The pull request touches docs/ only: production default on, expiry in the past.
  repo.write('docs/limits.yaml', limits('2026-11-01', true));
  await repo.commit('docs: tidy');
  return repo;
}

describe('a flag file that is a symbolic link', () => {
  it('fails the gate at the link, although the pull request only edits the target', async () => {
    const repo = await linkedFlagRepository();
    const { code, report } = await checkJson(repo.dir, ['--changed-since', 'main']);
    expect(code).toBe(1);
    expect(report.findings.map(brief)).toEqual(['error file/symlink flags/limits.yaml:1:1']);
    expect(report.findings[0]!.message).toBe(
      'symbolic link to ../docs/limits.yaml (docs/limits.yaml in the repository); refused: a change to its target would change what is read here without a change to flags/limits.yaml',
    );
    // The target's content is never read: no lifecycle finding, demoted or not, comes from it.
    expect(report.summary.flags).toBe(1);
  });

  it('shows in flags diff as a file not compared, at both a commit and the working tree', async () => {
    const repo = await linkedFlagRepository();
    for (const args of [['main', 'HEAD'], ['main']]) {
      const result = await runCli(['diff', ...args, '--repo', repo.dir, '--json']);
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout) as { problems: { side: string; file: string; code: string }[] };
      expect(json.problems.map((p) => `${p.side} ${p.code} ${p.file}`)).toEqual([
        'head file/symlink flags/limits.yaml',
      ]);
      const text = await runCli(['diff', ...args, '--repo', repo.dir]);
      expect(text.stdout).toContain('1 file not compared');
      expect(text.stdout).toContain('flags/limits.yaml');
    }
  });

  it('stops flags build before it compiles what the link points to', async () => {
    const repo = await linkedFlagRepository();
    const result = await runCli(['build', '--repo', repo.dir, '--today', TODAY, '--format', 'flagd']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('flags/limits.yaml:1:1 error file/symlink');
    expect(result.stderr).toContain('refusing to build');
  });

  it('refuses a link whatever it points to: inside, outside, nowhere, and a linked folder', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('shared/a.yaml', flagYaml('a'));
    repo.write('shared/more/b.yaml', flagYaml('b'));
    repo.link('flags/a.yaml', '../shared/a.yaml');
    repo.link('flags/gone.yaml', '../shared/gone.yaml');
    repo.link('flags/more', '../shared/more');
    repo.link('flags/passwd.yaml', '/etc/passwd');
    repo.link('flags/README.md', '../README.md'); // not a flag file name: not read, not refused
    const { code, report } = await checkJson(repo.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f) => `${f.file}: ${f.message.split(';')[0]}`)).toEqual([
      'flags/a.yaml: symbolic link to ../shared/a.yaml (shared/a.yaml in the repository)',
      'flags/gone.yaml: symbolic link to ../shared/gone.yaml (which does not exist)',
      'flags/more: symbolic link to ../shared/more (shared/more in the repository)',
      'flags/passwd.yaml: symbolic link to /etc/passwd (outside the repository)',
    ]);
    expect(report.summary.flags).toBe(0);
  });

  it('refuses a linked flags folder, policy, CODEOWNERS and .github folder', async () => {
    const repo = await gitdir();
    repo.write('real/flags/a.yaml', flagYaml('a'));
    repo.write('real/_policy.yaml', 'environments: [production]\n');
    repo.write('real/CODEOWNERS', '* @acme/platform\n');
    repo.link('flags', 'real/flags');
    let { report } = await checkJson(repo.dir);
    expect(report.findings.map(brief)).toEqual([
      'error file/symlink flags:1:1',
      // No CODEOWNERS at all yet, and no flag read: nothing to own.
    ]);

    const other = await gitdir();
    other.write('flags/a.yaml', flagYaml('a'));
    other.write('elsewhere/_policy.yaml', 'environments: [production]\n');
    other.write('elsewhere/gh/CODEOWNERS', '* @acme/platform\n');
    other.link('flags/_policy.yaml', '../elsewhere/_policy.yaml');
    other.link('.github', 'elsewhere/gh');
    ({ report } = await checkJson(other.dir));
    expect(report.findings.map(brief)).toEqual([
      'error file/symlink .github:1:1',
      // A linked CODEOWNERS is no CODEOWNERS, as on GitHub.
      'warning ownership/no-codeowners CODEOWNERS:1:1',
      'error file/symlink flags/_policy.yaml:1:1',
    ]);
  });

  it('refuses a link committed in git and listed by flags diff between two commits, unchanged or not', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('flags/a.yaml', flagYaml('a'));
    await repo.commit('a');
    repo.link('flags/_policy.yaml', '../policy.yaml');
    repo.write('policy.yaml', 'environments: [production]\n');
    repo.link('flags/b.yaml', 'a.yaml');
    await repo.commit('links');
    const result = await runCli(['diff', 'HEAD~1', 'HEAD', '--repo', repo.dir, '--json']);
    const json = JSON.parse(result.stdout) as {
      problems: { side: string; file: string; code: string; message: string }[];
    };
    expect(json.problems.map((p) => `${p.side} ${p.code} ${p.file}`)).toEqual([
      'head file/symlink flags/_policy.yaml',
      'head file/symlink flags/b.yaml',
    ]);
    expect(json.problems[1]!.message).toContain('symbolic link to a.yaml (flags/a.yaml in the repository)');
  });
});

describe('characters outside YAML’s printable set', () => {
  const withDescription = (description: string) =>
    flagYaml('banner').replace('description: A flag made by a test.', `description: ${description}`);

  it('refuses a NUL inside a quoted string, at its line and column, and keeps it out of the bundle', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('flags/banner.yaml', withDescription('"Sale\u0000 today\u0000"'));
    const { code, report } = await checkJson(repo.dir);
    expect(code).toBe(1);
    expect(report.findings.map(brief)).toEqual(['error file/control-character flags/banner.yaml:3:19']);
    expect(report.findings[0]!.message).toBe(
      'character U+0000 (NUL) is not allowed here: only printable characters, tab and line breaks (1 more in the file)',
    );
  });

  it.each([
    ['an escape character in a plain scalar', 'Sale \u001b[31mtoday', 'U+001B (ESC)', 19],
    ['DEL in a single-quoted string', "'Sale\u007f'", 'U+007F (DEL)', 19],
    ['a C1 control', '"Sale \u0080"', 'U+0080', 20],
    ['a non-character', 'Sale \uffff', 'U+FFFF', 19],
    ['a control character in a comment', 'Sale # \u0007', 'U+0007', 21],
  ])('refuses %s', async (_what, description, named, col) => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('flags/banner.yaml', withDescription(description));
    const { report } = await checkJson(repo.dir);
    expect(report.findings.map(brief)).toEqual([`error file/control-character flags/banner.yaml:3:${col}`]);
    expect(report.findings[0]!.message).toContain(`character ${named} is not allowed`);
  });

  it('accepts tab, NEL, no-break space, emoji and CRLF line ends', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('flags/banner.yaml', withDescription('"Sale\ttoday\u0085\u00a0🎉"').replace(/\n/g, '\r\n'));
    const { code, report } = await checkJson(repo.dir);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('refuses them in the policy and in CODEOWNERS too', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n/docs/\u0000 @acme/docs\n');
    repo.write('flags/a.yaml', flagYaml('a'));
    repo.write('flags/_policy.yaml', 'project: "acme\u0001"\n');
    const { code, report } = await checkJson(repo.dir);
    expect(code).toBe(1);
    expect(report.findings.map(brief)).toEqual([
      'error file/control-character CODEOWNERS:2:7',
      'error file/control-character flags/_policy.yaml:1:15',
    ]);
  });
});

/** main: two flags of the platform team; then a branch that edits only CODEOWNERS. */
async function codeownersChangeRepository(next: string): Promise<TempRepo> {
  const repo = await gitdir();
  repo.write('CODEOWNERS', '# flags\n/flags/ @acme/platform\n');
  repo.write('flags/payments.yaml', flagYaml('payments'));
  repo.write('flags/search-boost.yaml', flagYaml('search-boost'));
  await repo.commit('flags on main');
  await repo.git.checkoutLocalBranch('feature');
  repo.write('CODEOWNERS', next);
  await repo.commit('codeowners');
  return repo;
}

const COOWNED = '# flags\n/flags/ @acme/platform\n/flags/payments.yaml @acme/platform @mallory\n';

describe('a pull request that changes CODEOWNERS', () => {
  it('names, in the gate, the flag files whose code owners it changes, as notices that never fail', async () => {
    const repo = await codeownersChangeRepository(COOWNED);
    for (const strict of [[], ['--strict']]) {
      const { code, report } = await checkJson(repo.dir, ['--changed-since', 'main', ...strict]);
      expect(code).toBe(0);
      expect(report.findings.map(brief)).toEqual([
        'notice ownership/codeowners-changed CODEOWNERS:3:1',
        'notice ownership/codeowners-changed flags/payments.yaml:1:1',
      ]);
      expect(report.findings.map((f) => f.message)).toEqual([
        'this change edits CODEOWNERS and so decides who reviews 1 flag file: flags/payments.yaml',
        'code owners change from @acme/platform to @acme/platform @mallory with this change to CODEOWNERS (CODEOWNERS:3 "/flags/payments.yaml")',
      ]);
      expect(report.summary).toMatchObject({ errors: 0, warnings: 0, notices: 2 });
    }
  });

  it('says so in annotations, in text and in the job summary', async () => {
    const repo = await codeownersChangeRepository(COOWNED);
    const github = await check(repo.dir, ['--changed-since', 'main', '--format', 'github']);
    expect(github.stdout.split('\n')[0]).toMatch(
      /^::notice file=CODEOWNERS,line=3,col=1,title=ownership\/codeowners-changed::this change edits CODEOWNERS/,
    );
    const summaryFile = join(tempDir(), 'summary.md');
    const text = await runCli(
      ['check', '--repo', repo.dir, '--today', TODAY, '--no-cache', '--changed-since', 'main'],
      { env: { GITHUB_STEP_SUMMARY: summaryFile } },
    );
    expect(text.stdout).toContain('CODEOWNERS:3:1 notice ownership/codeowners-changed');
    expect(text.stdout).toContain('2 notices');
    const markdown = readFileSync(summaryFile, 'utf8');
    expect(markdown).toContain('| ℹ️ | `CODEOWNERS:3:1` | `ownership/codeowners-changed` |');
  });

  it('says nothing without --changed-since, or when CODEOWNERS did not change', async () => {
    const repo = await codeownersChangeRepository(COOWNED);
    expect((await checkJson(repo.dir)).report.findings).toEqual([]);
    const same = await codeownersChangeRepository('# flags\n/flags/ @acme/platform\n');
    expect((await checkJson(same.dir, ['--changed-since', 'main'])).report.findings).toEqual([]);
  });

  it('notes a change that reorders or recases owners as deciding nothing', async () => {
    const repo = await codeownersChangeRepository('# the flags\n/flags/ @ACME/Platform\n');
    const { report } = await checkJson(repo.dir, ['--changed-since', 'main']);
    expect(report.findings.map((f) => f.message)).toEqual([
      'this change edits CODEOWNERS; it changes the code owners of no flag file',
    ]);
  });

  it('follows CODEOWNERS to the place GitHub reads it from', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('flags/payments.yaml', flagYaml('payments'));
    await repo.commit('main');
    await repo.git.checkoutLocalBranch('feature');
    // .github/CODEOWNERS comes first on GitHub: the root file stops counting.
    repo.write('.github/CODEOWNERS', '/flags/ @acme/platform @mallory\n');
    const { report } = await checkJson(repo.dir, ['--changed-since', 'main']);
    expect(report.findings.map((f) => `${brief(f)} ${f.message}`)).toEqual([
      'notice ownership/codeowners-changed .github/CODEOWNERS:1:1 this change edits CODEOWNERS (from CODEOWNERS to .github/CODEOWNERS) and so decides who reviews 1 flag file: flags/payments.yaml',
      'notice ownership/codeowners-changed flags/payments.yaml:1:1 code owners change from @acme/platform to @acme/platform @mallory with this change to CODEOWNERS (.github/CODEOWNERS:1 "/flags/")',
    ]);
  });

  it('has a section in flags diff, in text, Markdown and JSON', async () => {
    const repo = await codeownersChangeRepository(COOWNED);
    const text = await runCli(['diff', 'main', 'HEAD', '--repo', repo.dir]);
    expect(text.stdout).toContain(
      [
        'Code owners (CODEOWNERS changed): 1 flag file with other owners',
        '  flags/payments.yaml: @acme/platform → @acme/platform @mallory (CODEOWNERS:3 /flags/payments.yaml)',
      ].join('\n'),
    );
    const markdown = await runCli(['diff', 'main', '--repo', repo.dir, '--format', 'markdown']);
    expect(markdown.stdout).toContain(
      '- `flags/payments.yaml`: `@acme/platform` → `@acme/platform @mallory` (`CODEOWNERS:3` `/flags/payments.yaml`)',
    );
    const json = JSON.parse((await runCli(['diff', 'main', '--repo', repo.dir, '--json'])).stdout);
    expect(json.codeowners).toEqual({
      base: 'CODEOWNERS',
      head: 'CODEOWNERS',
      line: 3,
      flags: [
        {
          file: 'flags/payments.yaml',
          before: { file: 'CODEOWNERS', line: 2, pattern: '/flags/', owners: ['@acme/platform'] },
          after: {
            file: 'CODEOWNERS',
            line: 3,
            pattern: '/flags/payments.yaml',
            owners: ['@acme/platform', '@mallory'],
          },
        },
      ],
    });
    const unchanged = JSON.parse(
      (await runCli(['diff', 'main~0', 'main', '--repo', repo.dir, '--json'])).stdout,
    );
    expect(unchanged.codeowners).toBeUndefined();
  });
});
