import { appendFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * `lifecycle/unreferenced` comes only where code trees are configured, and only when every
 * repository the policy names has a clone: a partial search proves nothing.
 */

const FIXTURE = join(FIXTURES, 'check', 'lifecycle-unreferenced');

async function check(dir: string, ...args: string[]) {
  const run = await runCli(['check', '--json', '--today', '2026-11-24', '--no-cache', '-C', dir, ...args]);
  return JSON.parse(run.stdout) as { findings: { code: string; file: string; message: string }[] };
}

const unreferenced = (json: { findings: { code: string; file: string }[] }) =>
  json.findings.filter((f) => f.code === 'lifecycle/unreferenced').map((f) => f.file);

describe('the unreferenced finding', () => {
  it('takes the clone from --tree as well as from the policy path', async () => {
    const dir = tempDir();
    cpSync(FIXTURE, dir, { recursive: true });
    const clone = tempDir('app-');
    cpSync(join(dir, 'app'), clone, { recursive: true });
    rmSync(join(dir, 'app'), { recursive: true });
    expect(unreferenced(await check(dir))).toEqual([]);
    expect(unreferenced(await check(dir, '--tree', `app=${clone}`))).toEqual([
      'flags/maintenance-banner.yaml',
    ]);
  });

  it('is not reported while a repository the policy names has no clone', async () => {
    const dir = tempDir();
    cpSync(FIXTURE, dir, { recursive: true });
    const policy = join(dir, 'flags', '_policy.yaml');
    appendFileSync(policy, '    - name: mobile\n');
    expect(unreferenced(await check(dir))).toEqual([]);
  });
});

describe('flags report', () => {
  it('shows the unreferenced finding beside the flag, with the same evidence as check', async () => {
    const dir = tempDir();
    cpSync(FIXTURE, dir, { recursive: true });
    const fromCheck = (await check(dir)).findings.filter((f) => f.code === 'lifecycle/unreferenced');
    expect(fromCheck.map((f) => f.file)).toEqual(['flags/maintenance-banner.yaml']);
    const run = await runCli([
      'report',
      '--format',
      'json',
      '--no-history',
      '--today',
      '2026-11-24',
      '-C',
      dir,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      flags: { file: string; findings?: { code: string; message: string }[] }[];
    };
    const shown = report.flags.flatMap((row) =>
      (row.findings ?? [])
        .filter((f) => f.code === 'lifecycle/unreferenced')
        .map((f) => ({ file: row.file, message: f.message })),
    );
    expect(shown).toEqual(fromCheck.map((f) => ({ file: f.file, message: f.message })));
  });
});
