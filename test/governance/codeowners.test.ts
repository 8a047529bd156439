import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownersOf, parseCodeowners } from '../../scripts/core/codeowners/parse.js';
import { BLOCK_BEGIN, BLOCK_END, lineDiff, syncCodeowners } from '../../scripts/core/codeowners/sync.js';
import { EXAMPLE_ROOT, gitdir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

const EXAMPLE_CODEOWNERS = readFileSync(join(EXAMPLE_ROOT, 'CODEOWNERS'), 'utf8');

const HAND = `# Who must approve changes. GitHub applies the last matching pattern.
*                       @acme/platform
/flags/identity/        @acme/identity @acme/security
/flags/growth/          @acme/growth
`;

const FLAGS = [
  { file: 'flags/identity/sso-saml.yaml', owner: '@acme/identity' },
  { file: 'flags/identity/billing-sso.yaml', owner: '@acme/billing' },
  { file: 'flags/growth/pricing-page-layout.yaml', owner: '@acme/payments' },
  { file: 'flags/api-rate-limits.yaml', owner: '@acme/platform' },
  { file: 'flags/advanced-analytics.yaml', owner: '@acme/analytics' },
];

describe('the managed CODEOWNERS block', () => {
  it('holds a line for each flag whose owner the rules do not cover, keeping the owners it overrides', () => {
    const result = syncCodeowners('CODEOWNERS', HAND, FLAGS);
    // sso-saml (the identity rule) and api-rate-limits (the catch-all) are covered already.
    expect(result.lines).toEqual([
      '/flags/advanced-analytics.yaml @acme/analytics',
      '/flags/growth/pricing-page-layout.yaml @acme/payments @acme/growth',
      '/flags/identity/billing-sso.yaml @acme/billing @acme/identity @acme/security',
    ]);
    expect(result.text.startsWith(HAND)).toBe(true);
    expect(result.text.endsWith(`${BLOCK_END}\n`)).toBe(true);
    expect(result.problems).toEqual([]);
  });

  it('makes every flag owner a code owner of its file by GitHub last-match rules, security included', () => {
    const text = syncCodeowners('CODEOWNERS', HAND, FLAGS).text;
    const parsed = parseCodeowners('CODEOWNERS', text);
    expect(parsed.findings).toEqual([]);
    for (const { file, owner } of FLAGS) expect(ownersOf(parsed, file)?.owners).toContain(owner);
    expect(ownersOf(parsed, 'flags/identity/sso-saml.yaml')?.owners).toContain('@acme/security');
    expect(ownersOf(parsed, 'flags/identity/billing-sso.yaml')?.owners).toContain('@acme/security');
    expect(ownersOf(parsed, 'README.md')?.owners).toEqual(['@acme/platform']);
  });

  it('is in sync on the example repository', async () => {
    const repo = await gitdir({ example: true });
    const result = await runCli(['codeowners', '--check', '--repo', repo.dir]);
    expect(result.stdout).toBe('CODEOWNERS is in sync (16 flag files, 7 in the managed block)\n');
    expect(result.code).toBe(0);
    const text = readFileSync(join(repo.dir, 'CODEOWNERS'), 'utf8');
    expect(text).toBe(EXAMPLE_CODEOWNERS);
  });

  it('moves a block that is not last to the end, where no hand-written rule can override it', () => {
    const text = `${BLOCK_BEGIN}\n/flags/old.yaml @acme/old\n${BLOCK_END}\n${HAND}`;
    const result = syncCodeowners('CODEOWNERS', text, FLAGS.slice(1, 2));
    expect(result.text).toBe(
      `${HAND}\n${BLOCK_BEGIN} (managed by \`flags codeowners --write\`; edits here are overwritten)\n` +
        '# Flag files whose owner the rules above do not make a code owner: the flag owner, plus the\n' +
        '# owners of the rule above that the line overrides (except a catch-all such as *).\n' +
        `/flags/identity/billing-sso.yaml @acme/billing @acme/identity @acme/security\n${BLOCK_END}\n`,
    );
    expect(syncCodeowners('CODEOWNERS', result.text, FLAGS.slice(1, 2)).changed).toBe(false);
  });

  it('drops the block when every flag owner is covered by the rules', () => {
    const text = syncCodeowners('CODEOWNERS', HAND, FLAGS).text;
    expect(syncCodeowners('CODEOWNERS', text, [FLAGS[0]!]).text).toBe(HAND);
  });

  it('keeps the line of a flag file that does not load, and says so', () => {
    const first = syncCodeowners('CODEOWNERS', HAND, FLAGS).text;
    const result = syncCodeowners('CODEOWNERS', first, [
      { file: 'flags/advanced-analytics.yaml', owner: undefined },
      { file: 'flags/broken.yaml', owner: undefined },
    ]);
    expect(result.lines).toEqual(['/flags/advanced-analytics.yaml @acme/analytics']);
    expect(result.problems.map((p) => p.file)).toEqual([
      'flags/advanced-analytics.yaml',
      'flags/broken.yaml',
    ]);
  });

  it('refuses paths that CODEOWNERS cannot match literally', () => {
    const result = syncCodeowners('CODEOWNERS', HAND, [{ file: 'flags/team a/x.yaml', owner: '@acme/a' }]);
    expect(result.lines).toEqual([]);
    expect(result.problems[0]?.message).toContain('cannot match literally');
  });

  it('writes nothing but the block into an empty file', () => {
    const result = syncCodeowners('CODEOWNERS', '', FLAGS.slice(3, 4));
    expect(result.text.split('\n')[0]).toMatch(/^# BEGIN flags codeowners/);
    expect(result.lines).toEqual(['/flags/api-rate-limits.yaml @acme/platform']);
  });

  it('diffs line by line', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nc\nd\n')).toEqual(['- b', '+ d']);
    expect(lineDiff('', 'x\n')).toEqual(['+ x']);
  });
});

describe('flags codeowners --check and --write', () => {
  it('fails with a readable diff when a flag changes owner, and --write repairs it', async () => {
    const repo = await gitdir({ example: true });
    const file = join(repo.dir, 'flags', 'read-only-mode.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('owner: "@acme/sre"', 'owner: "@acme/growth"'));
    const check = await runCli(['codeowners', '--check', '--repo', repo.dir]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('CODEOWNERS is out of sync with the flag owners:\n');
    expect(check.stdout).toContain(
      '- /flags/read-only-mode.yaml @acme/sre\n+ /flags/read-only-mode.yaml @acme/growth\n',
    );
    expect(check.stdout).toContain('fix: run flags codeowners --write');

    const write = await runCli(['codeowners', '--write', '--repo', repo.dir]);
    expect(write.stdout).toBe(
      'updated CODEOWNERS: 1 lines added, 1 removed (16 flag files, 7 in the managed block)\n',
    );
    expect(write.code).toBe(0);
    expect((await runCli(['codeowners', '--repo', repo.dir])).code).toBe(0);
    const gate = await runCli(['check', '--repo', repo.dir, '--today', '2026-11-24', '--no-cache']);
    expect(gate.code).toBe(0);
  });

  it('reports CODEOWNERS lines GitHub would skip, with their position', async () => {
    const repo = await gitdir({ example: true });
    writeFileSync(join(repo.dir, 'CODEOWNERS'), `${EXAMPLE_CODEOWNERS}`.replace('/schemas/ ', '!/schemas/ '));
    const check = await runCli(['codeowners', '--check', '--repo', repo.dir]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      'CODEOWNERS:6:1 error codeowners/unsupported-syntax  negation (!) in pattern "!/schemas/"; GitHub ignores this line\n  fix: ',
    );
  });

  it('creates CODEOWNERS when there is none, after --check said so', async () => {
    const repo = await gitdir({ example: true });
    repo.remove('CODEOWNERS');
    const check = await runCli(['codeowners', '--check', '--repo', repo.dir]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('no CODEOWNERS file');
    const write = await runCli(['codeowners', '--write', '--repo', repo.dir]);
    expect(write.stdout).toBe(
      'created CODEOWNERS: 20 lines added, 0 removed (16 flag files, 16 in the managed block)\n',
    );
    expect((await runCli(['check', '--repo', repo.dir, '--today', '2026-11-24', '--no-cache'])).code).toBe(0);
  });

  it('refuses --check together with --write', async () => {
    const result = await runCli(['codeowners', '--check', '--write']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give --check or --write, not both');
  });
});
