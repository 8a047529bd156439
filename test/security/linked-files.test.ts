import { cpSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * The policy and CODEOWNERS decide environments, signers and reviewers. Every command reads them as
 * `flags check` does: a symbolic link is refused with its position and the fix, never followed (so a
 * file outside the repository cannot change an answer) and never replaced by a write.
 */

const EXAMPLE = fileURLToPath(new URL('../fixtures/example-repository', import.meta.url));

/** A copy of the example whose policy (or CODEOWNERS) is a link to a copy outside the repository. */
function repoWithLinked(file: 'flags/_policy.yaml' | 'CODEOWNERS'): { dir: string; target: string } {
  const dir = tempDir();
  cpSync(EXAMPLE, dir, { recursive: true });
  const target = join(tempDir(), 'elsewhere');
  writeFileSync(target, readFileSync(join(dir, file)));
  rmSync(join(dir, file));
  symlinkSync(target, join(dir, file));
  return { dir, target };
}

const refusal = (stderr: string, file: string) => {
  expect(stderr).toContain(file);
  expect(stderr).toMatch(/symbolic link to .* \(outside the repository\)/);
  expect(stderr).toContain('replace the link with the file itself');
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('a linked policy', () => {
  it('is refused by flags environments, with its position', async () => {
    const { dir } = repoWithLinked('flags/_policy.yaml');
    const result = await runCli(['environments', '--repo', dir]);
    expect(result.code).not.toBe(0);
    refusal(result.stderr, 'flags/_policy.yaml:1:1');
    expect(result.stdout).toBe('');
  });

  it('is refused by flags keyset init, which writes no keyset', async () => {
    const { dir } = repoWithLinked('flags/_policy.yaml');
    const result = await runCli(['keyset', 'init', '--key', 'unread.pem=production', '--repo', dir]);
    expect(result.code).not.toBe(0);
    refusal(result.stderr, 'flags/_policy.yaml:1:1');
    expect(() => lstatSync(join(dir, 'keys'))).toThrow();
  });

  it('is refused by flags claims --since', async () => {
    const { dir } = repoWithLinked('flags/_policy.yaml');
    const result = await runCli(['claims', '--since', '1', '--env', 'production', '--repo', dir]);
    expect(result.code).not.toBe(0);
    refusal(result.stderr, 'flags/_policy.yaml:1:1');
  });
});

describe('a linked CODEOWNERS', () => {
  it('is refused by flags codeowners --write, which leaves the link and its target as they were', async () => {
    const { dir, target } = repoWithLinked('CODEOWNERS');
    const before = readFileSync(target, 'utf8');
    const result = await runCli(['codeowners', '--write', '--repo', dir]);
    expect(result.code).not.toBe(0);
    refusal(result.stderr, 'CODEOWNERS:1:1');
    expect(lstatSync(join(dir, 'CODEOWNERS')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(before);
  });

  it('is refused by flags init, which writes nothing', async () => {
    const { dir, target } = repoWithLinked('CODEOWNERS');
    const before = readFileSync(target, 'utf8');
    const result = await runCli(['init', '--repo', dir, '--today', '2026-12-07']);
    expect(result.code).not.toBe(0);
    refusal(result.stderr, 'CODEOWNERS:1:1');
    expect(lstatSync(join(dir, 'CODEOWNERS')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(before);
    expect(() => lstatSync(join(dir, '.github'))).toThrow();
  });
});

it('a linked .github folder is refused where CODEOWNERS would be read through it', async () => {
  const dir = tempDir();
  cpSync(EXAMPLE, dir, { recursive: true });
  const outside = tempDir();
  mkdirSync(join(outside, 'github'));
  writeFileSync(join(outside, 'github', 'CODEOWNERS'), readFileSync(join(dir, 'CODEOWNERS')));
  rmSync(join(dir, 'CODEOWNERS'));
  symlinkSync(join(outside, 'github'), join(dir, '.github'));
  const result = await runCli(['codeowners', '--check', '--repo', dir]);
  expect(result.code).not.toBe(0);
  refusal(result.stderr, '.github');
});
