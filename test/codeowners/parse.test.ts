import { describe, expect, it } from 'vitest';
import { CODEOWNERS_LOCATIONS, ownersOf, parseCodeowners } from '../../scripts/core/codeowners/parse.js';

/**
 * CODEOWNERS as GitHub reads it. The examples follow GitHub's documentation, "About code owners"
 * (docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/
 * customizing-your-repository/about-code-owners).
 */

const parse = (text: string) => parseCodeowners('CODEOWNERS', text);
/** The owners GitHub would request for a path, or undefined when no rule matches. */
const ownersFor = (text: string, path: string) => ownersOf(parse(text), path)?.owners;

describe('CODEOWNERS matching, by GitHub documented examples', () => {
  const GITHUB_EXAMPLE = [
    '# This is a comment.',
    '*       @global-owner1 @global-owner2',
    '*.js    @js-owner #This is an inline comment.',
    '*.go docs@example.com',
    '*.txt @octo-org/octocats',
    '/build/logs/ @doctocat',
    'docs/* docs@example.com',
    'apps/ @octocat',
    '/docs/ @doctocat',
    '/scripts/ @doctocat @octocat',
    '**/logs @octocat',
    '/apps/ @octocat',
    '/apps/github',
    '',
  ].join('\n');

  it('reads the documented example without findings', () => {
    const parsed = parse(GITHUB_EXAMPLE);
    expect(parsed.findings).toEqual([]);
    expect(parsed.rules.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(parsed.rules[1]).toMatchObject({ pattern: '*.js', owners: ['@js-owner'] });
  });

  it.each([
    ['README.md', ['@global-owner1', '@global-owner2']],
    ['src/deep/index.js', ['@js-owner']],
    ['cmd/main.go', ['docs@example.com']],
    ['notes/todo.txt', ['@octo-org/octocats']],
    ['docs/getting-started.md', ['@doctocat']],
    ['scripts/release.sh', ['@doctocat', '@octocat']],
    ['deeply/nested/logs/today.log', ['@octocat']],
    ['apps/web/main.ts', ['@octocat']],
    ['apps/github/main.ts', []],
  ])('gives %s to %j', (path, owners) => {
    expect(ownersFor(GITHUB_EXAMPLE, path)).toEqual(owners);
  });

  it('lets the last matching pattern win', () => {
    expect(ownersFor('*  @everyone\n*.js  @js-owner\n', 'src/app.js')).toEqual(['@js-owner']);
    expect(ownersFor('*.js  @js-owner\n*  @everyone\n', 'src/app.js')).toEqual(['@everyone']);
    expect(ownersOf(parse('*  @a\n/flags/  @b\n*.md  @c\n'), 'flags/x.yaml')?.line).toBe(2);
  });

  it('matches * against every file at any depth', () => {
    for (const path of ['README.md', 'a/b/c/d.yaml', '.github/workflows/ci.yml'])
      expect(ownersFor('* @all', path)).toEqual(['@all']);
  });

  it('matches *.js against JavaScript files in every folder and nothing else', () => {
    expect(ownersFor('*.js @js', 'index.js')).toEqual(['@js']);
    expect(ownersFor('*.js @js', 'src/lib/index.js')).toEqual(['@js']);
    expect(ownersFor('*.js @js', 'index.jsx')).toBeUndefined();
    expect(ownersFor('*.js @js', 'index.ts')).toBeUndefined();
  });

  it('matches /build/logs/ against that folder at the root and everything below it', () => {
    expect(ownersFor('/build/logs/ @doctocat', 'build/logs/today.log')).toEqual(['@doctocat']);
    expect(ownersFor('/build/logs/ @doctocat', 'build/logs/2026/11/today.log')).toEqual(['@doctocat']);
    expect(ownersFor('/build/logs/ @doctocat', 'src/build/logs/today.log')).toBeUndefined();
  });

  it('matches docs/* against files directly in docs/, not further nested files', () => {
    expect(ownersFor('docs/* docs@example.com', 'docs/getting-started.md')).toEqual(['docs@example.com']);
    expect(ownersFor('docs/* docs@example.com', 'docs/build-app/troubleshooting.md')).toBeUndefined();
    expect(ownersFor('docs/* docs@example.com', 'src/docs/getting-started.md')).toBeUndefined();
  });

  it('matches /docs/ against the root docs folder at any depth below it, and no other docs folder', () => {
    expect(ownersFor('/docs/ @doctocat', 'docs/build-app/troubleshooting.md')).toEqual(['@doctocat']);
    expect(ownersFor('/docs/ @doctocat', 'src/docs/readme.md')).toBeUndefined();
  });

  it('matches apps/ against an apps folder anywhere in the repository', () => {
    expect(ownersFor('apps/ @octocat', 'apps/web/index.ts')).toEqual(['@octocat']);
    expect(ownersFor('apps/ @octocat', 'services/apps/api/main.go')).toEqual(['@octocat']);
    expect(ownersFor('apps/ @octocat', 'apps.ts')).toBeUndefined();
    expect(ownersFor('apps/ @octocat', 'webapps/index.ts')).toBeUndefined();
  });

  it('matches **/logs against a logs folder at the root or at any depth', () => {
    for (const path of ['logs/a.log', 'build/logs/a.log', 'scripts/logs/a.log', 'deeply/nested/logs/a.log'])
      expect(ownersFor('**/logs @octocat', path)).toEqual(['@octocat']);
    expect(ownersFor('**/logs @octocat', 'build/logs-old/a.log')).toBeUndefined();
  });

  it('leaves a path unowned when the last matching pattern has no owners', () => {
    const text = '/apps/ @octocat\n/apps/github\n';
    expect(ownersOf(parse(text), 'apps/github/deploy.yaml')).toMatchObject({ line: 2, owners: [] });
    expect(ownersFor(text, 'apps/other/deploy.yaml')).toEqual(['@octocat']);
  });

  it('matches ? against one character other than a slash', () => {
    expect(ownersFor('/flags/v? @a', 'flags/v2')).toEqual(['@a']);
    expect(ownersFor('/flags/v? @a', 'flags/v22')).toBeUndefined();
  });

  it('treats paths as case-sensitive, as GitHub does', () => {
    expect(ownersFor('/Docs/ @a', 'docs/index.md')).toBeUndefined();
  });

  it('ignores comments, blank lines and Windows line ends', () => {
    const parsed = parse(
      '# owners\r\n\r\n   # indented comment\r\n/flags/ @acme/platform # the platform team\r\n',
    );
    expect(parsed.findings).toEqual([]);
    expect(parsed.rules).toEqual([
      expect.objectContaining({ pattern: '/flags/', owners: ['@acme/platform'], line: 4 }),
    ]);
  });
});

describe('CODEOWNERS owners', () => {
  it('accepts @user, @org/team-name and email addresses', () => {
    const parsed = parse('* @octocat @octo-org/octocats docs@example.com @a1/team.name_2\n');
    expect(parsed.findings).toEqual([]);
    expect(parsed.rules[0]!.owners).toEqual([
      '@octocat',
      '@octo-org/octocats',
      'docs@example.com',
      '@a1/team.name_2',
    ]);
  });

  it.each([
    ['octocat', '* @ok octocat', 7],
    ['@-octocat', '*.md @-octocat', 6],
    ['@octo-org/', '/flags/ @octo-org/', 9],
    ['docs@', '/flags/  docs@', 10],
  ])('reports %s as an invalid owner at its column', (owner, line, col) => {
    expect(parse(`# header\n${line}\n`).findings).toEqual([
      {
        code: 'codeowners/invalid-owner',
        severity: 'error',
        file: 'CODEOWNERS',
        line: 2,
        col,
        message: `owner "${owner}" is not @user, @org/team or an email address`,
        hint: 'write owners as @user or @org/team',
      },
    ]);
  });

  it('points at the owner, not at the same text inside the pattern', () => {
    expect(parse('/docs/ docs\n').findings.map((f) => [f.line, f.col])).toEqual([[1, 8]]);
    expect(parse('/team/ @ok team\n').findings.map((f) => [f.line, f.col])).toEqual([[1, 12]]);
  });

  it('drops invalid owners from the rule, so they are never requested', () => {
    expect(parse('* @ok not-an-owner\n').rules[0]!.owners).toEqual(['@ok']);
  });
});

describe('CODEOWNERS syntax GitHub does not support', () => {
  it.each([
    ['!/flags/secret.yaml @a', 1, 'negation (!) in pattern "!/flags/secret.yaml"'],
    ['/flags/[ab]*.yaml @a', 8, 'a character range ([ ]) in pattern "/flags/[ab]*.yaml"'],
    ['  /flags/x]y.yaml @a', 11, 'a character range ([ ]) in pattern "/flags/x]y.yaml"'],
    ['\\#notes.md @a', 1, 'an escaped # (\\#) in pattern "\\#notes.md"'],
  ])('reports %s with its line and column, and skips the line', (text, col, what) => {
    const parsed = parse(`* @all\n${text}\n`);
    expect(parsed.findings).toEqual([
      {
        code: 'codeowners/unsupported-syntax',
        severity: 'error',
        file: 'CODEOWNERS',
        line: 2,
        col,
        message: `${what}; GitHub ignores this line`,
        hint: 'rewrite the pattern without it; list the paths explicitly',
      },
    ]);
    expect(parsed.rules.map((r) => r.pattern)).toEqual(['*']);
  });
});

describe('CODEOWNERS locations', () => {
  it('are searched in GitHub order: .github/, the root, docs/', () => {
    expect(CODEOWNERS_LOCATIONS).toEqual(['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS']);
  });
});

/**
 * ownersOf looks literal patterns up by the path's folders and segments instead of trying every
 * rule from the last; these cases pin that the answer is still GitHub's: the last matching rule.
 */
describe('CODEOWNERS lookups through the index', () => {
  it('lets a later glob win over an exact path, and an exact path win over an earlier glob', () => {
    expect(ownersFor('/flags/x.yaml @exact\n*.yaml @glob\n', 'flags/x.yaml')).toEqual(['@glob']);
    expect(ownersFor('*.yaml @glob\n/flags/x.yaml @exact\n', 'flags/x.yaml')).toEqual(['@exact']);
    expect(ownersFor('*.yaml @glob\n/flags/x.yaml @exact\n', 'flags/y.yaml')).toEqual(['@glob']);
    expect(ownersOf(parse('/flags/ @a\n/flags/x.yaml @b\n/flags/ @c\n'), 'flags/x.yaml')?.line).toBe(3);
  });

  it('matches an anchored literal at the root only, an unanchored one at any depth', () => {
    expect(ownersFor('/docs @a', 'docs/guide.md')).toEqual(['@a']);
    expect(ownersFor('/docs @a', 'src/docs/guide.md')).toBeUndefined();
    expect(ownersFor('docs @a', 'src/docs/guide.md')).toEqual(['@a']);
    expect(ownersFor('docs @a', 'src/docs')).toEqual(['@a']);
    expect(ownersFor('x.yaml @a', 'flags/team/x.yaml')).toEqual(['@a']);
    expect(ownersFor('/x.yaml @a', 'flags/team/x.yaml')).toBeUndefined();
    expect(ownersFor('flags/x.yaml @a', 'flags/x.yaml')).toEqual(['@a']);
    expect(ownersFor('flags/x.yaml @a', 'other/flags/x.yaml')).toBeUndefined();
  });

  it('matches a folder pattern below the folder only, a path pattern at the path and below', () => {
    expect(ownersFor('/flags/billing/ @a', 'flags/billing/x.yaml')).toEqual(['@a']);
    expect(ownersFor('/flags/billing/ @a', 'flags/billing')).toBeUndefined();
    expect(ownersFor('/flags/billing @a', 'flags/billing')).toEqual(['@a']);
    expect(ownersFor('/flags/billing @a', 'flags/billing/deep/x.yaml')).toEqual(['@a']);
    expect(ownersFor('/flags/billing @a', 'flags/billing-old/x.yaml')).toBeUndefined();
    expect(ownersFor('logs/ @a', 'a/logs/x.log')).toEqual(['@a']);
    expect(ownersFor('logs/ @a', 'a/logs')).toBeUndefined();
  });

  it('reads * and ** as every path, and docs/* as the files directly in docs/', () => {
    for (const pattern of ['*', '**', '/*', '/**', '/'])
      for (const path of ['README.md', 'flags/x.yaml', 'a/b/c/d.yaml'])
        expect(ownersFor(`${pattern} @all`, path), `${pattern} ${path}`).toEqual(['@all']);
    expect(ownersFor('*/ @a', 'README.md')).toBeUndefined();
    expect(ownersFor('*/ @a', 'flags/x.yaml')).toEqual(['@a']);
    expect(ownersFor('docs/* @a', 'docs/x.md')).toEqual(['@a']);
    expect(ownersFor('docs/* @a', 'docs/deep/x.md')).toBeUndefined();
    expect(ownersFor('docs/** @a', 'docs/deep/x.md')).toEqual(['@a']);
    expect(ownersFor('/flags/x.yaml @exact\n* @all\n', 'flags/x.yaml')).toEqual(['@all']);
    expect(ownersFor('* @all\n/flags/x.yaml @exact\n', 'flags/x.yaml')).toEqual(['@exact']);
  });

  it('leaves a path unowned when the last match is a literal without owners', () => {
    expect(ownersOf(parse('* @all\n/flags/x.yaml\n'), 'flags/x.yaml')).toMatchObject({ line: 2, owners: [] });
  });

  it('answers for rules added after a first lookup', () => {
    const codeowners = parse('* @all\n');
    expect(ownersOf(codeowners, 'flags/x.yaml')?.owners).toEqual(['@all']);
    codeowners.rules.push(...parse('/flags/ @flags\n').rules);
    expect(ownersOf(codeowners, 'flags/x.yaml')?.owners).toEqual(['@flags']);
  });

  it('matches paths with line breaks as the regular expressions do', () => {
    const codeowners = parse('* @all\n/flags/ @flags\n');
    for (const path of ['flags/a\nb.yaml', 'a\n/b\n/c', 'flags/x.yaml\u2028'])
      expect(ownersOf(codeowners, path)).toBe(codeowners.rules.findLast((rule) => rule.regex.test(path)));
  });
});
