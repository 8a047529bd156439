import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gitdir.js';
import { checkJson, copyOfFixture, fixture, flagYaml } from './check-cli.js';

/**
 * Hostile or broken input ends in a clear finding with a position: never a crash, never a hang (the
 * test timeout would catch one), never a stack trace on stderr.
 */

const MODELINE = '# yaml-language-server: $schema=../schemas/flag.schema.json';

function repoWith(files: Record<string, string | Uint8Array>): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'CODEOWNERS'), '/flags/ @acme/platform\n');
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

const brief = (f: { code: string; file: string; line: number; col: number; message: string }) => ({
  code: f.code,
  file: f.file,
  line: f.line,
  col: f.col,
  message: f.message,
});

describe('flags check on hostile YAML', () => {
  it('refuses an alias bomb ("billion laughs") with yaml/alias instead of expanding it', async () => {
    const letters = 'abcdefghij';
    const lines = [MODELINE, `a: &a [${Array(9).fill('"lol"').join(', ')}]`];
    for (let i = 1; i < letters.length; i++) {
      const [name, prev] = [letters[i], letters[i - 1]];
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const dir = repoWith({ 'flags/lol.yaml': `${lines.join('\n')}\n` });
    const { code, report } = await checkJson(dir);
    expect(code).toBe(1);
    // 10 anchors and 9 × 9 aliases, each refused where it is written; 9^10 strings never materialise.
    expect(report.findings).toHaveLength(10 + 81);
    expect(new Set(report.findings.map((f) => f.code))).toEqual(new Set(['yaml/alias']));
    expect(report.findings.slice(0, 3).map(brief)).toEqual([
      { code: 'yaml/alias', file: 'flags/lol.yaml', line: 2, col: 4, message: 'anchor &a' },
      { code: 'yaml/alias', file: 'flags/lol.yaml', line: 3, col: 4, message: 'anchor &b' },
      { code: 'yaml/alias', file: 'flags/lol.yaml', line: 3, col: 8, message: 'alias *a' },
    ]);
  });

  it('refuses a 10 MB file as file/too-large without reading it: its bad bytes go unreported', async () => {
    const dir = repoWith({ 'flags/huge.yaml': new Uint8Array(10 * 1024 * 1024).fill(0xff) });
    const { code, report } = await checkJson(dir);
    expect(code).toBe(1);
    expect(report.findings).toEqual([
      {
        code: 'file/too-large',
        severity: 'error',
        file: 'flags/huge.yaml',
        line: 1,
        col: 1,
        message: 'file is 10485760 bytes, over the cap of 262144',
        hint: 'split the flag or raise limits.maxFileBytes in the policy',
      },
    ]);
  });

  it('reports 100,000 levels of [ nesting as yaml/syntax, in every such file of one run', async () => {
    // Two files in one process: a stack overflow inside the parser once left V8 unable to compile
    // regular expressions, and the second file killed the process with "out of memory".
    const dir = repoWith({
      'flags/deep-open.yaml': '['.repeat(100_000),
      'flags/deep-balanced.yaml': `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    });
    const { code, report } = await checkJson(dir);
    expect(code).toBe(1);
    expect(report.findings.map(brief)).toEqual([
      {
        code: 'yaml/syntax',
        file: 'flags/deep-balanced.yaml',
        line: 1,
        col: 65,
        message: 'nesting is deeper than 64 levels',
      },
      {
        code: 'yaml/syntax',
        file: 'flags/deep-open.yaml',
        line: 1,
        col: 65,
        message: 'nesting is deeper than 64 levels',
      },
    ]);
    expect(report.findings[0]!.hint).toBe('flatten the structure; a flag file needs only a few levels');
  });

  it('reports deep block nesting under variants at the first level too deep', async () => {
    const nested = Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i + 2)}level:`).join('\n');
    const text = `${flagYaml('deep-variant')}variants:\n  big:\n${nested} 1\n`;
    const dir = repoWith({ 'flags/deep-variant.yaml': text });
    const { report } = await checkJson(dir);
    // The file's mapping is level 0, variants' mapping (line 11) level 1, and the mapping on line
    // 12 + k level 2 + k: level 64, the first one refused, starts on line 74.
    expect(report.findings.map(brief)).toEqual([
      {
        code: 'yaml/syntax',
        file: 'flags/deep-variant.yaml',
        line: 74,
        col: 129,
        message: 'nesting is deeper than 64 levels',
      },
    ]);
  });

  it('refuses __proto__, constructor and prototype keys wherever they appear', async () => {
    const { code, report } = await checkJson(fixture('hazards/forbidden-keys'));
    expect(code).toBe(1);
    expect(report.findings.map(brief)).toEqual([
      {
        code: 'yaml/forbidden-key',
        file: 'flags/pollute.yaml',
        line: 7,
        col: 1,
        message: 'key __proto__ is not allowed',
      },
      {
        code: 'yaml/forbidden-key',
        file: 'flags/pollute.yaml',
        line: 14,
        col: 9,
        message: 'key constructor is not allowed',
      },
      {
        code: 'yaml/forbidden-key',
        file: 'flags/pollute.yaml',
        line: 14,
        col: 24,
        message: 'key prototype is not allowed',
      },
    ]);
  });

  it('reports a byte that is not UTF-8 at its line and column, counting characters before it', async () => {
    const head = Buffer.from(`${MODELINE}\nkey: menu\ndescription: Crème brûlée, `);
    const dir = repoWith({
      'flags/menu.yaml': Buffer.concat([head, Buffer.from([0xc3, 0x28]), Buffer.from(' served cold\n')]),
    });
    const { report } = await checkJson(dir);
    expect(report.findings).toEqual([
      {
        code: 'file/not-utf8',
        severity: 'error',
        file: 'flags/menu.yaml',
        line: 3,
        col: 28,
        message: `byte 0xc3 at offset ${head.length} is not UTF-8`,
        hint: 'save the file as UTF-8',
      },
    ]);
  });

  it('refuses a linked folder that leaves the repository, and a link that stays inside', async () => {
    const outside = tempDir();
    writeFileSync(join(outside, 'stolen.yaml'), flagYaml('stolen'));
    const dir = repoWith({ 'shared/limits.yaml': flagYaml('limits') });
    mkdirSync(join(dir, 'flags'));
    symlinkSync(outside, join(dir, 'flags', 'elsewhere'));
    symlinkSync('../shared/limits.yaml', join(dir, 'flags', 'limits.yaml'));
    const { code, report } = await checkJson(dir);
    expect(code).toBe(1);
    expect(report.findings.map((f) => `${f.code} ${f.file} ${f.message.split(';')[0]}`)).toEqual([
      `file/symlink flags/elsewhere symbolic link to ${outside} (outside the repository)`,
      'file/symlink flags/limits.yaml symbolic link to ../shared/limits.yaml (shared/limits.yaml in the repository)',
    ]);
    expect(report.summary.flags).toBe(0);
  });

  it('reports every explicit tag as written, at the tag', async () => {
    const { report } = await checkJson(fixture('hazards/explicit-tags'));
    expect(report.findings.map(brief)).toEqual([
      { code: 'yaml/tag', file: 'flags/tagged.yaml', line: 2, col: 6, message: 'explicit tag !!str' },
      {
        code: 'yaml/tag',
        file: 'flags/tagged.yaml',
        line: 3,
        col: 14,
        message: 'explicit tag !<tag:yaml.org,2002:str>',
      },
      { code: 'yaml/tag', file: 'flags/tagged.yaml', line: 7, col: 15, message: 'explicit tag !!map' },
      { code: 'yaml/tag', file: 'flags/tagged.yaml', line: 9, col: 14, message: 'explicit tag !!bool' },
      { code: 'yaml/tag', file: 'flags/tagged.yaml', line: 10, col: 14, message: 'explicit tag !custom' },
    ]);
  });

  it('reports an empty file and a file of comments as holding no document', async () => {
    const { report } = await checkJson(fixture('hazards/empty-file'));
    expect(report.findings.map(brief)).toEqual([
      {
        code: 'schema/wrong-type',
        file: 'flags/blank.yaml',
        line: 1,
        col: 1,
        message: 'the file holds no YAML document',
      },
      {
        code: 'schema/wrong-type',
        file: 'flags/comments-only.yaml',
        line: 1,
        col: 1,
        message: 'the file holds no YAML document',
      },
    ]);
  });

  it('reports a file whose top level is a list, at the list', async () => {
    const { report } = await checkJson(fixture('hazards/top-level-list'));
    expect(report.findings).toEqual([
      {
        code: 'schema/wrong-type',
        severity: 'error',
        file: 'flags/rollouts.yaml',
        line: 2,
        col: 1,
        message: 'the file must be a mapping, not a list',
        hint: 'write a mapping here',
      },
    ]);
  });

  it('reports YAML 1.1 booleans (enabled: yes, default: on) but not quoted variant names', async () => {
    const { report } = await checkJson(fixture('hazards/yaml11-booleans'));
    expect(report.findings).toEqual([
      {
        code: 'yaml/yaml11-boolean',
        severity: 'error',
        file: 'flags/audit-trail.yaml',
        line: 9,
        col: 14,
        message: '"yes" is a string in YAML 1.2, not a boolean',
        path: 'environments.staging.enabled',
        hint: 'write true',
      },
      {
        code: 'yaml/yaml11-boolean',
        severity: 'error',
        file: 'flags/session-timeout.yaml',
        line: 10,
        col: 14,
        message: '"on" is a string in YAML 1.2, not a boolean',
        path: 'environments.production.default',
        hint: 'write true',
      },
    ]);
    expect(report.summary.flags).toBe(3);
  });

  it('refuses a %YAML 1.1 directive, which would turn yes into true and dates into timestamps', async () => {
    const { report } = await checkJson(fixture('hazards/yaml11-directive'));
    expect(report.findings).toEqual([
      {
        code: 'yaml/syntax',
        severity: 'error',
        file: 'flags/legacy-export.yaml',
        line: 1,
        col: 1,
        message: 'the directive "%YAML 1.1" is not supported; flag files are YAML 1.2',
        hint: 'remove the %YAML line',
      },
    ]);
  });

  it('checks the other flags of a repository when one of them is hostile', async () => {
    const dir = copyOfFixture('hazards/forbidden-keys');
    writeFileSync(join(dir, 'flags', 'fine.yaml'), flagYaml('fine', { lines: ['    default: maybe'] }));
    const { report } = await checkJson(dir);
    expect(report.findings.map((f) => `${f.file} ${f.code}`)).toEqual([
      'flags/fine.yaml model/value-type',
      'flags/pollute.yaml yaml/forbidden-key',
      'flags/pollute.yaml yaml/forbidden-key',
      'flags/pollute.yaml yaml/forbidden-key',
    ]);
  });
});
