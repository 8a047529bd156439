import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../scripts/core/findings/finding.js';
import { annotation, renderGithub } from '../../scripts/reporters/github.js';
import { renderJson } from '../../scripts/reporters/json.js';
import { renderMarkdown } from '../../scripts/reporters/markdown.js';
import { type CheckSummary, summarize } from '../../scripts/reporters/summary.js';
import { renderText } from '../../scripts/reporters/text.js';
import { fixture, TODAY } from '../check/check-cli.js';
import { tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

const EXPIRED: Finding = {
  code: 'lifecycle/expired',
  severity: 'error',
  file: 'flags/new-editor.yaml',
  line: 6,
  col: 10,
  path: 'expires',
  message: 'flag expired on 2026-11-01 (23 days ago)',
  hint: 'remove the flag and its code paths, or extend expires with a reason in the pull request',
};

const SOURCE = [
  '# yaml-language-server: $schema=../schemas/flag.schema.json',
  'key: new-editor',
  'description: The rewritten document editor.',
  'owner: "@acme/platform"',
  'type: release',
  'expires: 2026-11-01',
  'environments:',
  '  production:',
  '    enabled: true',
  '    default: true',
  '',
].join('\n');

const summaryOf = (findings: Finding[], flags = 1): CheckSummary => summarize(findings, { flags, cached: 0 });

describe('the text reporter', () => {
  it('prints location, severity, code and message, a code frame with a caret, and the fix', () => {
    const text = renderText([EXPIRED], summaryOf([EXPIRED]), () => SOURCE);
    expect(text).toBe(
      [
        'flags/new-editor.yaml:6:10 error lifecycle/expired  flag expired on 2026-11-01 (23 days ago)',
        '   5 | type: release',
        ' > 6 | expires: 2026-11-01',
        '     |          ^',
        '   7 | environments:',
        '   fix: remove the flag and its code paths, or extend expires with a reason in the pull request',
        '',
        '✖ 1 error, 0 warnings in 1 file (1 flag checked, 0 from cache)',
        '',
      ].join('\n'),
    );
  });

  it('shows no line after the last one of the file', () => {
    const last: Finding = { ...EXPIRED, line: 10, col: 14, path: 'environments.production.default' };
    const text = renderText([last], summaryOf([last]), () => SOURCE);
    expect(text).toContain(
      '   9 |     enabled: true\n > 10 |     default: true\n      |              ^\n   fix:',
    );
  });

  it('prints no frame, and reads no file, for a finding about a whole file', () => {
    const tooLarge: Finding = {
      code: 'file/too-large',
      severity: 'error',
      file: 'flags/huge.yaml',
      line: 1,
      col: 1,
      message: 'file is 10485760 bytes, over the cap of 262144',
    };
    const read: string[] = [];
    const text = renderText([tooLarge], summaryOf([tooLarge]), (file) => {
      read.push(file);
      return 'x';
    });
    expect(read).toEqual([]);
    expect(text.split('\n')[1]).toBe('');
  });

  it('ends with a verdict: no problems, warnings only, or errors', () => {
    const warning: Finding = { ...EXPIRED, severity: 'warning' };
    expect(renderText([], summaryOf([], 14), () => undefined)).toBe(
      '✔ no problems (14 flags checked, 0 from cache)\n',
    );
    expect(renderText([warning], summaryOf([warning]), () => undefined)).toContain(
      '⚠ 1 warning in 1 file (1 flag checked, 0 from cache)',
    );
  });
});

describe('the GitHub annotations reporter', () => {
  it('writes one workflow command per finding with file, line, column and the code as title', () => {
    expect(renderGithub([EXPIRED])).toBe(
      '::error file=flags/new-editor.yaml,line=6,col=10,title=lifecycle/expired::' +
        'flag expired on 2026-11-01 (23 days ago)%0Afix: remove the flag and its code paths, ' +
        'or extend expires with a reason in the pull request\n',
    );
    expect(renderGithub([{ ...EXPIRED, severity: 'warning', hint: undefined }])).toMatch(/^::warning file=/);
  });

  it('escapes %, carriage returns and newlines in the message', () => {
    const line = annotation({ ...EXPIRED, message: '100% of\r\norgs', hint: undefined });
    expect(line).toBe(
      '::error file=flags/new-editor.yaml,line=6,col=10,title=lifecycle/expired::100%25 of%0D%0Aorgs\n',
    );
  });

  it('escapes commas and colons in properties, so a file name cannot forge another property', () => {
    const line = annotation({ ...EXPIRED, file: 'flags/a,line=1:b%.yaml', code: 'x:y,z', hint: undefined });
    expect(line).toBe(
      '::error file=flags/a%2Cline=1%3Ab%25.yaml,line=6,col=10,title=x%3Ay%2Cz::flag expired on 2026-11-01 (23 days ago)\n',
    );
  });
});

describe('notices', () => {
  const NOTICE: Finding = {
    code: 'ownership/codeowners-changed',
    severity: 'notice',
    file: 'CODEOWNERS',
    line: 3,
    col: 1,
    message: 'this change edits CODEOWNERS and so decides who reviews 1 flag file: flags/a.yaml',
    hint: 'check each new owner',
  };

  it('are GitHub notice annotations, a row with their own icon, and counted apart from warnings', () => {
    expect(annotation(NOTICE)).toBe(
      '::notice file=CODEOWNERS,line=3,col=1,title=ownership/codeowners-changed::this change edits CODEOWNERS and so decides who reviews 1 flag file: flags/a.yaml%0Afix: check each new owner\n',
    );
    const summary = summaryOf([NOTICE]);
    expect(summary).toMatchObject({ errors: 0, warnings: 0, notices: 1 });
    expect(renderMarkdown([NOTICE], summary).split('\n').slice(0, 3)).toEqual([
      '### ✅ flags check: no problems',
      '',
      '1 flag checked. 1 notice: what this change decides.',
    ]);
    expect(renderMarkdown([NOTICE], summary)).toContain('| ℹ️ | `CODEOWNERS:3:1` |');
    const text = renderText([NOTICE], summary, () => undefined);
    expect(text).toContain('CODEOWNERS:3:1 notice ownership/codeowners-changed  this change edits');
    expect(text).toContain('✔ no problems (1 flag checked, 0 from cache, 1 notice)');
  });
});

describe('the JSON reporter', () => {
  it('prints a versioned object with the summary and every finding', () => {
    const parsed: unknown = JSON.parse(renderJson([EXPIRED], summaryOf([EXPIRED])));
    expect(parsed).toEqual({
      version: 1,
      summary: { errors: 1, warnings: 0, notices: 0, filesWithFindings: 1, flags: 1, cached: 0 },
      findings: [EXPIRED],
    });
  });
});

describe('the Markdown summary reporter', () => {
  it('writes a verdict and a table of findings', () => {
    expect(renderMarkdown([EXPIRED], summaryOf([EXPIRED]))).toBe(
      [
        '### ❌ flags check: 1 error, 0 warnings',
        '',
        '1 flag checked.',
        '',
        '| | Location | Code | Problem | Fix |',
        '|---|---|---|---|---|',
        '| ❌ | `flags/new-editor.yaml:6:10` | `lifecycle/expired` | flag expired on 2026-11-01 (23 days ago) | remove the flag and its code paths, or extend expires with a reason in the pull request |',
        '',
      ].join('\n'),
    );
    expect(renderMarkdown([], summaryOf([], 3))).toBe(
      '### ✅ flags check: no problems\n\n3 flags checked.\n\n',
    );
  });

  it('keeps Markdown in messages literal: pipes, underscores, angle brackets and newlines', () => {
    const tricky: Finding = {
      ...EXPIRED,
      code: 'yaml/forbidden-key',
      message: 'key __proto__ is not allowed | a*b*',
      hint: 'add expires: <date>\nthen push',
    };
    const row = renderMarkdown([tricky], summaryOf([tricky])).split('\n')[6];
    expect(row).toBe(
      '| ❌ | `flags/new-editor.yaml:6:10` | `yaml/forbidden-key` | key \\_\\_proto\\_\\_ is not allowed \\| a\\*b\\* | add expires: \\<date\\> then push |',
    );
  });

  it('lists at most the limit of findings and says how many more there are', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ ...EXPIRED, line: i + 1 }));
    const text = renderMarkdown(many, summaryOf(many), 2);
    expect(text.split('\n').filter((l) => l.startsWith('| ❌'))).toHaveLength(2);
    expect(text).toContain('…and 3 more; run `npx flags check` locally for all.');
  });
});

describe('flags check output formats', () => {
  const expiredRepo = fixture('lifecycle-expired');
  const args = ['check', '--repo', expiredRepo, '--today', TODAY, '--no-cache'];

  it('prints text with a code frame by default', async () => {
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(renderText([EXPIRED], summaryOf([EXPIRED]), () => SOURCE));
    expect(result.stdout).toContain(' > 6 | expires: 2026-11-01\n     |          ^\n');
  });

  it('prints the JSON report with --format json and with --json', async () => {
    for (const flag of [['--format', 'json'], ['--json']]) {
      const result = await runCli([...args, ...flag]);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual({
        version: 1,
        summary: { errors: 1, warnings: 0, notices: 0, filesWithFindings: 1, flags: 1, cached: 0 },
        findings: [EXPIRED],
      });
    }
  });

  it('prints workflow commands only with --format github', async () => {
    const result = await runCli([...args, '--format', 'github']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(renderGithub([EXPIRED]));
  });

  it('adds annotations to the text output inside GitHub Actions', async () => {
    const result = await runCli(args, { env: { GITHUB_ACTIONS: 'true' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      renderText([EXPIRED], summaryOf([EXPIRED]), () => SOURCE) + renderGithub([EXPIRED]),
    );
  });

  it('appends a Markdown summary to $GITHUB_STEP_SUMMARY, keeping what earlier steps wrote', async () => {
    const summaryFile = join(tempDir(), 'step-summary.md');
    writeFileSync(summaryFile, '## Earlier step\n');
    const result = await runCli(args, { env: { GITHUB_STEP_SUMMARY: summaryFile } });
    expect(result.code).toBe(1);
    expect(readFileSync(summaryFile, 'utf8')).toBe(
      `## Earlier step\n${renderMarkdown([EXPIRED], summaryOf([EXPIRED]))}`,
    );
  });
});
