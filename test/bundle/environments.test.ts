import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExample, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * `flags environments` gives CI its build matrix from the policy, the one list of environments
 * (.github/workflows/publish.yml): one per line for people, one JSON line for `$GITHUB_OUTPUT`.
 */

function repoWithPolicy(environments: string): string {
  const root = tempDir();
  copyExample(root);
  writeFileSync(
    join(root, 'flags', '_policy.yaml'),
    `project: acme-platform\nenvironments: ${environments}\n`,
  );
  return root;
}

describe('flags environments', () => {
  it("lists the policy's environments in its order, for people and as one JSON line", async () => {
    const root = repoWithPolicy('[dev, qa, eu-prod]');
    const text = await runCli(['environments', '--repo', root]);
    expect(text).toMatchObject({ code: 0, stdout: 'dev\nqa\neu-prod\n' });
    const json = await runCli(['environments', '--repo', root, '--json']);
    expect(json).toMatchObject({ code: 0, stdout: '["dev","qa","eu-prod"]\n' });
  });

  it('refuses a policy with errors, at the error, rather than guess', async () => {
    const root = repoWithPolicy('[dev, dev]');
    const run = await runCli(['environments', '--repo', root, '--json']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^flags\/_policy\.yaml:2:\d+: error: .*"dev" is declared twice/);
    expect(run.stderr).toMatch(/fix: /);
  });
});
