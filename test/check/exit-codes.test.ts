import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';
import { fixture, flagYaml, TODAY, withoutProgress } from './check-cli.js';

/** Exit codes: 0 clean, 1 findings, 2 usage errors, which print "error:" and "fix:" and no stack trace. */

function cleanRepo(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'flags'));
  writeFileSync(join(dir, 'CODEOWNERS'), '/flags/ @acme/platform\n');
  writeFileSync(join(dir, 'flags', 'search-boost.yaml'), flagYaml('search-boost'));
  return dir;
}

const check = (args: string[], env?: Record<string, string>) =>
  runCli(['check', '--today', TODAY, '--no-cache', ...args], { env });

describe('flags check exit codes', () => {
  it('exits 0 on a clean repository', async () => {
    const result = await check(['--repo', cleanRepo()]);
    expect(withoutProgress(result.stderr)).toBe('');
    expect(result.stdout).toBe('✔ no problems (1 flag checked, 0 from cache)\n');
    expect(result.code).toBe(0);
  });

  it('exits 1 when there is an error', async () => {
    expect((await check(['--repo', fixture('lifecycle-expired')])).code).toBe(1);
  });

  it('exits 0 on warnings alone, and 1 with --strict', async () => {
    expect((await check(['--repo', fixture('yaml-missing-modeline')])).code).toBe(0);
    expect((await check(['--repo', fixture('yaml-missing-modeline'), '--strict'])).code).toBe(1);
  });

  it('takes today from $FLAGS_TODAY when --today is absent', async () => {
    const dir = fixture('lifecycle-expired');
    const before = await runCli(['check', '--repo', dir, '--no-cache'], {
      env: { FLAGS_TODAY: '2026-10-31' },
    });
    const after = await runCli(['check', '--repo', dir, '--no-cache'], {
      env: { FLAGS_TODAY: '2026-11-02' },
    });
    expect([before.code, after.code]).toEqual([0, 1]);
  });
});

describe('flags check usage errors', () => {
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at |Error:|node:internal/m);

  it.each([
    ['a day that does not exist', ['--today', '2026-02-30'], 'error: "2026-02-30" is not a date'],
    ['a word for a date', ['--today', 'tomorrow'], 'error: "tomorrow" is not a date'],
  ])('exits 2 for %s in --today, with the format to use', async (_, args, error) => {
    const result = await runCli(['check', '--repo', cleanRepo(), '--no-cache', ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^${error}\\n  fix: give --today or FLAGS_TODAY as YYYY-MM-DD, e.g. \\d{4}-\\d{2}-\\d{2}\\n$`,
      ),
    );
    noStack(result.stderr);
  });

  it('exits 2 for a date in $FLAGS_TODAY that is not one', async () => {
    const result = await runCli(['check', '--repo', cleanRepo(), '--no-cache'], {
      env: { FLAGS_TODAY: 'soon' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: "soon" is not a date\n {2}fix: /);
  });

  it('exits 2 for an unknown --format, naming the formats there are', async () => {
    const result = await check(['--repo', cleanRepo(), '--format', 'xml']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('error: unknown format "xml"\n  fix: use one of text, json, github\n');
  });

  it('exits 2 when the repository folder does not exist', async () => {
    const missing = join(tempDir(), 'no-such-repo');
    const result = await check(['--repo', missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: repository folder ${missing} does not exist\n  fix: pass --repo <dir> pointing at the repository root\n`,
    );
  });

  it('exits 2 in a folder without flags/, rather than passing on nothing', async () => {
    const elsewhere = tempDir();
    const result = await check(['--repo', elsewhere]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: ${elsewhere} has no flags/ folder\n  fix: run the command at the root of the flags repository, or pass --repo <dir>\n`,
    );
  });

  it('exits 2 for a --threads that is not a whole number of at least 1', async () => {
    for (const threads of ['0', 'many', '1.5']) {
      const result = await check(['--repo', cleanRepo(), '--threads', threads]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `error: --threads must be a whole number of at least 1, not "${threads}"\n  fix: e.g. --threads 2\n`,
      );
    }
  });

  it('exits 2 for an unknown option, pointing to --help', async () => {
    const result = await check(['--repo', cleanRepo(), '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: unknown option '--bogus'\n(run flags --help for usage)\n");
    noStack(result.stderr);
  });
});
